"""A small regex syntax highlighter: enough colour to read code and Markdown comfortably, no parser.

Rules are grouped by language family and picked by file extension. Block comments (`/* */`), Python's triple-quoted
strings and Markdown's fenced code blocks span lines through the highlighter's block state.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..qt import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from .style import is_dark

PY_KW = ("and as assert async await break class continue def del elif else except finally for from global if import "
         "in is lambda nonlocal not or pass raise return try while with yield match case None True False self")
C_KW = ("auto break case char const continue default do double else enum extern float for goto if inline int long "
        "register return short signed sizeof static struct switch typedef union unsigned void volatile while "
        "bool class namespace template typename public private protected virtual override new delete this "
        "nullptr true false using try catch throw constexpr noexcept final operator friend explicit mutable")
JS_KW = ("async await break case catch class const continue debugger default delete do else export extends false "
         "finally for from function if import in instanceof let new null of return super switch this throw true "
         "try typeof undefined var void while with yield interface type enum implements readonly private public "
         "protected as any number string boolean")
JAVA_KW = ("abstract boolean break byte case catch char class const continue default do double else enum extends "
           "final finally float for if implements import instanceof int interface long native new null package "
           "private protected public return short static super switch synchronized this throw throws true false "
           "try void volatile while var val fun object when override data sealed")
GO_KW = ("break case chan const continue default defer else fallthrough for func go goto if import interface map "
         "package range return select struct switch type var nil true false")
RUST_KW = ("as async await break const continue crate dyn else enum extern false fn for if impl in let loop match "
           "mod move mut pub ref return self Self static struct super trait true type unsafe use where while")
SH_KW = "if then else elif fi for while do done case esac function in return local export echo exit set"
RUBY_KW = ("begin end def class module if elsif else unless while until for in do return yield self nil true false "
           "require include and or not then")
SQL_KW = ("select from where insert into values update set delete create table index join left right inner outer on "
          "group by order having limit as and or not null primary key foreign references drop alter")

FAMILIES: dict[str, tuple[str, str, str | None]] = {
    # family: (keywords, line comment, block comment start/end as "start end")
    "python": (PY_KW, "#", None),
    "c": (C_KW, "//", "/* */"),
    "js": (JS_KW, "//", "/* */"),
    "java": (JAVA_KW, "//", "/* */"),
    "go": (GO_KW, "//", "/* */"),
    "rust": (RUST_KW, "//", "/* */"),
    "shell": (SH_KW, "#", None),
    "ruby": (RUBY_KW, "#", None),
    "sql": (SQL_KW, "--", "/* */"),
    "config": ("true false null yes no on off", "#", None),
}
EXTENSIONS = {
    ".py": "python", ".pyi": "python", ".pyw": "python", ".pyx": "python",
    ".c": "c", ".h": "c", ".cc": "c", ".cpp": "c", ".cxx": "c", ".hpp": "c", ".hh": "c", ".cu": "c", ".cs": "c",
    ".m": "c", ".mm": "c", ".swift": "c", ".dart": "c", ".zig": "c",
    ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "js", ".ts": "js", ".tsx": "js", ".vue": "js", ".svelte": "js",
    ".java": "java", ".kt": "java", ".kts": "java", ".scala": "java", ".groovy": "java", ".gradle": "java",
    ".go": "go", ".rs": "rust", ".rb": "ruby", ".rake": "ruby", ".sql": "sql",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".fish": "shell", ".mk": "shell", ".cmake": "shell",
    ".toml": "config", ".yaml": "config", ".yml": "config", ".ini": "config", ".cfg": "config", ".conf": "config",
    ".json": "js", ".php": "c", ".lua": "sql", ".r": "python", ".jl": "python", ".pl": "shell", ".tf": "config",
}
NAMES = {"makefile": "shell", "dockerfile": "shell", "cmakelists.txt": "shell", "gemfile": "ruby",
         "rakefile": "ruby", "jenkinsfile": "java", "justfile": "shell"}
MARKDOWN = {".md", ".markdown", ".mdown", ".mkd", ".mdx", ".rst"}


def language_for(path: str) -> str | None:
    """The highlighter family for a file: a key of FAMILIES, "markdown", or None for plain text."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in MARKDOWN:
        return "markdown"
    return EXTENSIONS.get(suffix) or NAMES.get(p.name.lower())


def _fmt(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(colour))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    if italic:
        f.setFontItalic(True)
    return f


def _palette(dark: bool) -> dict[str, QTextCharFormat]:
    """Colours in the spirit of GitHub's light and dark themes."""
    c = ({"kw": "#ff7b72", "str": "#a5d6ff", "com": "#8b949e", "num": "#79c0ff", "fn": "#d2a8ff", "dec": "#ffa657",
          "head": "#79c0ff", "code": "#a5d6ff", "link": "#58a6ff"} if dark else
         {"kw": "#cf222e", "str": "#0a3069", "com": "#6e7781", "num": "#0550ae", "fn": "#8250df", "dec": "#953800",
          "head": "#0550ae", "code": "#0a3069", "link": "#0969da"})
    return {"kw": _fmt(c["kw"], bold=True), "str": _fmt(c["str"]), "com": _fmt(c["com"], italic=True),
            "num": _fmt(c["num"]), "fn": _fmt(c["fn"]), "dec": _fmt(c["dec"]),
            "head": _fmt(c["head"], bold=True), "code": _fmt(c["code"]), "em": _fmt(c["fn"], italic=True),
            "strong": _fmt(c["dec"], bold=True), "link": _fmt(c["link"]), "bullet": _fmt(c["kw"], bold=True)}


class SyntaxHighlighter(QSyntaxHighlighter):
    """Colours a code or Markdown document; `language` is a FAMILIES key, "markdown", or None (no colour)."""

    IN_BLOCK_COMMENT, IN_TRIPLE_DOUBLE, IN_TRIPLE_SINGLE, IN_FENCE = 1, 2, 3, 4

    def __init__(self, document: QTextDocument, language: str | None, dark: bool | None = None):
        super().__init__(document)
        self.language = language
        self.formats = _palette(is_dark() if dark is None else dark)
        self.rules: list[tuple[re.Pattern, str, int]] = []
        self.block: tuple[str, str] | None = None
        if language == "markdown":
            self._markdown_rules()
        elif language in FAMILIES:
            self._code_rules(*FAMILIES[language])

    def _code_rules(self, keywords: str, line_comment: str, block: str | None) -> None:
        words = "|".join(sorted(set(keywords.split()), key=len, reverse=True))
        flags = re.IGNORECASE if self.language == "sql" else 0
        self.rules = [
            (re.compile(rf"\b({words})\b", flags), "kw", 0),
            (re.compile(r"\b([A-Za-z_]\w*)(?=\s*\()"), "fn", 1),
            (re.compile(r"\b(0x[0-9a-fA-F_]+|\d[\d_]*(\.\d+)?([eE][-+]?\d+)?)\b"), "num", 0),
            (re.compile(r"^\s*(@[\w.]+)"), "dec", 1),
            (re.compile(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|`[^`]*`'), "str", 0),
            (re.compile(re.escape(line_comment) + r".*$"), "com", 0),
        ]
        if block:
            start, end = block.split()
            self.block = (start, end)

    def _markdown_rules(self) -> None:
        self.rules = [
            (re.compile(r"^\s{0,3}#{1,6}\s.*$"), "head", 0),
            (re.compile(r"^\s*([-*+]|\d+[.)])\s"), "bullet", 0),
            (re.compile(r"\*\*[^*]+\*\*|__[^_]+__"), "strong", 0),
            (re.compile(r"(?<![*\w])\*[^*\s][^*]*\*(?!\*)|(?<![_\w])_[^_\s][^_]*_(?!_)"), "em", 0),
            (re.compile(r"`[^`]+`"), "code", 0),
            (re.compile(r"\[[^\]]+\]\([^)]+\)|https?://\S+"), "link", 0),
            (re.compile(r"^\s*>.*$"), "com", 0),
        ]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        self.setCurrentBlockState(0)
        if self.language == "markdown" and self._fenced(text):
            return
        for pattern, kind, group in self.rules:
            for m in pattern.finditer(text):
                start, end = m.span(group) if group else m.span()
                if start >= 0:
                    self.setFormat(start, end - start, self.formats[kind])
        if self.language == "python":
            self._multiline(text, '"""', self.IN_TRIPLE_DOUBLE)
            if self.currentBlockState() == 0:
                self._multiline(text, "'''", self.IN_TRIPLE_SINGLE)
        elif self.block is not None:
            self._multiline(text, self.block[0], self.IN_BLOCK_COMMENT, self.block[1])

    def _multiline(self, text: str, start_tok: str, state: int, end_tok: str | None = None) -> None:
        end_tok = end_tok or start_tok
        kind = "com" if state == self.IN_BLOCK_COMMENT else "str"
        if self.previousBlockState() == state:
            start = 0
            search_from = 0
        else:
            start = text.find(start_tok)
            search_from = start + len(start_tok)
        while start >= 0:
            end = text.find(end_tok, search_from)
            if end == -1:
                self.setCurrentBlockState(state)
                self.setFormat(start, len(text) - start, self.formats[kind])
                return
            length = end + len(end_tok) - start
            self.setFormat(start, length, self.formats[kind])
            start = text.find(start_tok, start + length)
            search_from = start + len(start_tok)

    def _fenced(self, text: str) -> bool:
        """Markdown code fences: the fence lines and everything between them in the code colour."""
        fence = text.lstrip().startswith("```") or text.lstrip().startswith("~~~")
        inside = self.previousBlockState() == self.IN_FENCE
        if inside or fence:
            self.setFormat(0, len(text), self.formats["code"])
            self.setCurrentBlockState(0 if (inside and fence) else self.IN_FENCE)
            return True
        return False
