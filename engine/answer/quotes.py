"""Resolving a quote (a span of a stored chunk) to where it is: page and rectangles, or a file's line range.

The chunk's line boxes say which visual lines the quote touches and on which pages; the exact rectangles of the
quote's words on each page come from the PDF itself (quote_rects searches the page's words, so line breaks,
hyphenation and ligatures are handled there). If the PDF cannot be read any more (moved, changed), the stored
line boxes are clipped proportionally instead, so a citation never loses its place.
"""
from __future__ import annotations

import logging
import os

from ..retrieval.answertype import answer_type, asked_for, offers
from ..retrieval.textmatch import content_stems
from ..types import Citation, Rect
from .evidence import Evidence

log = logging.getLogger(__name__)


def _clip(rect: Rect, line_start: int, line_end: int, a: int, b: int) -> Rect:
    """The part of a line's box covering characters [a, b) of it, assuming even character widths."""
    x0, y0, x1, y1 = rect
    n = max(line_end - line_start, 1)
    fa = (max(a, line_start) - line_start) / n
    fb = (min(b, line_end) - line_start) / n
    return (x0 + (x1 - x0) * fa, y0, x0 + (x1 - x0) * fb, y1)


def pdf_locations(ev: Evidence) -> list[tuple[int, Rect]]:
    """(page, rect) pieces covering the evidence's text, in reading order."""
    chunk = ev.chunk
    touched = [(p, s, e, r) for p, s, e, r in chunk.boxes if s < ev.end and e > ev.start]
    if not touched:
        return []
    pages = sorted({p for p, _, _, _ in touched})
    out: list[tuple[int, Rect]] = []
    for page in pages:
        on_page = [(s, e, r) for p, s, e, r in touched if p == page]
        a = max(ev.start, on_page[0][0])
        b = min(ev.end, on_page[-1][1])
        part = chunk.text[a:b]
        exact = _exact_rects(chunk.path, page, part)
        if exact:
            out.extend((page, r) for r in exact)
        else:
            out.extend((page, _clip(r, s, e, ev.start, ev.end)) for s, e, r in on_page)
    return out


def _exact_rects(path: str, page: int, part: str) -> list[Rect]:
    if not part.strip() or not os.path.exists(path):
        return []
    try:
        from ..ingest.pdf import quote_rects

        return [tuple(r) for r in quote_rects(path, page, part)]
    except Exception:  # noqa: BLE001 - a changed or unreadable file falls back to the stored boxes
        log.debug("exact quote rects failed for %s p.%s", path, page, exc_info=True)
        return []


def quote_page(ev: Evidence, question: str | None = None) -> int | None:
    """The page a quote that runs over a page break opens at: the page whose part offers the kind of answer asked
    for (a number for "how many", a date for "when"), then the one holding more of the words that name what is
    asked for ("What *textile industry* ...": the answer is written next to them), then more of the question's
    words (the reader's own words locate the answer), then more of the quote's characters, then the first."""
    chunk = ev.chunk
    parts: dict[int, list[str]] = {}
    for p, s, e, _ in chunk.boxes:
        a, b = max(s, ev.start), min(e, ev.end)
        if b > a:
            parts.setdefault(p, []).append(chunk.text[a:b])
    if not parts:
        return chunk.page
    wanted = set(content_stems(question)) if question else set()
    named = set(content_stems(" ".join(asked_for(question)))) if question else set()
    kind = answer_type(question) if question else "other"
    first = min(parts)

    def key(page: int) -> tuple[bool, int, int, int, bool]:
        text = " ".join(parts[page])
        stems = set(content_stems(text))
        return (kind != "other" and offers(text, kind, question), len(named & stems), len(wanted & stems),
                len(text), page == first)

    return max(parts, key=key)


def to_citation(number: int, ev: Evidence, source_rank: int = 0, question: str | None = None) -> Citation:
    """A citation for one evidence unit: exact quote, page and rects (PDF) or line range (code/text)."""
    quote = " ".join(ev.text.split())
    if ev.chunk.kind == "pdf":
        locs = pdf_locations(ev)
        if locs:
            page = quote_page(ev, question)
            rects = tuple(r for p, r in locs if p == page)
        else:
            page, rects = ev.chunk.page, ()
        return Citation(id=number, path=ev.chunk.path, page=page, lines=None, quote=quote, rects=rects,
                        source_rank=source_rank, score=ev.score)
    return Citation(id=number, path=ev.chunk.path, page=None, lines=ev.lines, quote=ev.text.strip("\n"),
                    rects=(), source_rank=source_rank, score=ev.score)
