"""Corpus statistics from the FTS index: how many chunks contain a word (idf), and near spellings of unknown words."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text

from ..store.db import Database
from .query import STOP_WORDS, fold, topic_words, words
from .textmatch import idf_weights, stem


@dataclass(frozen=True)
class QueryTerms:
    """A query's topic stems with their idf, and spelling corrections found in the library's vocabulary."""

    stems: tuple[str, ...]
    words: tuple[str, ...]  # the query's own word for each stem (FTS5 stems it itself)
    idf: dict[str, float]
    corrections: dict[str, str]

    def fts_terms(self) -> list[str]:
        return [self.corrections.get(s, w) for s, w in zip(self.stems, self.words)]

    def match_stems(self) -> list[str]:
        """Stems to look for in passages: corrected spellings replace unknown words."""
        return [self.corrections.get(s, s) for s in self.stems]


def chunk_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM chunks")).scalar() or 0)


def doc_frequencies(db: Database, terms: Iterable[str]) -> dict[str, int]:
    """Number of chunks containing each word (FTS5 applies the same stemming as at indexing)."""
    out: dict[str, int] = {}
    with db.engine.connect() as conn:
        for w in set(terms):
            if not w or w in out:
                continue
            out[w] = int(conn.execute(text("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH :q"),
                                      {"q": _in_text(w)}).scalar() or 0)
    return out


def _in_text(phrase: str) -> str:
    """An FTS5 query for the word or phrase in a chunk's own words, not in its locator."""
    return 'text : "' + phrase.replace('"', '""') + '"'


def phrase_occurs(db: Database, a: str, b: str) -> bool:
    """Whether the two words are written one after the other in some chunk."""
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH :q LIMIT 1"),
                           {"q": _in_text(f"{a} {b}")}).first()
    return row is not None


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = i
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            best = min(best, cur[j])
        if best > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def spelling_neighbour(db: Database, stem_: str, limit: int = 1) -> str | None:
    """The indexed term within `limit` edits of a word (0: the word itself), the most frequent first."""
    if len(stem_) < 5 or not stem_.isalpha():
        return None
    with db.engine.connect() as conn:
        if limit == 0:
            row = conn.execute(text("SELECT term FROM chunks_vocab WHERE term = :t"), {"t": stem_}).first()
            return row[0] if row else None
        rows = conn.execute(text("SELECT term, doc FROM chunks_vocab WHERE term >= :a AND term < :b "
                                 "AND length(term) BETWEEN :lo AND :hi"),
                            {"a": stem_[0], "b": chr(ord(stem_[0]) + 1), "lo": len(stem_) - limit,
                             "hi": len(stem_) + limit}).all()
    best = None
    for term, df in rows:
        d = _edit_distance(stem_, term, limit)
        if d <= limit and (best is None or (d, -df) < best[0]):
            best = ((d, -df), term)
    return best[1] if best else None


# a lone capital letter, not the question's first word: "a C function", "C++ code", "in R"
_LETTER_NAME = re.compile(r"(?<=\S\s)(?![AI]\b)[A-Z](?=\+*(?:\s|[,.?!;:)]|$))")
_NAME = re.compile(r"(?<=\S\s)[A-Z][a-z]{4,}\b")  # a capitalised word that does not start the question


def query_terms(db: Database, query: str) -> QueryTerms:
    """Stems of the query's topic words with idf weights from this library.

    A single capital letter inside the question is a name and counts as a topic word ("a C function", "C++",
    "an R error"), although one-letter words are dropped elsewhere; "A" and "I" are not names.

    Two repairs, both kept narrow because a wrong one misleads every ranking signal:
    - a capitalised name the library does not contain is matched to the indexed name one edit away
      ("Celeron" → "Céloron", "Mexian" → "Mexican");
    - two adjacent topic words that the library only has written as one word are joined ("Le grand" →
      "LeGrande", "high pressure" → "highpressure"); when the library never writes the pair apart, the joined
      word replaces its parts, which alone would match unrelated passages ("Fort Le Boeuf").
    """
    by_stem: dict[str, str] = {}
    for w in topic_words(query):
        by_stem.setdefault(stem(w), w)
    for m in _LETTER_NAME.finditer(query):
        by_stem.setdefault(m.group(0).lower(), m.group(0).lower())
    df_words = doc_frequencies(db, by_stem.values())
    n = chunk_count(db)
    df = {s: df_words.get(w, 0) for s, w in by_stem.items()}
    corrections: dict[str, str] = {}
    if n:
        names = {stem(fold(m.group(0)).lower()) for m in _NAME.finditer(query)}
        for s, d in list(df.items()):
            if d == 0 and s in names:
                near = spelling_neighbour(db, s, limit=1)
                if near is not None:
                    corrections[s] = near
        raw = [w.split("'")[0] for w in words(query)]
        parted: set[str] = set()
        for a, b in zip(raw, raw[1:]):
            joined = stem(a + b)
            if a in STOP_WORDS or b in STOP_WORDS or joined in by_stem or not (a + b).isalpha():
                continue
            near = spelling_neighbour(db, joined, limit=0)
            if near is not None:
                by_stem[joined] = a + b
                corrections[joined] = near
                if not phrase_occurs(db, a, b):
                    # the pair is never written apart here, so its parts alone point elsewhere ("Le" in
                    # "Fort Le Boeuf" for "Le grand" -> "LeGrande")
                    parted.update(stem(w) for w in (a, b) if raw.count(w) == 1)
        for near in corrections.values():
            df[near] = doc_frequencies(db, [near]).get(near, 0)
        for p in parted:
            by_stem.pop(p, None)
    stems = tuple(by_stem)
    idf = idf_weights([*stems, *corrections.values()], df, n)
    return QueryTerms(stems, tuple(by_stem.values()), idf, corrections)
