"""Page layout logic for PDFs, on plain line records: reading order, running headers/footers, line joining.

No PyMuPDF here: `pdf.py` turns each page into `Line`s, and everything that decides what the text *is* lives in
this module so it can be tested and reasoned about without a PDF.
"""
from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence

# Ligatures become their letters, soft hyphens and zero-width marks vanish, odd spaces become spaces. A targeted
# table rather than NFKC: NFKC also rewrites superscripts, fractions and ellipses, which would make the chunk text
# disagree with what the page shows.
_TRANSLATE = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ", "\u3000": " ", "\t": " ",
    "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None, "\x00": None,
})
SOFT_HYPHEN = "\u00ad"
_HYPHENS = ("-", "\u2010", SOFT_HYPHEN)
_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
# A page number alone: "12", "- 12 -", "[xiv]", "Page 3 of 10". Not "41:" or "// 4" (numbered code lines).
_PAGE_NUMBER = re.compile(r"^[\s\-\u2013\u2014\[(|\u00b7\u2022]*(?:page|p\.|seite|p\u00e1g\.?)?\s*(?:\d{1,5}|[ivxlcdm]{1,8})"
                          r"(?:\s*(?:/|of|von|de)\s*\d{1,5})?[\s\-\u2013\u2014\])|\u00b7\u2022]*$", re.IGNORECASE)
_EDGE_NUMBER = re.compile(r"^\s*(\d{1,5})\b|\b(\d{1,5})\s*$")
# Words that keep their hyphen at a line end ("self-" + "aware"), unless what follows is only a suffix
# ("self-" + "ish" is the hyphenated word "selfish").
_COMPOUND_PREFIXES = frozenset({"self", "well", "half", "cross", "non", "ill", "all", "co"})
_SUFFIXES = ("ing", "ish", "ed", "er", "ers", "ly", "ness", "less", "ous", "ity", "al", "es", "s")
_SENTENCE_END = ".!?:;"

MARGIN = 0.15  # top/bottom fraction of the page where running headers and footers live


def clean(text: str) -> str:
    """Normalise ligatures and odd spaces (see `_TRANSLATE`); whitespace runs are not collapsed here."""
    return text.translate(_TRANSLATE)


class Line:
    """One visual line of a page, in PDF points with origin top-left.

    `pieces` are three tuples (ends, x0s, x1s): span i holds text[ends[i-1]:ends[i]] and runs from x0s[i] to
    x1s[i]; they narrow the line's rectangle to part of its text. `block` numbers the layout block the line came from (unique in
    the document); `size` is the font size carrying most characters; `bold` means every span is bold.
    """

    __slots__ = ("page", "x0", "y0", "x1", "y1", "text", "size", "bold", "block", "pieces")

    def __init__(self, page: int, x0: float, y0: float, x1: float, y1: float, text: str, size: float = 0.0,
                 bold: bool = False, block: int = 0, pieces: tuple = ()):
        self.page, self.x0, self.y0, self.x1, self.y1 = page, x0, y0, x1, y1
        self.text, self.size, self.bold, self.block, self.pieces = text, size, bold, block, pieces

    @property
    def rect(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    def sub_rect(self, start: int, end: int) -> tuple[float, float, float, float]:
        """The rectangle of text[start:end], interpolated inside the spans that hold it."""
        if start <= 0 and end >= len(self.text) or not self.pieces or not self.pieces[0]:
            return self.rect
        x0 = self._x_at(start)
        return (x0, self.y0, max(x0, self._x_at(end)), self.y1)

    def _x_at(self, pos: int) -> float:
        ends, x0s, x1s = self.pieces
        i = bisect.bisect_right(ends, pos)
        if i >= len(ends):
            return self.x1
        s = ends[i - 1] if i else 0
        return x0s[i] + (x1s[i] - x0s[i]) * (pos - s) / max(1, ends[i] - s)

    def __repr__(self) -> str:
        return f"Line(p{self.page} {self.y0:.0f} {self.text[:40]!r})"


# --------------------------------------------------------------------------- running headers and footers
def margin_key(text: str) -> str:
    """What makes two margin lines "the same" header: case-folded, digits and whitespace removed."""
    return _WS.sub(" ", _DIGITS.sub("", text.lower())).strip(" .-–—|·•")


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip())) and len(text) < 24


def running_margin_lines(pages: Sequence[Sequence[Line]], heights: Sequence[float]) -> set[int]:
    """The ids (`id(line)`) of lines that are running headers, footers or page numbers.

    Candidates are the outermost rows of a page, inside the top or bottom margin band, up to the first visible gap
    that sets them off from the body (at most two rows). A candidate is dropped, with the rest of its row, when
    - it is a bare page number ("12", "xiv", "Page 3 of 9"), or
    - it starts or ends with a number that tracks the page index (the printed page number: "Chapter 7: Data 35"),
      the same offset being seen on at least 3 pages; this catches a chapter's header on its only two pages, or
    - the same text (digits ignored, at least two letters) in the same font size and at the same height repeats on
      at least 3 pages (2 in a two-page document), at a height where few different texts appear. Headers name
      a few chapters over many pages; code or body lines that happen to end pages differ from page to page.
    """
    n = len(pages)
    need = 3 if n >= 3 else 2
    counts: dict[tuple, set[int]] = defaultdict(set)
    offsets: dict[int, set[int]] = defaultdict(set)
    slot_keys: dict[tuple, set[str]] = defaultdict(set)
    slot_pages: dict[tuple, set[int]] = defaultdict(set)
    cands: list[tuple[int, int, Line, tuple, int | None]] = []  # (page, row, line, key, offset)
    for i, (lines, h) in enumerate(zip(pages, heights)):
        top, bottom = h * MARGIN, h * (1 - MARGIN)
        for band, row, ln in _edge_lines(lines, top, bottom):
            slot = (band, round((ln.y0 if band == "top" else ln.y1) / 2))
            text = margin_key(ln.text)
            key = (slot, text, round(ln.size)) if sum(c.isalpha() for c in text) >= 2 else None
            m = _EDGE_NUMBER.search(ln.text)
            off = int(m.group(1) or m.group(2)) - i if m else None
            cands.append((i, row, ln, key, off))
            if key is not None:
                counts[key].add(i)
                slot_keys[slot].add(text)
                slot_pages[slot].add(i)
            if off is not None:
                offsets[off].add(i)
    rows_hit: set[tuple[int, int]] = set()
    for i, row, ln, key, off in cands:
        if is_page_number(ln.text) or (off is not None and len(offsets[off]) >= need and len(ln.text) < 120):
            rows_hit.add((i, row))
        elif n >= 2 and key is not None and len(counts[key]) >= need \
                and len(slot_keys[key[0]]) <= 0.5 * len(slot_pages[key[0]]):
            rows_hit.add((i, row))
    return {id(ln) for i, row, ln, _, _ in cands if (i, row) in rows_hit}


def _edge_lines(lines: Sequence[Line], top: float, bottom: float) -> Iterator[tuple[str, int, Line]]:
    """(band, row id, line) for the outermost rows, up to the first gap that separates them from the body."""
    rows: dict[int, list[Line]] = defaultdict(list)
    for ln in lines:
        rows[round(ln.y0 / 3)].append(ln)
    ordered = [rows[k] for k in sorted(rows)]
    box = [(min(ln.y0 for ln in r), max(ln.y1 for ln in r)) for r in ordered]
    for band, idx in (("top", list(range(len(ordered)))), ("bottom", list(range(len(ordered) - 1, -1, -1)))):
        for k in range(min(2, len(idx))):
            y0, y1 = box[idx[k]]
            if (y1 > top) if band == "top" else (y0 < bottom):
                break
            if k + 1 == len(idx):  # nothing else on the page (a blank page with its header)
                gap = float("inf")
            else:
                n0, n1 = box[idx[k + 1]]
                gap = (n0 - y1) if band == "top" else (y0 - n1)
            if gap >= max(3.0, 0.4 * (y1 - y0)):
                for j in range(k + 1):
                    for ln in ordered[idx[j]]:
                        yield band, idx[j], ln
                break


# --------------------------------------------------------------------------- reading order
class Block:
    """A layout block (a paragraph, usually) with its lines and bounding box."""

    __slots__ = ("x0", "y0", "x1", "y1", "lines")

    def __init__(self, lines: list[Line]):
        self.lines = lines
        self.x0 = min(ln.x0 for ln in lines)
        self.y0 = min(ln.y0 for ln in lines)
        self.x1 = max(ln.x1 for ln in lines)
        self.y1 = max(ln.y1 for ln in lines)


def split_columns(lines: list[Line]) -> list[list[Line]]:
    """Split one MuPDF block whose lines stand side by side (it grouped two columns) at the vertical gaps.

    A gap is an x-range, at least one font size wide, that none of the block's lines crosses; a normal paragraph,
    whose lines all start at the same margin, has none and comes back whole.
    """
    if len(lines) < 2:
        return [lines]
    order = sorted(lines, key=lambda ln: ln.x0)
    cuts = []
    reach = order[0].x1
    for ln in order[1:]:
        if ln.x0 - reach >= max(ln.size, 4.0):
            cuts.append((reach + ln.x0) / 2)
        reach = max(reach, ln.x1)
    if not cuts:
        return [lines]
    groups: list[list[Line]] = [[] for _ in range(len(cuts) + 1)]
    for ln in lines:  # keeps MuPDF's order inside each group
        groups[sum(1 for c in cuts if ln.x0 > c)].append(ln)
    return [g for g in groups if g]


def order_blocks(blocks: list[Block]) -> list[Block]:
    """Blocks of one page in reading order: column by column, full-width blocks at their vertical place.

    Finds a gutter (a vertical strip that no column-sized block crosses, with text on both sides side by side);
    blocks crossing it (titles, wide figures) cut the page into bands, and inside a band the left side is read
    before the right, each side ordered recursively (so three columns work too). Without a gutter, top to bottom.
    """
    if len(blocks) <= 1:
        return list(blocks)
    gutter = _find_gutter(blocks)
    if gutter is None:
        return sorted(blocks, key=lambda b: (round(b.y0, 0), b.x0))
    g0, g1 = gutter
    out: list[Block] = []
    band: list[Block] = []
    for b in sorted(blocks, key=lambda b: (b.y0, b.x0)):
        if b.x0 < g0 and b.x1 > g1:
            out.extend(_order_band(band, g0))
            band = []
            out.append(b)
        else:
            band.append(b)
    out.extend(_order_band(band, g0))
    return out


def _order_band(band: list[Block], g0: float) -> list[Block]:
    left = [b for b in band if b.x1 <= g0 + 0.5]
    right = [b for b in band if b.x1 > g0 + 0.5]
    return order_blocks(left) + order_blocks(right)


def _find_gutter(blocks: list[Block]) -> tuple[float, float] | None:
    minx = min(b.x0 for b in blocks)
    maxx = max(b.x1 for b in blocks)
    width = maxx - minx
    if width < 100:
        return None
    narrow = sorted((b for b in blocks if b.x1 - b.x0 < 0.6 * width), key=lambda b: b.x0)
    if len(narrow) < 2:
        return None
    best = None
    reach = narrow[0].x1
    for b in narrow[1:]:
        gap = b.x0 - reach
        if gap >= max(6.0, 0.02 * width) and (best is None or gap > best[1] - best[0]):
            best = (reach, b.x0)
        reach = max(reach, b.x1)
    if best is None:
        return None
    g0, g1 = best
    left = [b for b in narrow if b.x1 <= g0 + 0.5]
    right = [b for b in narrow if b.x0 >= g1 - 0.5]
    spanning = [b for b in blocks if b.x0 < g0 and b.x1 > g1]
    n_left = sum(len(b.lines) for b in left)
    n_right = sum(len(b.lines) for b in right)
    n_span = sum(len(b.lines) for b in spanning)
    if n_left < 2 or n_right < 2 or n_span >= n_left + n_right:
        return None
    # Text columns are wide and hold paragraphs; a table of page numbers or cells is narrow or one line per block.
    if min(max(b.x1 for b in left) - min(b.x0 for b in left),
           max(b.x1 for b in right) - min(b.x0 for b in right)) < 0.25 * width:
        return None
    if (n_left + n_right) / (len(left) + len(right)) < 1.5:
        return None
    # The two sides must stand side by side, not one above the other.
    ly0, ly1 = min(b.y0 for b in left), max(b.y1 for b in left)
    ry0, ry1 = min(b.y0 for b in right), max(b.y1 for b in right)
    if min(ly1, ry1) - max(ly0, ry0) < 0.3 * min(ly1 - ly0, ry1 - ry0):
        return None
    return best


# --------------------------------------------------------------------------- joining lines into text
def join_lines(lines: Sequence[Line]) -> tuple[str, list[tuple[int, int]]]:
    """Join lines (in reading order) into one text and return each line's [start, end) in it.

    Lines of a block are joined by a space; a block that does not continue a sentence starts a new paragraph
    ("\\n"). A word hyphenated at a line end is rejoined ("recog-" + "nition") when the next line starts in lower
    case, unless it is a compound like "self-" + "aware"; before a capital or digit the hyphen stays ("Anglo-Saxon").
    """
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    prev: Line | None = None
    prev_text = ""
    for ln in lines:
        text = ln.text
        if prev is not None:
            sep, drop = _separator(prev, prev_text, ln)
            if drop:  # remove the line-end hyphen of the previous line
                parts[-1] = parts[-1][:-1]
                pos -= 1
                s, _ = offsets[-1]
                offsets[-1] = (s, pos)
            parts.append(sep)
            pos += len(sep)
        parts.append(text)
        offsets.append((pos, pos + len(text)))
        pos += len(text)
        prev, prev_text = ln, text
    return "".join(parts), offsets


def _separator(prev: Line, prev_text: str, line: Line) -> tuple[str, bool]:
    """(separator before `line`, whether to drop the last character of `prev_text`)."""
    text = line.text
    last = prev_text[-1:]
    first = text[:1]
    if last in _HYPHENS and len(prev_text) >= 2 and prev_text[-2].isalpha():
        if last == SOFT_HYPHEN:
            return "", True
        if first.islower():
            return ("", False) if _is_compound(prev_text, text) else ("", True)
        if first.isupper() or first.isdigit():
            return "", False
    if prev.block == line.block:
        return " ", False
    return " " if (last not in _SENTENCE_END and first.islower()) else "\n", False


def _is_compound(prev_text: str, text: str) -> bool:
    m = re.search(r"([A-Za-z]+)[-\u2010]$", prev_text)
    if not m or m.group(1).lower() not in _COMPOUND_PREFIXES:
        return False
    nxt = re.match(r"[a-z]+", text)
    word = nxt.group() if nxt else ""
    return len(word) >= 4 and not any(word == s for s in _SUFFIXES)


def collapse_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()

