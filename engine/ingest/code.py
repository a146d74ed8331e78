"""A source file as a `ParsedDocument`: a section tree of directory → file → definitions, and chunks whose text is
exactly the cited lines.

Section levels: 0 the directory (relative to the root folder, "." for the root itself), 1 the file, 2 its top-level
classes and functions, 3 their methods. Every line belongs to the deepest section that holds it: a class's own lines
(its header, docstring, fields) to the class, a method's to the method, module-level code between definitions to the
file. Chunks are cut inside those runs only, so no chunk crosses a definition boundary.

Chunk `text` never holds anything that is not in the file; `context` ("src/pkg/app.py · class App · def run") is
what retrieval indexes next to it so a chunk can be found by its file and definition names.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..types import ParsedDocument, ParsedSection
from .chunking import TokenCounter
from .filetypes import language_of
from .lines import LineRun, SourceText, chunk_runs, read_source
from .outline import Definition, outline

CONTEXT_SEPARATOR = " · "
# A .h file is C++ when it uses what C lacks.
_CPP_HINT = re.compile(r"^\s*(?:namespace\b|class\s+\w|template\s*<)|\bstd::", re.M)


def relative_name(path: Path, root: Path | None) -> str:
    """`path` relative to `root` in POSIX form, or its bare name when there is no root or it lies outside it."""
    if root is not None:
        try:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
        except ValueError:
            pass
    return path.name


def parse_code(path: str | os.PathLike, *, count_tokens: TokenCounter, chunk_tokens: int = 200,
               root: Path | None = None) -> ParsedDocument:
    """Read a source file into sections and embedder-sized chunks with exact 1-based line ranges.

    Args:
        path: the file.
        count_tokens: the embedder's batch token counter (see `chunking.TokenCounter`).
        chunk_tokens: the longest chunk, in those tokens.
        root: the folder the file was found under; titles and section names are relative to it.
    Returns:
        A `ParsedDocument` of kind "code" with `language`, `line_count` and `title` (the relative path) set.
    Raises:
        FileAccessError: the file cannot be opened.
        EmptyDocumentError: 0 bytes or only whitespace.
        UnreadableDocumentError: binary content.
    """
    path = Path(path)
    rel = relative_name(path, Path(root) if root is not None else None)
    src = read_source(path)
    language = language_of(path)
    if language == "c" and path.suffix.lower() == ".h" and _CPP_HINT.search(src.text):
        language = "cpp"
    defs, warnings = outline(language, src)
    sections, runs = build_sections(src, rel, defs)
    chunks = chunk_runs(src, runs, chunk_tokens, count_tokens)
    return ParsedDocument(kind="code", title=rel, sections=sections, chunks=chunks, line_count=len(src.lines),
                          warnings=src.warnings + warnings, language=language)


def build_sections(src: SourceText, rel: str, defs: list[Definition]) -> tuple[list[ParsedSection], list[LineRun]]:
    """The section tree and the runs of lines each section owns (in file order, blank-only runs kept; the
    chunker drops them)."""
    n = len(src.lines)
    directory = rel.rsplit("/", 1)[0] if "/" in rel else "."
    sections = [ParsedSection(title=directory, level=0, line_start=1, line_end=n),
                ParsedSection(title=rel, level=1, parent=0, line_start=1, line_end=n)]
    owner = [1] * (n + 1)  # 1-based line -> section index
    contexts = {1: rel}

    def add(d: Definition, level: int, parent: int, trail: str) -> None:
        idx = len(sections)
        sections.append(ParsedSection(title=d.title, level=level, parent=parent, line_start=d.first,
                                      line_end=d.last))
        contexts[idx] = trail + CONTEXT_SEPARATOR + d.title
        for k in range(d.first, min(d.last, n) + 1):
            owner[k] = idx
        for c in d.children:
            add(c, level + 1, idx, contexts[idx])

    for d in defs:
        add(d, 2, 1, rel)
    runs: list[LineRun] = []
    start = 1
    for k in range(2, n + 2):
        if k == n + 1 or owner[k] != owner[start]:
            runs.append(LineRun(start, k - 1, owner[start], contexts[owner[start]]))
            start = k
    return sections, runs
