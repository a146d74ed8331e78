"""Markdown, reStructuredText and plain text files as a `ParsedDocument`: sections by headings, chunks by paragraphs.

Section levels: 0 the file (titled by its relative path; for plain text it is the only section), then one section
per heading at the heading's level (Markdown `#` = 1 ... `######` = 6; reStructuredText levels follow the order in
which underline styles first appear, as docutils does). A heading's section spans its heading line to the line
before the next heading of the same or a higher level; its own lines, the ones chunked under it, stop at the next
heading of any level. Lines before the first heading belong to the file section.

Markdown headings are ATX (`# Title`) and setext (a paragraph underlined with `===` or `---`); `#` lines inside
fenced code blocks, HTML comments and YAML front matter are not headings.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..types import ParsedDocument, ParsedSection
from .chunking import TokenCounter
from .code import CONTEXT_SEPARATOR, relative_name
from .filetypes import language_of
from .lines import LineRun, chunk_runs, read_source


@dataclass(frozen=True)
class Heading:
    """A heading whose markup spans lines first..last (1-based; 1–3 lines) at `level` (1 = top)."""

    first: int
    last: int
    level: int
    title: str


def parse_text(path: str | os.PathLike, *, count_tokens: TokenCounter, chunk_tokens: int = 200,
               root: Path | None = None) -> ParsedDocument:
    """Read a Markdown, reStructuredText or plain text file into a heading tree and paragraph chunks.

    Args:
        path: the file.
        count_tokens: the embedder's batch token counter.
        chunk_tokens: the longest chunk, in those tokens.
        root: the folder the file was found under; the title is the path relative to it.
    Returns:
        A `ParsedDocument` of kind "text", `language` "markdown", "rst" or "text".
    Raises:
        FileAccessError: the file cannot be opened.
        EmptyDocumentError: 0 bytes or only whitespace.
        UnreadableDocumentError: binary content.
    """
    path = Path(path)
    rel = relative_name(path, Path(root) if root is not None else None)
    src = read_source(path)
    language = language_of(path)
    if language not in ("markdown", "rst"):
        language = "text"
    heads = (markdown_headings(src.lines) if language == "markdown"
             else rst_headings(src.lines) if language == "rst" else [])
    sections, runs = _sections(src.lines, rel, heads)
    chunks = chunk_runs(src, runs, chunk_tokens, count_tokens)
    return ParsedDocument(kind="text", title=rel, sections=sections, chunks=chunks, line_count=len(src.lines),
                          warnings=list(src.warnings), language=language)


def _sections(lines: list[str], rel: str, heads: list[Heading]) -> tuple[list[ParsedSection], list[LineRun]]:
    n = len(lines)
    sections = [ParsedSection(title=rel, level=0, line_start=1, line_end=n)]
    contexts = [rel]
    runs: list[LineRun] = []
    if not heads or heads[0].first > 1:
        runs.append(LineRun(1, heads[0].first - 1 if heads else n, 0, rel))
    stack: list[int] = [0]  # open sections, root first; a heading closes those at its level and below
    for i, h in enumerate(heads):
        while len(stack) > 1 and sections[stack[-1]].level >= h.level:
            closed = sections[stack.pop()]
            closed.line_end = _trim_end(lines, closed.line_start or 1, h.first - 1)
        parent = stack[-1]
        idx = len(sections)
        sections.append(ParsedSection(title=h.title, level=h.level, parent=parent, line_start=h.first,
                                      line_end=n))
        contexts.append(contexts[parent] + CONTEXT_SEPARATOR + h.title)
        own_end = heads[i + 1].first - 1 if i + 1 < len(heads) else n
        runs.append(LineRun(h.first, own_end, idx, contexts[idx]))
        stack.append(idx)
    for idx in stack[1:]:
        sections[idx].line_end = _trim_end(lines, sections[idx].line_start or 1, n)
    return sections, runs


def _trim_end(lines: list[str], first: int, last: int) -> int:
    while last > first and not lines[last - 1].strip():
        last -= 1
    return last


# --------------------------------------------------------------------------- Markdown
_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_NOT_PARAGRAPH = re.compile(r" {0,3}(?:[-+*>|]|\d{1,9}[.)](?:\s|$)|<)| {4}|\t")


def markdown_headings(lines: list[str]) -> list[Heading]:
    """ATX and setext headings of a Markdown document, outside code fences, HTML comments and front matter."""
    out: list[Heading] = []
    fence: tuple[str, int] | None = None  # (char, length) of the open fence
    in_comment = False
    para_start: int | None = None  # first line of the paragraph being read (setext headings underline it)
    n = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = next((k for k in range(1, len(lines)) if lines[k].strip() in ("---", "...")), None)
        if end is not None:
            n = end + 1
    while n < len(lines):
        line = lines[n]
        n += 1
        if fence is not None:
            m = _FENCE.match(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= fence[1] and not m.group(2).strip():
                fence = None
            continue
        if in_comment:
            in_comment = "-->" not in line
            continue
        if not line.strip():
            para_start = None
            continue
        m = _FENCE.match(line)
        if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
            fence, para_start = (m.group(1)[0], len(m.group(1))), None
            continue
        if line.lstrip().startswith("<!--") and "-->" not in line:
            in_comment, para_start = True, None
            continue
        m = _ATX.match(line)
        if m:
            out.append(Heading(n, n, len(m.group(1)), (m.group(2) or "").strip() or "(untitled)"))
            para_start = None
            continue
        m = _SETEXT.match(line)
        if m and para_start is not None:
            title = " ".join(lines[k - 1].strip() for k in range(para_start, n))
            out.append(Heading(para_start, n, 1 if m.group(1)[0] == "=" else 2, title))
            para_start = None
            continue
        if para_start is None:
            para_start = None if _NOT_PARAGRAPH.match(line) else n
    return out


# --------------------------------------------------------------------------- reStructuredText
_RST_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1+\s*$")


def rst_headings(lines: list[str]) -> list[Heading]:
    """reStructuredText section titles: a title line underlined (and optionally overlined) with one repeated
    punctuation character at least as long as the title; levels in order of first appearance of each style."""
    styles: list[tuple[str, bool]] = []
    out: list[Heading] = []
    k = 1  # index of the candidate title line (0-based)
    while k < len(lines):
        under = lines[k]
        title = lines[k - 1]
        m = _RST_ADORNMENT.match(under)
        over = bool(m) and k >= 2 and lines[k - 2].rstrip() == under.rstrip()
        if (not m or not title.strip() or (title[0].isspace() and not over) or _RST_ADORNMENT.match(title)
                or len(under.rstrip()) < len(title.rstrip())):
            k += 1
            continue
        first = k - 1 if over else k  # 1-based first line of the markup
        above = first - 1  # 0-based index of the line above the markup
        if above >= 1 and lines[above - 1].strip():
            k += 1  # a title starts a block: the line above must be blank
            continue
        style = (m.group(1), over)
        if style not in styles:
            styles.append(style)
        out.append(Heading(first, k + 1, styles.index(style) + 1, title.strip()))
        k += 2
    return out
