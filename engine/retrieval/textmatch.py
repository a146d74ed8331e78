"""Word-level matching shared by evidence selection, citation verification and abstention.

A Snowball stemmer makes "engines"/"engine" and "constructed"/"construct" meet;
idf weights come from the library's own FTS index, so a word that is everywhere in this library counts little.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from functools import lru_cache
from collections.abc import Iterable, Mapping

import snowballstemmer

from .query import fold, topic_words

_NUMBER = re.compile(r"^\d[\d,.]*$")
# where a camelCase identifier changes case ("eI" in "CaseInsensitive", "PRe" in "HTTPResponse"); a fixed-width
# pattern, so the scan costs little more than a substring search
_CASE_CHANGE = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_IDENT_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")  # the parts query.words splits off
_DECADE = re.compile(r"^\d{3}0s$")
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """English Snowball stem (the same family as FTS5's porter tokenizer); numbers lose their commas."""
    w = word.lower()
    if _NUMBER.match(w):
        return w.replace(",", "")
    if _DECADE.match(w):
        return w[:-1]  # "the 1980s" answers "between 1980 and 1990"
    return _stemmer.stemWord(w)


def content_stems(text: str) -> list[str]:
    """Stems of the topic words of `text`, in order, repeats kept."""
    return [stem(w) for w in topic_words(text)]


def idf_weights(terms: Iterable[str], doc_freq: Mapping[str, int], n_docs: int) -> dict[str, float]:
    """BM25-style idf per stem; unseen words get the maximum (they are the rarest thing in the library)."""
    n = max(n_docs, 1)
    out = {}
    for t in terms:
        df = doc_freq.get(t, 0)
        out[t] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return out


def weighted_overlap(query_stems: Iterable[str], text_stems: set[str], idf: Mapping[str, float]) -> float:
    """Share of the query's idf mass whose stems occur in the text (0..1)."""
    q = set(query_stems)
    total = sum(idf.get(t, 1.0) for t in q)
    if total <= 0:
        return 0.0
    return sum(idf.get(t, 1.0) for t in q if t in text_stems) / total


def is_number(stem_: str) -> bool:
    return bool(_NUMBER.match(stem_))


class TermMatcher:
    """Finds a query's stems in passages with regular-expression scans instead of stemming every word.

    Stemming every word of every candidate costs milliseconds per chunk in Python; a query has a handful of
    stems, so we scan for words that start like one of them (C speed) and stem only those. A second scan finds
    camelCase identifiers and splits those that hold the start of a query stem.
    """

    def __init__(self, stems: Iterable[str]):
        self.stems = {s for s in stems if s}
        # a one-letter name ("C", "R") must stand alone, or every word starting with that letter would be stemmed
        prefixes = sorted({re.escape(s) + r"(?![^\W_])" if len(s) == 1
                           else re.escape(s if is_number(s) else s[: max(3, len(s) - 2)]) for s in self.stems},
                          key=len, reverse=True)
        # A word starts after anything but a letter or digit, so "_" splits snake_case identifiers
        # ("raise_for_status" holds "raise" and "status"), as the FTS tokenizer and `query.words` split them.
        self._pattern = (re.compile(r"(?<![^\W_])(?:" + "|".join(prefixes) + r")[^\W_]*(?:['’][^\W_]+)?")
                         if prefixes else None)
        # a camelCase identifier is split only if one of the stems' beginnings occurs somewhere inside it
        self._inside = re.compile("|".join(prefixes)) if prefixes else None

    def hits(self, text: str) -> list[tuple[int, str]]:
        """(position, stem) of every word of `text` whose stem is one of the query's."""
        if self._pattern is None:
            return []
        folded = fold(text)
        low = folded.lower()
        out = []
        for m in self._pattern.finditer(low):
            word = m.group(0).replace("’", "'").split("'")[0]
            s = stem(word)
            if s in self.stems:
                out.append((m.start(), s))
        # camelCase identifiers ("CaseInsensitiveDict", "getHTTPResponse") also hold their parts
        done = -1
        for m in _CASE_CHANGE.finditer(folded):
            if m.start() < done:
                continue  # another case change of an identifier already looked at
            a, b = m.start(), m.end()
            while a > 0 and folded[a - 1].isalnum():
                a -= 1
            while b < len(folded) and folded[b].isalnum():
                b += 1
            done = b
            if not self._inside.search(low, a, b):
                continue
            for part in _IDENT_PART.finditer(folded, a, b):
                s = stem(part.group(0).lower())
                if s in self.stems:
                    out.append((part.start(), s))
        if len(out) > 1:
            out.sort()
        return out

    def per_span(self, text: str, spans: list[tuple[int, int]]) -> list[set[str]]:
        """The query stems found in each [start, end) span of `text`."""
        out: list[set[str]] = [set() for _ in spans]
        if not spans:
            return out
        starts = [a for a, _ in spans]
        for pos, s in self.hits(text):
            i = bisect_right(starts, pos) - 1
            if i >= 0 and pos < spans[i][1]:
                out[i].add(s)
        return out
