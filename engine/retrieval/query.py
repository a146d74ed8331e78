"""Turning a question into search terms: word tokens, stop words, and FTS5 query syntax."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Question words and glue that carry no topic. Kept short on purpose: in manuals "option", "function" or "file"
# are topic words, so they stay.
STOP_WORDS = frozenset("""
a an the of in on at to for from by with and or nor but is are was were be been being am has have had having
what which who whom whose
when where why how does do did done doing that this these those it its as into than then there their they them he
she his her him you your yours i me my we our us not no can could would should may might will shall about after
before during over under also any some such other each every one many much most more very so if else while though
although because since until upon onto out off up down again further once here all both few own same too just only
tell give name list explain describe say said called call
""".split())

# letters/digits runs (so snake_case splits at "_"), keeping an apostrophe inside a word ("Victoria's")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_IDENT_SPLIT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    return "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))


def fold(text: str) -> str:
    """Drop diacritics ("Céloron" -> "Celoron"), as the FTS index does (remove_diacritics 2)."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda m: _fold_char(m.group()), text)


def words(text: str) -> list[str]:
    """Lower-cased, diacritic-free word tokens, identifiers also split into their parts (snake_case, camelCase)."""
    out: list[str] = []
    for w in _WORD.findall(fold(text)):
        low = w.lower()
        # an upper-case letter after the first, in a word that is not all capitals: camelCase
        camel = w[1:] != low[1:] and not w.isupper()
        out.append(low.replace("’", "'") if "’" in low else low)
        if camel:
            out.extend(p.lower() for p in _IDENT_SPLIT.findall(w) if len(p) > 1)
    return out


def topic_words(text: str) -> list[str]:
    """The words of `text` that carry its topic, in order, repeats kept: no stop words, no single letters,
    possessives and contractions cut ("Victoria's" is about Victoria)."""
    out = []
    for w in words(text):
        w = w.split("'")[0]
        if w and w not in STOP_WORDS and (len(w) > 1 or w.isdigit()):
            out.append(w)
    return out


def terms(text: str) -> list[str]:
    """Distinct topic words of a query, in order of appearance."""
    return list(dict.fromkeys(topic_words(text)))


def fts_query(text: str, extra: list[str] | None = None) -> str | None:
    """An FTS5 MATCH expression: any of the query's terms (BM25 ranks documents that have more and rarer ones)."""
    ts = list(dict.fromkeys(terms(text) + (extra or [])))
    if not ts:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in ts)
