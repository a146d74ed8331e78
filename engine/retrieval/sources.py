"""Turning ranked chunk ids into `Source`s a reader can open: path, page, line range, rectangles.

A chunk that crosses a page break keeps boxes on both pages; the page a source names is the one holding most of
the query's words (ties: the page where a sentence with those words offers the kind of answer asked for, then the
page with more of the chunk's text), so a citation opens where the match is.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, text

from ..ingest.chunking import sentence_bounds
from ..store.db import Database
from ..types import Rect, Source
from .answertype import answer_type, offers
from .hybrid import Ranked
from .query import terms, words


@dataclass(frozen=True)
class ChunkRow:
    """A stored chunk with what a source needs from its document and section."""

    id: int
    document_id: int
    section_id: int
    ordinal: int
    text: str
    page: int | None
    page_end: int | None
    line_start: int | None
    line_end: int | None
    boxes: tuple[tuple[int, int, int, Rect], ...]
    path: str
    kind: str
    section_title: str
    n_tokens: int

    def boxes_on(self, page: int) -> list[tuple[int, int, Rect]]:
        return [(s, e, r) for p, s, e, r in self.boxes if p == page]


_CHUNK_SQL = ("SELECT c.id, c.document_id, c.section_id, c.ordinal, c.text, c.page, c.page_end, c.line_start, "
              "c.line_end, c.boxes, d.path, d.kind, s.title, c.n_tokens FROM chunks c "
              "JOIN documents d ON d.id = c.document_id JOIN sections s ON s.id = c.section_id ")


def _row(r) -> ChunkRow:
    boxes = tuple((int(b[0]), int(b[1]), int(b[2]), (float(b[3]), float(b[4]), float(b[5]), float(b[6])))
                  for b in json.loads(r[9] or "[]"))
    return ChunkRow(int(r[0]), int(r[1]), int(r[2]), int(r[3]), r[4], r[5], r[6], r[7], r[8], boxes, r[10], r[11],
                    r[12], int(r[13] or 0))


def load_chunks(db: Database, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
    if not chunk_ids:
        return {}
    stmt = text(_CHUNK_SQL + "WHERE c.id IN :ids").bindparams(bindparam("ids", expanding=True))
    with db.engine.connect() as conn:
        return {int(r[0]): _row(r) for r in conn.execute(stmt, {"ids": list(chunk_ids)})}


def section_chunks(db: Database, section_id: int) -> list[ChunkRow]:
    """Every chunk of a section in reading order."""
    with db.engine.connect() as conn:
        rows = conn.execute(text(_CHUNK_SQL + "WHERE c.section_id = :s ORDER BY c.ordinal"), {"s": section_id})
        return [_row(r) for r in rows]


def document_chunks(db: Database, document_id: int) -> list[ChunkRow]:
    with db.engine.connect() as conn:
        rows = conn.execute(text(_CHUNK_SQL + "WHERE c.document_id = :d ORDER BY c.ordinal"), {"d": document_id})
        return [_row(r) for r in rows]


def neighbours(db: Database, chunk: ChunkRow, radius: int) -> list[ChunkRow]:
    """The chunks within `radius` positions of `chunk` in the same section, in order (the chunk included)."""
    if radius <= 0:
        return [chunk]
    with db.engine.connect() as conn:
        rows = conn.execute(text(_CHUNK_SQL + "WHERE c.document_id = :d AND c.section_id = :s AND c.ordinal "
                                 "BETWEEN :a AND :b ORDER BY c.ordinal"),
                            {"d": chunk.document_id, "s": chunk.section_id, "a": chunk.ordinal - radius,
                             "b": chunk.ordinal + radius})
        return [_row(r) for r in rows]


def best_page(chunk: ChunkRow, query: str) -> int | None:
    """The page of a multi-page chunk that holds most of the query's words."""
    if chunk.page is None or chunk.page_end in (None, chunk.page) or not chunk.boxes:
        return chunk.page
    wanted = set(terms(query))
    kind = answer_type(query)
    best, best_key = chunk.page, (-1, False, -1)
    for page in range(chunk.page, (chunk.page_end or chunk.page) + 1):
        spans = chunk.boxes_on(page)
        if not spans:
            continue
        page_text = " ".join(chunk.text[s:e] for s, e, _ in spans)
        hits = len(wanted & {w for w in words(page_text)}) if wanted else 0
        key = (hits, _offers_near_match(page_text, wanted, kind, query), len(page_text))
        if key > best_key:
            best, best_key = page, key
    return best


def _offers_near_match(page_text: str, wanted: set[str], kind: str, query: str) -> bool:
    """Does a sentence (part) on this page both share a word with the query and offer the kind of answer it asks
    for ("when" → a date)? Breaks ties between pages that hold equally many of the query's words."""
    if kind == "other" or not wanted:
        return False
    for a, b in sentence_bounds(page_text):
        sentence = page_text[a:b]
        if wanted & set(words(sentence)) and offers(sentence, kind, query):
            return True
    return False


def to_source(chunk: ChunkRow, rank: int, score: float, query: str) -> Source:
    page = best_page(chunk, query)
    rects = tuple(r for _, _, r in chunk.boxes_on(page)) if page is not None else ()
    lines = (chunk.line_start, chunk.line_end) if chunk.line_start is not None else None
    return Source(rank=rank, path=chunk.path, page=page, lines=lines, score=score, text=chunk.text, rects=rects,
                  chunk_id=chunk.id, doc_id=chunk.document_id, section=chunk.section_title,
                  page_end=chunk.page_end)


def to_sources(db: Database, ranked: Sequence[Ranked], query: str) -> list[Source]:
    rows = load_chunks(db, [r.chunk_id for r in ranked])
    return [to_source(rows[r.chunk_id], i, r.score, query) for i, r in enumerate(ranked, start=1)
            if r.chunk_id in rows]
