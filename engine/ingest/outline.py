"""The definitions of a source file — classes, functions, methods — with exact 1-based line spans.

Python is read with `ast` (exact). Brace languages go through `outline_braces` (a comment- and string-aware brace
matcher); Ruby and Python that does not parse use indentation; TOML/INI files outline by their `[table]` headers.
Each definition's span starts at its first decorator, annotation or attribute, or at the comment block directly
above it (no blank line between), and ends at its last line; module-level code between definitions is nobody's.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .lines import SourceText


@dataclass
class Definition:
    """One definition: `title` as a reader names it ("class Foo", "def bar", "fn main"), lines first..last."""

    title: str
    first: int
    last: int
    children: list["Definition"] = field(default_factory=list)


def outline(language: str | None, src: SourceText) -> tuple[list[Definition], list[str]]:
    """Top-level definitions of `src` (members as children, one level deep) and any warnings.

    Args:
        language: as `filetypes.language_of` names it.
        src: the decoded file.
    Returns:
        (definitions in file order, non-overlapping; warnings for the document).
    """
    from .outline_braces import BRACE_LANGUAGES, brace_outline

    if language == "python":
        try:
            tree = ast.parse(src.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # Python 2, a stray NUL, deep nesting
            line = getattr(exc, "lineno", None)
            where = f" at line {line}" if line else ""
            return (_tidy(_indent_outline(src, _PY_DEF, "#")),
                    [f"Python syntax error{where}; definitions were found by indentation instead"])
        return _tidy(_python_defs(tree.body, src, container=True)), []
    if language == "cython":
        return _tidy(_indent_outline(src, _PY_DEF, "#")), []
    if language == "ruby":
        return _tidy(_ruby_outline(src)), []
    if language in ("toml", "ini"):
        return _tidy(_table_outline(src)), []
    if language in BRACE_LANGUAGES:
        return _tidy(brace_outline(language, src)), []
    return [], []


def _tidy(defs: list[Definition]) -> list[Definition]:
    """Sort, and cut overlaps (a heuristic can claim a line twice): a later definition starts after the earlier."""
    defs.sort(key=lambda d: (d.first, -d.last))
    out: list[Definition] = []
    for d in defs:
        if out and d.first <= out[-1].last:
            if d.last <= out[-1].last:
                continue
            d.first = out[-1].last + 1
        d.children = _tidy([c for c in d.children if d.first <= c.first and c.last <= d.last])
        out.append(d)
    return out


def attach_comments(lines: list[str], first: int, floor: int, is_comment: Callable[[int], bool]) -> int:
    """Move `first` up over the comment/attribute lines directly above it (no blank line between), not past `floor`."""
    while first - 1 > floor and is_comment(first - 1):
        if first - 1 == 1 and lines[0].startswith("#!"):
            break  # a shebang is the file's, not the definition's
        first -= 1
    return first


# --------------------------------------------------------------------------- Python via ast
_SCOPES = (ast.If, ast.Try, ast.With, ast.AsyncWith) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())


def _python_defs(body: list[ast.stmt], src: SourceText, *, container: bool, floor: int = 0) -> list[Definition]:
    out: list[Definition] = []
    lines = src.lines
    prev_end = floor
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            indent = node.col_offset
            first = attach_comments(lines, first, prev_end, lambda n: lines[n - 1].startswith("#", indent)
                                    and not lines[n - 1][:indent].strip())
            kind = ("class" if isinstance(node, ast.ClassDef)
                    else "async def" if isinstance(node, ast.AsyncFunctionDef) else "def")
            d = Definition(f"{kind} {node.name}", first, node.end_lineno or node.lineno)
            if container and isinstance(node, ast.ClassDef):
                d.children = _python_defs(node.body, src, container=False, floor=node.lineno)
            out.append(d)
        elif container and isinstance(node, _SCOPES):
            # `if TYPE_CHECKING:` / `try: import x except: def fallback()`: definitions still at module level.
            for block in (getattr(node, "body", []), getattr(node, "orelse", []), getattr(node, "finalbody", []),
                          *[h.body for h in getattr(node, "handlers", [])]):
                out.extend(_python_defs(block, src, container=True, floor=prev_end))
        prev_end = node.end_lineno or node.lineno
    return out


# --------------------------------------------------------------------------- indentation languages
_PY_DEF = re.compile(r"(\s*)(async\s+def|def|class|cdef\s+class|cpdef|cdef)\s+([\w.]+)")
_PY_KINDS = {"cdef class": "class", "cpdef": "def", "cdef": "def"}
_RUBY_DEF = re.compile(r"(\s*)(def|class|module)\s+((?:self\.)?[\w:.]+[?!=]?)")


def _indent_outline(src: SourceText, pattern: re.Pattern, comment: str) -> list[Definition]:
    """Definitions at the file's outermost definition indentation, each ending before the next line that is no
    deeper than its head (Python's rule, good enough for code that does not parse)."""
    lines = src.lines
    heads = [(n, len(m.group(1)), f"{_PY_KINDS.get(m.group(2), m.group(2))} {m.group(3)}")
             for n, line in enumerate(lines, 1) if (m := pattern.match(line))]
    if not heads:
        return []
    outer = min(h[1] for h in heads)
    out: list[Definition] = []
    prev_end = 0
    for n, ind, title in heads:
        if ind != outer or n <= prev_end:
            continue
        last = n
        for k in range(n + 1, len(lines) + 1):
            text = lines[k - 1]
            if not text.strip():
                continue
            if len(text) - len(text.lstrip()) <= ind and not text.lstrip().startswith((")", "]", "}")):
                break
            last = k
        first = n
        while first - 1 > prev_end and lines[first - 2].lstrip().startswith(("@", comment)) \
                and len(lines[first - 2]) - len(lines[first - 2].lstrip()) == ind:
            first -= 1
        out.append(Definition(title, first, last))
        prev_end = last
    return out


def _ruby_outline(src: SourceText, lo: int = 1, hi: int | None = None, depth: int = 0) -> list[Definition]:
    """`def/class/module ... end`, matched by the `end` at the head's indentation. Modules are transparent (their
    classes are top-level sections); classes get their methods as children."""
    lines = src.lines
    hi = len(lines) if hi is None else hi
    out: list[Definition] = []
    n = lo
    prev_end = lo - 1
    while n <= hi:
        m = _RUBY_DEF.match(lines[n - 1])
        if not m or (out and n <= out[-1].last):
            n += 1
            continue
        ind = len(m.group(1))
        last = _ruby_end(lines, n, ind, hi)
        if last is None:
            n += 1
            continue
        kind, name = m.group(2), m.group(3)
        first = attach_comments(lines, n, prev_end, lambda k: lines[k - 1].lstrip().startswith("#"))
        if kind == "module" and depth == 0:
            out.extend(_ruby_outline(src, n + 1, last - 1, depth))
        else:
            d = Definition(f"{kind} {name}", first, last)
            if kind == "class" and depth == 0:
                d.children = _ruby_outline(src, n + 1, last - 1, depth + 1)
            out.append(d)
        prev_end = last
        n = last + 1
    return out


_RUBY_CLAUSE = re.compile(r"\s*(rescue|ensure|else|elsif|when|in)\b")


def _ruby_end(lines: list[str], n: int, ind: int, hi: int) -> int | None:
    head = lines[n - 1]
    if re.search(r"\bend\s*$", head) or re.match(r"\s*def\s+[\w.?!]+(\([^)]*\))?\s*=", head):
        return n  # one-liner: `def x; end`, `def x = 1`
    for k in range(n + 1, hi + 1):
        text = lines[k - 1]
        if text.strip() and len(text) - len(text.lstrip()) <= ind:
            if _RUBY_CLAUSE.match(text):
                continue
            return k if re.match(r"\s*end\b", text) else None
    return None


# --------------------------------------------------------------------------- TOML / INI
_TABLE = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:[#;].*)?$")


def _table_outline(src: SourceText) -> list[Definition]:
    heads = [(n, m.group(1)) for n, line in enumerate(src.lines, 1) if (m := _TABLE.match(line))]
    out = []
    for i, (n, name) in enumerate(heads):
        last = heads[i + 1][0] - 1 if i + 1 < len(heads) else len(src.lines)
        while last > n and not src.lines[last - 1].strip():
            last -= 1
        out.append(Definition(f"[{name}]", n, last))
    return out
