"""Finding a quote's exact words on PDF pages (no PyMuPDF here: `pdf.py` supplies the words).

Matching runs on letters and digits only, case- and accent-folded: line breaks, hyphenation at line ends
("recog-" / "nition"), ligatures, punctuation variants and spacing cannot make a real quote miss. Every character of
that folded stream remembers the word it came from, so a match maps back to whole words, and the words to one
rectangle per visual line. Words come in the same reading order as `parse_pdf` uses (`pdf.py` places them in the
same `Line`s), so a quote that runs from one column into the next, or onto the next page, is still one match.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..types import Rect
from .pdf_layout import Line, clean

_ELLIPSIS = re.compile(r"\.\.\.+|\u2026|\[\s*\.\.\.\s*\]")


class Word:
    """A word on a page: its folded key, its box, and the visual line it belongs to (an id)."""

    __slots__ = ("page", "x0", "y0", "x1", "y1", "key", "line")

    def __init__(self, page: int, x0: float, y0: float, x1: float, y1: float, key: str, line: int):
        self.page, self.x0, self.y0, self.x1, self.y1, self.key, self.line = page, x0, y0, x1, y1, key, line


def fold(text: str) -> str:
    """Letters and digits only, lower-cased, accents and ligatures removed: the matching alphabet."""
    text = unicodedata.normalize("NFKD", clean(text).lower())
    return "".join(c for c in text if c.isalnum())


def page_words(lines: Sequence[Line], words_of: dict[int, list[tuple]]) -> list[Word]:
    """The words of a page's lines, in the lines' order.

    Args:
        lines: the page's visual lines in reading order (as `parse_pdf` orders them).
        words_of: per `id(line)`, PyMuPDF "words" tuples (x0, y0, x1, y1, text, block, line, word) of that line.
    """
    out: list[Word] = []
    for line in lines:
        # A visual line may join several MuPDF lines (left to right): their (line, word) numbers keep that order.
        for w in sorted(words_of.get(id(line), ()), key=lambda w: (w[6], w[7])):
            out.append(Word(line.page, w[0], w[1], w[2], w[3], fold(w[4]), id(line)))
    return out


def locate(words: Sequence[Word], quote: str) -> list[tuple[int, Rect]]:
    """The (page, rect) pairs, one per visual line, covering the words of `quote` in `words`; [] if not found.

    A quote with an ellipsis ("first part ... second part") matches its parts in order, each part's words only.
    """
    parts = [fold(p) for p in _ELLIPSIS.split(quote)]
    parts = [p for p in parts if p]
    if not parts or not words:
        return []
    stream_parts: list[str] = []
    owner: list[int] = []
    for i, w in enumerate(words):
        stream_parts.append(w.key)
        owner.extend([i] * len(w.key))
    stream = "".join(stream_parts)
    starts = {len(owner)}
    pos = 0
    for w in words:
        if w.key:
            starts.add(pos)
        pos += len(w.key)
    hits: list[tuple[int, int]] = []
    at = 0
    for part in parts:
        found = _find(stream, part, at, starts)
        if found < 0:
            return []
        hits.append((owner[found], owner[found + len(part) - 1]))
        at = found + len(part)
    rects: list[tuple[int, Rect]] = []
    for first, last in hits:
        rects.extend(_line_rects(words[first:last + 1]))
    return rects


def _find(stream: str, part: str, at: int, starts: set[int]) -> int:
    """First occurrence at word boundaries (start and end), else the first occurrence anywhere."""
    first_any = -1
    i = stream.find(part, at)
    while i >= 0:
        if first_any < 0:
            first_any = i
        if i in starts and (i + len(part)) in starts:
            return i
        i = stream.find(part, i + 1)
    # Inside words only when the quote is long enough not to match by accident ("art" in "start").
    return first_any if len(part) >= 12 else -1


def _line_rects(words: Sequence[Word]) -> list[tuple[int, Rect]]:
    out: list[tuple[int, list[float]]] = []
    prev: Word | None = None
    for w in words:
        if prev is not None and w.line == prev.line:
            r = out[-1][1]
            r[0], r[1], r[2], r[3] = min(r[0], w.x0), min(r[1], w.y0), max(r[2], w.x1), max(r[3], w.y1)
        else:
            out.append((w.page, [w.x0, w.y0, w.x1, w.y1]))
        prev = w
    return [(page, (r[0], r[1], r[2], r[3])) for page, r in out]

