"""Reading a code or text file as numbered lines, and cutting runs of lines into chunks with exact line ranges.

Shared by `code.py` and `text.py`. A chunk's `text` is always a slice of the decoded file text (newlines normalised
to "\\n"), so the lines a citation names are the lines the reader sees. Runs are cut at blank lines first (a
paragraph, a group of statements), then at lines that start a statement at the run's outer indentation, then at
single lines; only a single line longer than the budget is cut inside the line.
"""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import EmptyDocumentError, FileAccessError, UnreadableDocumentError
from ..types import ParsedChunk
from .chunking import Span, TokenCounter, Unit, join_units, pack_units

_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
# Control characters that never appear in text files (tab, newlines, form feed and ESC are fine).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


@dataclass
class SourceText:
    """A decoded file: `text` with "\\n" newlines, its `lines` (no trailing empty line), and line start offsets."""

    text: str
    lines: list[str]
    offsets: list[int]
    encoding: str
    warnings: list[str] = field(default_factory=list)

    def line_text(self, a: int, b: int) -> str:
        """Lines a..b (1-based, inclusive) exactly as in `text`."""
        return self.text[self.offsets[a - 1]:self.offsets[b - 1] + len(self.lines[b - 1])]


def read_source(path: str | os.PathLike) -> SourceText:
    """Read and decode a code or text file.

    UTF-8 (with or without BOM) and BOM-marked UTF-16 decode silently; anything else falls back to Windows-1252,
    then Latin-1, with a warning naming the encoding used.

    Raises:
        FileAccessError: the file cannot be opened.
        EmptyDocumentError: 0 bytes, or only whitespace.
        UnreadableDocumentError: binary content, not text.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise FileAccessError(f"{path} cannot be opened: {exc.strerror or exc}", str(path)) from exc
    if not raw:
        raise EmptyDocumentError(f"{path} is empty (0 bytes).", str(path))
    warnings: list[str] = []
    bom = raw[:2]
    if bom in _UTF16_BOMS:
        encoding = _UTF16_BOMS[bom]
        text = raw[2:].decode(encoding, errors="replace")
    elif b"\0" in raw[:65536]:
        raise UnreadableDocumentError(f"{path} is a binary file, not text.", str(path))
    else:
        text, encoding = _decode(raw)
        if encoding not in ("utf-8", "utf-8-sig"):
            warnings.append(f"not valid UTF-8; decoded as {encoding}, so some characters may be wrong")
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise UnreadableDocumentError(f"{path} does not look like text (too many control characters).", str(path))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise EmptyDocumentError(f"{path} holds only whitespace.", str(path))
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    return SourceText(text, lines, offsets, encoding, warnings)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raw = raw[3:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


# --------------------------------------------------------------------------- chunking runs of lines
@dataclass(frozen=True)
class LineRun:
    """Lines first..last (1-based, inclusive) that one section owns and chunks must not leave."""

    first: int
    last: int
    section: int
    context: str


def chunk_runs(src: SourceText, runs: Sequence[LineRun], chunk_tokens: int,
               count_tokens: TokenCounter) -> list[ParsedChunk]:
    """Cut each run into chunks of at most `chunk_tokens` tokens with exact 1-based line ranges.

    Every line is counted once, in one batch; the unit texts handed to `pack_units` are then priced from those
    counts, which is exact for WordPiece tokenizers (newlines and indentation make no tokens).
    """
    if not runs:
        return []
    counts = count_tokens(src.lines + [""])
    overhead = counts[-1]
    line_cost = [0] + [max(0, c - overhead) for c in counts[:-1]]  # 1-based
    budget = chunk_tokens - overhead
    if budget < 1:
        raise ValueError(f"chunk_tokens={chunk_tokens} leaves no room after {overhead} special tokens")
    known: dict[str, int] = {}

    def priced(texts: list[str]) -> list[int]:
        missing = [t for t in texts if t not in known]
        if missing:
            for t, c in zip(missing, count_tokens(missing)):
                known[t] = c
        return [known[t] for t in texts]

    chunks: list[ParsedChunk] = []
    for run in runs:
        units = _units(src, run.first, run.last, line_cost, budget, known, overhead)
        for group in pack_units(units, chunk_tokens, priced):
            _, spans = join_units(group)
            start, end = group[0].start, group[-1].end
            # The slice, not the joined units: where a line too long for one chunk was cut, joining its pieces
            # drops its indentation; the slice is the file's text by construction.
            text = src.text[start:end]
            if not text.strip():
                continue
            chunks.append(ParsedChunk(section=run.section, text=text, line_start=spans[0].data,
                                      line_end=spans[-1].data, char_start=start, char_end=end,
                                      context=run.context))
    return chunks


def _units(src: SourceText, first: int, last: int, line_cost: list[int], budget: int, known: dict[str, int],
           overhead: int) -> list[Unit]:
    """Paragraph units over first..last (blank lines at the ends trimmed), finer where a paragraph is too long."""
    lines = src.lines
    while first <= last and not lines[first - 1].strip():
        first += 1
    while last >= first and not lines[last - 1].strip():
        last -= 1
    pieces: list[tuple[int, int]] = []
    n = first
    while n <= last:
        if not lines[n - 1].strip():
            n += 1
            continue
        m = n
        while m < last and lines[m].strip():
            m += 1
        pieces.extend(_split_paragraph(lines, n, m, line_cost, budget))
        n = m + 1
    units = []
    prev_end = None
    for a, b in pieces:
        start = src.offsets[a - 1]
        text = src.line_text(a, b)
        joiner = src.text[prev_end:start] if prev_end is not None else "\n"
        spans = tuple(Span(src.offsets[k - 1] - start, src.offsets[k - 1] - start + len(lines[k - 1]), k)
                      for k in range(a, b + 1))
        units.append(Unit(text, start, joiner, spans))
        known[text] = sum(line_cost[a:b + 1]) + overhead
        prev_end = start + len(text)
    return units


def _split_paragraph(lines: list[str], a: int, b: int, line_cost: list[int], budget: int) -> list[tuple[int, int]]:
    """The paragraph a..b whole if it fits; else cut before each line at its outer indentation (a statement and
    the deeper lines after it), recursing into a statement's body when that alone is too long."""
    if a == b or sum(line_cost[a:b + 1]) <= budget:
        return [(a, b)]
    outer = min(_indent(lines[k - 1]) for k in range(a, b + 1))
    starts = [k for k in range(a, b + 1) if _indent(lines[k - 1]) <= outer]
    if starts[0] != a:
        starts.insert(0, a)
    if len(starts) == 1:  # a head line and a deeper body: keep cutting inside the body
        return [(a, a)] + _split_paragraph(lines, a + 1, b, line_cost, budget)
    out: list[tuple[int, int]] = []
    for s, e in zip(starts, starts[1:] + [b + 1]):
        out.extend(_split_paragraph(lines, s, e - 1, line_cost, budget))
    return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
