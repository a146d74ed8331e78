"""A PDF's section tree and chunks, built from its lines in reading order (no PyMuPDF here).

Sections come from the outline when the PDF has one, else from headings recognised by font size and weight, else
from groups of pages. Each section owns a contiguous run of lines; its text is those lines joined
(`pdf_layout.join_lines`), cut into sentence units that `chunking.pack_units` packs into chunks, so a chunk never
crosses a section boundary and carries one `LineBox` per visual line it touches.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import Cancelled
from ..types import LineBox, ParsedChunk, ParsedSection
from .chunking import Span, TokenCounter, Unit, join_units, pack_units, sentence_bounds
from .pdf_layout import Line, collapse_ws, join_lines

PAGES_PER_GROUP = 10
FRONT_MATTER = "Front matter"
_NON_ALNUM = re.compile(r"[\W_]+")
_HEADING_RATIO = 1.15  # a heading's font is at least this much larger than the body's
_MAX_HEADING_WORDS = 20
_TOC_ENTRY = re.compile(r"(?:\.\s*){2,}\s*(?:\d+|[ivxlc]+)$|\u2026\s*(?:\d+|[ivxlc]+)$")  # "Introduction . . . . 7": a contents line


@dataclass
class SectionStart:
    """Where a section begins: the index of its first line in the document's line list."""

    level: int
    title: str
    line: int
    page: int | None = None


def alnum_key(text: str) -> str:
    """Lower-case letters and digits only: how titles and heading lines are compared."""
    return _NON_ALNUM.sub("", text.lower())


# --------------------------------------------------------------------------- section starts
def outline_starts(lines: Sequence[Line], toc: Sequence[tuple[int, str, int, float | None]]) -> list[SectionStart]:
    """Resolve outline entries (level, title, 1-based page, destination y or None) to line positions.

    The heading line is found by its title on the entry's page (a heading may wrap over up to three lines, and may
    carry a number the outline lacks or the reverse); failing that, the first line at or below the destination's
    y; failing that, the page's first line. Positions never go backwards, so a disordered outline yields empty
    sections rather than overlapping ones.
    """
    pages = [ln.page for ln in lines]
    out: list[SectionStart] = []
    prev = 0
    for level, title, page, y in toc:
        start = prev
        if 1 <= page:
            lo = max(prev, bisect.bisect_left(pages, page))
            hi = bisect.bisect_right(pages, page)
            start = _find_title(lines, lo, hi, alnum_key(title))
            if start is None and y is not None:
                start = next((i for i in range(lo, hi) if lines[i].y1 > y + 1), None)
            if start is None:
                start = lo
        start = max(start, prev)
        out.append(SectionStart(max(1, level), collapse_ws(title) or "Untitled", start, page if page >= 1 else None))
        prev = start
    return out


def _find_title(lines: Sequence[Line], lo: int, hi: int, key: str) -> int | None:
    """First line in [lo, hi) where the title starts (on up to three lines); exact matches beat partial ones."""
    if not key:
        return None
    for strict in (True, False):
        for i in range(lo, hi):
            combo = ""
            for j in range(i, min(i + 3, hi)):
                combo += alnum_key(lines[j].text)
                if _title_matches(key, combo, strict):
                    return i
                if len(combo) >= len(key) + 12:
                    break
    return None


def _title_matches(key: str, combo: str, strict: bool) -> bool:
    """Same title, allowing a section number on one side only ("19.1.13 fill" is the heading of "fill"); when not
    strict, one may also hold the other with a little more around it."""
    if not combo:
        return False
    if key == combo or key.lstrip("0123456789") == combo.lstrip("0123456789") != "":
        return True
    if strict:
        return False
    if key in combo:
        return len(key) >= 0.5 * len(combo) and len(key) >= 3
    return combo in key and len(combo) >= 0.6 * len(key) and len(combo) >= 3


def body_size(lines: Sequence[Line]) -> float:
    """The font size carrying the most characters (rounded to half points)."""
    counts: Counter[float] = Counter()
    for ln in lines:
        counts[round(ln.size * 2) / 2] += len(ln.text)
    return counts.most_common(1)[0][0] if counts else 0.0


def heading_starts(lines: Sequence[Line], body: float | None = None) -> list[SectionStart]:
    """Headings recognised by font: lines noticeably larger than the body text, or short bold lines that start a
    block. Larger fonts get lower (outer) levels; consecutive heading lines of one heading are merged. A size whose
    lines hold more than a fifth of the text is body text, not headings."""
    body = body if body is not None else body_size(lines)
    if not lines or body <= 0:
        return []
    total = sum(len(ln.text) for ln in lines) or 1
    big: dict[float, list[int]] = {}
    bold: list[int] = []
    prev_block = None
    for i, ln in enumerate(lines):
        first_in_block = ln.block != prev_block
        prev_block = ln.block
        text = ln.text
        if len(text) > 150 or not any(c.isalpha() for c in text) or len(text.split()) > _MAX_HEADING_WORDS \
                or _TOC_ENTRY.search(text):
            continue
        size = round(ln.size * 2) / 2
        if size >= body * _HEADING_RATIO:
            big.setdefault(size, []).append(i)
        elif ln.bold and size >= body * 0.95 and (first_in_block or (bold and bold[-1] == i - 1)) \
                and len(text.split()) <= 12 and not text.rstrip().endswith((".", ",", ";")):
            bold.append(i)
    sizes = [s for s in sorted(big, reverse=True) if sum(len(lines[i].text) for i in big[s]) <= 0.2 * total]
    level_of: dict[int, int] = {}
    for rank, s in enumerate(sizes):
        for i in big[s]:
            level_of[i] = min(rank + 1, 3)
    bold_level = min(len(sizes), 3) + 1  # bold body-size headings sit below every size level
    if sum(len(lines[i].text) for i in bold) <= 0.2 * total:
        for i in bold:
            level_of.setdefault(i, bold_level)
    out: list[SectionStart] = []
    last_i = -2
    for i in sorted(level_of):
        ln = lines[i]
        if out and last_i == i - 1 and level_of[last_i] == level_of[i] and lines[last_i].page == ln.page \
                and ln.y0 - lines[last_i].y1 < 1.5 * (ln.y1 - ln.y0):
            out[-1].title = f"{out[-1].title} {ln.text}"
        else:
            out.append(SectionStart(level_of[i], ln.text, i, ln.page))
        last_i = i
    for s in out:
        s.title = collapse_ws(s.title)
    return out


def page_group_starts(lines: Sequence[Line], page_count: int) -> list[SectionStart]:
    """Fallback sections of `PAGES_PER_GROUP` pages ("Pages 1–10"); groups without text are left out."""
    pages = [ln.page for ln in lines]
    out = []
    for first in range(1, page_count + 1, PAGES_PER_GROUP):
        last = min(page_count, first + PAGES_PER_GROUP - 1)
        i = bisect.bisect_left(pages, first)
        if i < len(lines) and lines[i].page <= last:
            title = f"Page {first}" if first == last else f"Pages {first}\u2013{last}"
            out.append(SectionStart(1, title, i, first))
    return out


def first_page_title(lines: Sequence[Line], body: float) -> str:
    """The largest text on the first page with text, if it is clearly larger than the body text."""
    if not lines:
        return ""
    page = lines[0].page
    first = [ln for ln in lines[:200] if ln.page == page]
    top = max(first, key=lambda ln: ln.size)
    if top.size < body * _HEADING_RATIO:
        return ""
    parts = [ln.text for ln in first if abs(ln.size - top.size) < 0.25 and abs(ln.y0 - top.y0) < 4 * (top.y1 - top.y0)]
    return collapse_ws(" ".join(parts))[:200]


# --------------------------------------------------------------------------- sections and chunks
def build_sections(starts: list[SectionStart], lines: Sequence[Line],
                   page_count: int) -> tuple[list[ParsedSection], list[tuple[int, int]]]:
    """The section list (parents by level) and each section's [first, end) line range.

    Text before the first start becomes a "Front matter" section; a document always has at least one section.
    `page_end` covers a section's descendants (it runs to the next section of the same or an outer level).
    """
    starts = list(starts)
    if not starts or starts[0].line > 0 and lines:
        level = min((s.level for s in starts), default=1)
        starts.insert(0, SectionStart(level, FRONT_MATTER, 0, lines[0].page if lines else 1))
    n = len(lines)
    sections: list[ParsedSection] = []
    ranges: list[tuple[int, int]] = []
    stack: list[int] = []  # indexes of open ancestors
    for k, s in enumerate(starts):
        end = starts[k + 1].line if k + 1 < len(starts) else n
        while stack and sections[stack[-1]].level >= s.level:
            stack.pop()
        page_start = min(s.page or (lines[s.line].page if s.line < n else page_count), page_count)
        sections.append(ParsedSection(title=s.title, level=s.level, parent=stack[-1] if stack else None,
                                      page_start=page_start, page_end=page_start))
        ranges.append((s.line, max(s.line, end)))
        stack.append(k)
    # page_end: the last page before the next section at the same or an outer level.
    for k, s in enumerate(starts):
        nxt = next((t.line for t in starts[k + 1:] if t.level <= s.level), n)
        last = lines[nxt - 1].page if nxt > s.line and nxt - 1 < n else sections[k].page_start
        sections[k].page_end = max(sections[k].page_start or 1, last)
    return sections, ranges


def section_units(lines: Sequence[Line]) -> tuple[str, list[Unit], list[tuple[int, int]]]:
    """A section's text, its sentence units (span data: index of the line within `lines`), and each line's
    [start, end) in the text."""
    text, offsets = join_lines(lines)
    line_starts = [s for s, _ in offsets]
    units: list[Unit] = []
    prev_end = 0
    pos = 0
    for para in text.split("\n"):
        for a, b in sentence_bounds(para):
            a, b = a + pos, b + pos
            spans = []
            k = max(0, bisect.bisect_right(line_starts, a) - 1)
            while k < len(offsets) and offsets[k][0] < b:
                ls, le = offsets[k]
                if le > a:
                    spans.append(Span(max(ls, a) - a, min(le, b) - a, k))
                k += 1
            units.append(Unit(text[a:b], a, text[prev_end:a] if units else "", tuple(spans)))
            prev_end = b
        pos += len(para) + 1
    return text, units, offsets


def section_chunks(section: int, lines: Sequence[Line], units: list[Unit], offsets: list[tuple[int, int]],
                   chunk_tokens: int, count_tokens: TokenCounter) -> list[ParsedChunk]:
    """Pack one section's units into chunks with one box per visual line (char offsets inside the chunk text)."""
    chunks = []
    for group in pack_units(units, chunk_tokens, count_tokens):
        ctext, spans = join_units(group)
        boxes = _boxes(lines, spans, group[0].start, offsets)
        if not boxes:
            continue
        chunks.append(ParsedChunk(section=section, text=ctext, page=boxes[0].page,
                                  page_end=max(b.page for b in boxes), char_start=group[0].start,
                                  char_end=group[-1].end, boxes=boxes))
    return chunks


def _boxes(lines: Sequence[Line], spans: list[Span], char_start: int,
           offsets: list[tuple[int, int]]) -> list[LineBox]:
    """One box per line touched; a line only partly in the chunk (a chunk starting or ending mid-line) gets the
    rectangle of that part."""
    merged: list[list[int]] = []  # [start, end, line index], offsets in the chunk text
    for s in spans:
        if merged and merged[-1][2] == s.data and s.start - merged[-1][1] <= 1:
            merged[-1][1] = s.end
        else:
            merged.append([s.start, s.end, s.data])
    out = []
    for start, end, k in merged:
        ln = lines[k]
        line_start = offsets[k][0]
        rect = ln.sub_rect(char_start + start - line_start, char_start + end - line_start)
        out.append(LineBox(ln.page, start, end, rect))
    return out


def chunk_document(lines: Sequence[Line], ranges: list[tuple[int, int]], chunk_tokens: int,
                   count_tokens: TokenCounter, cancel: Callable[[], bool] | None = None,
                   batch: int = 4096) -> list[ParsedChunk]:
    """Chunks of every section; unit token counts are computed up front in large batches (the counter is the
    expensive part) and served to `pack_units` from a cache."""
    per_section = []
    for first, end in ranges:
        sec_lines = lines[first:end]
        _, units, offsets = section_units(sec_lines)
        per_section.append((sec_lines, units, offsets))
    texts = list({u.text for _, units, _ in per_section for u in units} | {""})
    cache: dict[str, int] = {}
    for i in range(0, len(texts), batch):
        if cancel is not None and cancel():
            raise Cancelled("Cancelled while counting tokens.")
        part = texts[i:i + batch]
        cache.update(zip(part, count_tokens(part)))

    def cached(batch_texts: list[str]) -> list[int]:
        missing = [t for t in batch_texts if t not in cache]
        if missing:
            cache.update(zip(missing, count_tokens(missing)))
        return [cache[t] for t in batch_texts]

    chunks: list[ParsedChunk] = []
    for k, (sec_lines, units, offsets) in enumerate(per_section):
        if cancel is not None and cancel():
            raise Cancelled("Cancelled while chunking.")
        chunks.extend(section_chunks(k, sec_lines, units, offsets, chunk_tokens, cached))
    return chunks
