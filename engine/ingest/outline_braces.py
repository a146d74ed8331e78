"""Definitions in brace languages (C family, Java, C#, JS/TS, Go, Rust, Kotlin, Swift, Scala, PHP, shell), without
a parser.

1. Comments and string literals are blanked out (same length, newlines kept), so braces inside them don't count.
2. One pass over `{ } ( ) ;` builds the tree of brace blocks. Each block remembers its *header*: the code since the
   previous statement boundary (`;` or a block's end at the same level, outside parentheses). Blocks opened inside
   parentheses (callbacks, object literals passed to a call) are expressions, not definitions.
3. A block whose header matches a definition pattern of the language — a keyword line (`class Foo`, `fn main`,
   `func (s *S) Run`), or for C-like languages a signature `type name(params) qualifiers` — is a definition spanning
   from its header to its closing brace. Containers (classes, impls, traits) are searched one level down for
   members; namespaces and modules are transparent.

For languages where a newline can end a statement (JS, Go, Kotlin, Swift, Rust...), a header may hold the tail of
the previous statement, so patterns are tried from the header's last line upwards and the definition starts at
the line that matched (or at the decorators/attributes opening the header).
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .lines import SourceText
from .outline import Definition, attach_comments

# --------------------------------------------------------------------------- masking
_SLASH_COMMENTS = [r"//[^\n]*", r"/\*[\s\S]*?(?:\*/|\Z)"]
_DQ = r'"(?:\\[\s\S]|[^"\\\n])*"'
_SQ = r"'(?:\\[\s\S]|[^'\\\n])*'"
_SQ_RAW = r"'[^']*'"
_CHAR = r"'(?:\\[^'\n]{1,10}|[^'\\\n])'"
_TRIPLE = r'"""[\s\S]*?(?:"""|\Z)'
_TEMPLATE = r"`(?:\\[\s\S]|[^`\\])*`"
_GO_RAW = r"`[^`]*`"
_RUST_RAW = r'\bb?r(?P<hashes>#*)"[\s\S]*?"(?P=hashes)'
_VERBATIM = r'@"(?:[^"]|"")*"'
_PREPROC = r"(?m:^[ \t]*#(?:[^\n]*\\\n)*[^\n]*)"
_HASH = r"(?<![^\s;|&(])#[^\n]*"
_PHP_HASH = r"#(?!\[)[^\n]*"
_JS_REGEX = r"(?<=[(,=:\[!&|?{};])[ \t]*/(?![*/])(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n\[])+/"


def _masker(*pieces: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in pieces))


def _mask(text: str, pattern: re.Pattern) -> str:
    """`text` with comment and string contents replaced by spaces (string quotes kept), newlines kept."""
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        a, b = m.span()
        s = m.group()
        out.append(text[pos:a])
        comment = s.lstrip().startswith(("//", "/*", "#"))
        if comment or len(s) < 2:
            out.append(_blank(s))
        else:
            out.append(s[0] + _blank(s[1:-1]) + s[-1])
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _blank(s: str) -> str:
    if "\n" not in s:
        return " " * len(s)
    return "\n".join(" " * len(part) for part in s.split("\n"))


# --------------------------------------------------------------------------- block tree
@dataclass
class _Block:
    open: int
    close: int
    head: int  # where the header starts
    in_expr: bool
    children: list["_Block"] = field(default_factory=list)


_PUNCT = re.compile(r"[{}();]")


def _blocks(masked: str) -> list[_Block]:
    root = _Block(-1, len(masked), 0, False)
    stack, paren, boundary = [root], [0], [0]
    for m in _PUNCT.finditer(masked):
        c, pos = m.group(), m.start()
        if c == "(":
            paren[-1] += 1
        elif c == ")":
            paren[-1] = max(0, paren[-1] - 1)
        elif c == ";":
            if paren[-1] == 0:
                boundary[-1] = pos + 1
        elif c == "{":
            block = _Block(pos, len(masked) - 1, boundary[-1], paren[-1] > 0)
            stack[-1].children.append(block)
            stack.append(block)
            paren.append(0)
            boundary.append(pos + 1)
        elif len(stack) > 1:
            block = stack.pop()
            paren.pop()
            boundary.pop()
            block.close = pos
            if not block.in_expr:
                boundary[-1] = pos + 1
    return root.children


# --------------------------------------------------------------------------- languages
Title = Callable[[re.Match], str]


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern
    role: str  # "def" | "container" | "transparent"
    title: Title


def _p(regex: str, role: str, title: str | Title) -> _Pattern:
    fmt = title if callable(title) else (lambda m, t=title: " ".join(t.format(**{
        k: v or "" for k, v in m.groupdict().items()}).split()))
    return _Pattern(re.compile(r"[ \t]*" + regex), role, fmt)


@dataclass(frozen=True)
class _Language:
    masker: re.Pattern
    top: tuple[_Pattern, ...]
    members: tuple[_Pattern, ...]
    signatures: bool = False  # C-like `type name(params) {` without a keyword
    hash_comments: bool = False  # `#` starts a comment (else it is a preprocessor line or an attribute)


def _go_title(m: re.Match) -> str:
    recv = m.group("recv")
    if not recv:
        return f"func {m.group('name')}"
    typ = re.sub(r"\[.*", "", recv.split()[-1]).lstrip("*")
    return f"func {typ}.{m.group('name')}"


def _rust_impl_title(m: re.Match) -> str:
    rest = m.group("rest").strip()
    if rest.startswith("<"):  # impl<T: Bound<U>> Trait for Type<T>: the generics say little
        rest = rest[_skip_balanced(rest, 0, "<", ">"):]
    return "impl " + " ".join(rest.split())


_JS_CLASS = _p(r"(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?class\s+(?P<name>[\w$]+)", "container",
               "class {name}")
_JS_TOP = (
    _JS_CLASS,
    _p(r"(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:async\s+)?function\s*\*?\s*(?P<name>[\w$]+)", "def",
       "function {name}"),
    _p(r"(?:export\s+)?(?:declare\s+)?interface\s+(?P<name>[\w$]+)", "def", "interface {name}"),
    _p(r"(?:export\s+)?(?:declare\s+)?(?:const\s+)?enum\s+(?P<name>[\w$]+)", "def", "enum {name}"),
    _p(r"(?:export\s+)?(?:declare\s+)?(?:namespace|module)\s+(?P<name>[\w$.]+)\s*\Z", "transparent", "{name}"),
    _p(r"(?:export\s+)?(?:const|let|var)\s+(?P<name>[\w$]+)\s*(?::[^=\n]+)?=\s*(?:async\s+)?(?:function\b|"
       r"(?:\((?:[^()]|\([^()]*\))*\)|[\w$]+)\s*(?::[^=\n]+)?=>)", "def", "function {name}"),
    _p(r"(?:export\s+)?(?:const|let|var)\s+(?P<name>[\w$]+)\s*=\s*class\b", "container", "class {name}"),
)
_JS_MEMBERS = (
    _p(r"(?:(?:public|private|protected|static|readonly|async|override|abstract|declare|get|set|accessor)\s+)*"
       r"\*?\s*(?P<name>#?[\w$]+)\s*(?:<[^>]*>)?\s*\(", "def", "{name}()"),
    _p(r"(?:(?:public|private|protected|static|readonly|override)\s+)*(?P<name>#?[\w$]+)\s*(?::[^=\n]+)?=\s*"
       r"(?:async\s+)?(?:\((?:[^()]|\([^()]*\))*\)|[\w$]+)\s*(?::[^=\n]+)?=>", "def", "{name}()"),
)
_JAVA_TYPES = _p(r"(?:(?:public|private|protected|static|final|abstract|sealed|non-sealed|strictfp)\s+)*"
                 r"(?P<kw>class|interface|enum|record|@interface)\s+(?P<name>\w+)", "container", "{kw} {name}")
_CS_TYPES = _p(r"(?:(?:public|private|protected|internal|static|sealed|abstract|partial|readonly|unsafe|ref|new|"
               r"file)\s+)*(?P<kw>class|struct|interface|enum|record(?:\s+struct|\s+class)?)\s+(?P<name>\w+)",
               "container", "{kw} {name}")
_C_TYPES = _p(r"(?:typedef\s+)?(?:template\s*<[^{;]*>\s*)?(?P<kw>struct|union|enum(?:\s+class|\s+struct)?|class)"
              r"\s+(?:(?:alignas\s*\([^)]*\)|__attribute__\s*\(\(.*?\)\)|\[\[[^\]]*\]\]|[A-Z_][A-Z0-9_]*)\s+)*"
              r"(?P<name>[A-Za-z_]\w*)\s*(?:<[^{;]*>\s*)?(?:final\s*)?(?::[^{;]*)?\Z", "container", "{kw} {name}")
_C_TRANSPARENT = (_p(r"(?:inline\s+)?namespace(?:\s+(?P<name>[\w:]+))?\s*\Z", "transparent", "{name}"),
                  _p(r'extern\s+"[^"]*"\s*\Z', "transparent", "extern"))
_RUST_VIS = r"(?:pub(?:\s*\([^)]*\))?\s+)?"
_RUST_FN = _p(_RUST_VIS + r"(?:default\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+(?:\"[^\"]*\"\s+)?)?"
              r"fn\s+(?P<name>\w+)", "def", "fn {name}")
_KT_MODS = (r"(?:(?:public|private|internal|protected|open|abstract|sealed|data|enum|annotation|inner|value|inline|"
            r"override|final|companion|expect|actual|external|suspend|tailrec|operator|infix|const|lateinit)\s+)*")
_KT = (_p(_KT_MODS + r"fun\s+(?:<[^>]*>\s*)?(?:[\w.<>?]+\.)?(?P<name>\w+)", "def", "fun {name}"),
       _p(_KT_MODS + r"(?P<kw>class|interface|object)(?:\s+(?P<name>\w+))?", "container", "{kw} {name}"))
_SWIFT_MODS = (r"(?:(?:public|private|fileprivate|internal|open|final|static|class|override|mutating|nonmutating|"
               r"convenience|required|lazy|dynamic|indirect|nonisolated|@\w+(?:\([^)]*\))?)\s+)*")
_SWIFT = (_p(_SWIFT_MODS + r"func\s+(?P<name>[^\s(<]+)", "def", "func {name}"),
          _p(_SWIFT_MODS + r"(?P<name>init|deinit)[?!]?\s*(?:[(<]|\Z)", "def", "{name}"),
          _p(_SWIFT_MODS + r"(?P<kw>class|struct|enum|protocol|extension|actor)\s+(?P<name>[\w.]+)", "container",
             "{kw} {name}"))
_SCALA = (_p(r"(?:(?:private|protected|final|override|implicit|inline)\s+)*def\s+(?P<name>[^\s(\[:]+)", "def",
             "def {name}"),
          _p(r"(?:(?:private|protected|final|sealed|abstract|implicit|case|lazy)\s+)*(?P<kw>class|object|trait)\s+"
             r"(?P<name>\w+)", "container", "{kw} {name}"))
_PHP_MODS = r"(?:(?:abstract|final|public|private|protected|static|readonly)\s+)*"
_PHP = (_p(_PHP_MODS + r"function\s+&?\s*(?P<name>\w+)", "def", "function {name}"),
        _p(_PHP_MODS + r"(?P<kw>class|interface|trait|enum)\s+(?P<name>\w+)", "container", "{kw} {name}"),
        _p(r"namespace\s+(?P<name>[\w\\]+)\s*\Z", "transparent", "{name}"))
_SHELL = (_p(r"function\s+(?P<name>[\w.:-]+)", "def", "{name}()"),
          _p(r"(?P<name>[\w.:-]+)\s*\(\s*\)", "def", "{name}()"))

_C_MASK = _masker(*_SLASH_COMMENTS, _PREPROC, _DQ, _CHAR)
_JAVA_MASK = _masker(*_SLASH_COMMENTS, _TRIPLE, _DQ, _CHAR)
_JS_MASK = _masker(*_SLASH_COMMENTS, _TEMPLATE, _DQ, _SQ, _JS_REGEX)
_C_LIKE = _Language(_C_MASK, (_C_TYPES, *_C_TRANSPARENT), (_C_TYPES,), signatures=True)
_JAVA = _Language(_JAVA_MASK, (_JAVA_TYPES,), (_JAVA_TYPES,), signatures=True)
_JS = _Language(_JS_MASK, _JS_TOP, _JS_MEMBERS + (_JS_CLASS,))

LANGUAGES: dict[str, _Language] = {
    "c": _C_LIKE, "cpp": _C_LIKE, "objc": _C_LIKE,
    "java": _JAVA, "groovy": _Language(_JAVA_MASK, (_JAVA_TYPES, _p(r"def\s+(?P<name>\w+)\s*\(", "def", "def {name}")),
                                       (_JAVA_TYPES,), signatures=True),
    "dart": _Language(_masker(*_SLASH_COMMENTS, _TRIPLE, r"'''[\s\S]*?(?:'''|\Z)", _DQ, _SQ),
                      (_p(r"(?:abstract\s+)?(?P<kw>class|mixin|extension|enum)\s+(?P<name>\w+)", "container",
                          "{kw} {name}"),), (), signatures=True),
    "csharp": _Language(_masker(*_SLASH_COMMENTS, _PREPROC, _VERBATIM, _TRIPLE, _DQ, _CHAR),
                        (_CS_TYPES, _p(r"namespace\s+(?P<name>[\w.]+)\s*\Z", "transparent", "{name}")), (_CS_TYPES,),
                        signatures=True),
    "javascript": _JS, "typescript": _JS,
    "go": _Language(_masker(*_SLASH_COMMENTS, _GO_RAW, _DQ, _CHAR),
                    (_p(r"func\s+(?:\((?P<recv>[^)]*)\)\s*)?(?P<name>\w+)", "def", _go_title),
                     _p(r"type\s+(?P<name>\w+)(?:\[[^\]]*\])?\s+(?:struct|interface)\b", "def", "type {name}")),
                    ()),
    "rust": _Language(_masker(*_SLASH_COMMENTS, _RUST_RAW, _DQ, _CHAR),
                      (_RUST_FN,
                       _p(_RUST_VIS + r"(?:unsafe\s+)?impl\b(?P<rest>[^{]*?)(?:\s+where\b[\s\S]*)?\Z", "container",
                          _rust_impl_title),
                       _p(_RUST_VIS + r"(?:unsafe\s+)?(?:auto\s+)?trait\s+(?P<name>\w+)", "container", "trait {name}"),
                       _p(_RUST_VIS + r"(?P<kw>struct|enum|union)\s+(?P<name>\w+)", "def", "{kw} {name}"),
                       _p(_RUST_VIS + r"mod\s+(?P<name>\w+)\s*\Z", "transparent", "mod {name}"),
                       _p(r"macro_rules!\s*(?P<name>\w+)", "def", "macro_rules! {name}")),
                      (_RUST_FN,)),
    "kotlin": _Language(_JAVA_MASK, _KT, _KT),
    "swift": _Language(_masker(*_SLASH_COMMENTS, _TRIPLE, _DQ), _SWIFT, _SWIFT),
    "scala": _Language(_JAVA_MASK, _SCALA, _SCALA),
    "php": _Language(_masker(*_SLASH_COMMENTS, _PHP_HASH, _DQ, _SQ), _PHP, _PHP[:2], hash_comments=True),
    "shell": _Language(_masker(_HASH, _DQ, _SQ_RAW), _SHELL, (), hash_comments=True),
    "powershell": _Language(_masker(_HASH, _DQ, _SQ_RAW),
                            (_p(r"function\s+(?P<name>[\w-]+)", "def", "function {name}"),), (),
                            hash_comments=True),
    "perl": _Language(_masker(_HASH, _DQ, _SQ), (_p(r"sub\s+(?P<name>\w+)", "def", "sub {name}"),), (),
                      hash_comments=True),
}
BRACE_LANGUAGES = frozenset(LANGUAGES)


# --------------------------------------------------------------------------- matching headers
_EQ = re.compile(r"(?<![=!<>])=(?![=>])")
_ACCESS = re.compile(r"\s*(?:(?:public|private|protected|signals|slots|Q_SLOTS|Q_SIGNALS)\s*:(?!:)\s*)+")
_CONTROL = frozenset({"if", "else", "for", "foreach", "while", "do", "switch", "case", "catch", "try", "finally",
                      "synchronized", "using", "lock", "fixed", "unsafe", "checked", "unchecked", "return", "new",
                      "throw", "goto", "delete", "sizeof", "typeof", "await", "yield", "static_assert", "when",
                      "with", "assert", "defer", "go", "select", "match", "loop", "elif", "until"})
_SIG_NAME = re.compile(r"(~?[A-Za-z_$][\w$]*(?:\s*::\s*~?[A-Za-z_$][\w$]*)*|operator\s*(?:\(\s*\)|[^\w\s(]+|\s\w+))"
                       r"\s*(?:<[^<>()]*>)?\s*\Z")
_SIG_TYPE_CHARS = re.compile(r"[\w\s*&:<>,\[\].?$~]*")
_ANNOTATION = re.compile(r"@[\w.]+")
_PREFIXES = ("@", "#[", "[", "template")
# Qualifiers after a parameter list. Atomic groups and a possessive repeat: an upper-case macro name must not be
# re-split into shorter names on backtracking (that is exponential on `PYBIND11_NAMESPACE_BEGIN(x)`).
_SIG_TRAILER = re.compile(r"(?>\s*(?>const\b|noexcept\b(?:\s*\([^)]*\))?|override\b|final\b|volatile\b|mutable\b|"
                          r"&&?|throws\s+[\w.,\s<>]+|->\s*[^{};=]+|where\s+[^{};=]+|\[\[[^\]]*\]\]|try\b|"
                          r"__attribute__\s*\(\(.*\)\)|[A-Z_][A-Z0-9_]*+(?:\s*\([^)]*\))?))*+\s*")
# A definition's header is a few lines of decorators and parameters: longer headers are looked at from the end.
_HEADER_LINES = 60
_BEFORE_CHARS = 400


def _match(header: str, lang: _Language, member: bool) -> tuple[str, str, int] | None:
    """(role, title, offset where the definition starts in `header`) if the header opens a definition."""
    patterns = lang.members if member else lang.top
    starts = [0] + [m.end() for m in re.finditer("\n", header)]
    for s in reversed(starts[-_HEADER_LINES:]):
        for pat in patterns:
            m = pat.regex.match(header, s)
            if m and not _EQ.search(_outside_parens(header[m.end():])):
                return pat.role, pat.title(m), _decl_start(header, s)
    if lang.signatures:
        found = _signature(header, starts[max(0, len(starts) - _HEADER_LINES)])
        if found is not None:
            return "def", f"{found[0]}()", found[1]
    return None


def _decl_start(header: str, line_start: int) -> int:
    """The definition starts at the line its keyword matched, or where the header opens with its decorators,
    annotations, attributes or `template<...>` (anything else before it is the previous statement's tail)."""
    first = len(header) - len(header.lstrip())
    m = _ACCESS.match(header, first)
    if m:
        first = m.end()
    if first < line_start and header.startswith(_PREFIXES, first):
        return first
    while line_start > first:  # single-line prefixes right above, after other code: `template <>`, `@Test`
        above = header.rfind("\n", 0, line_start - 1) + 1
        if not header[above:line_start].lstrip().startswith(_PREFIXES):
            break
        line_start = above
    return line_start + len(header[line_start:]) - len(header[line_start:].lstrip())


def _outside_parens(text: str) -> str:
    """`text` without what sits inside (), [] and <> (default values there are not assignments)."""
    out, depth = [], 0
    for i, ch in enumerate(text):
        if ch in "([<":
            depth += 1
        elif ch in ")]" or (ch == ">" and (i == 0 or text[i - 1] not in "-=")):
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _signature(header: str, start: int = 0) -> tuple[str, int] | None:
    """`modifiers type name(params) qualifiers` → (name, start offset, with its attributes and `template<>`).
    Groups that fail (a macro invocation before the real signature) are stepped over."""
    lead = _skip_space(header, start)
    decl = _skip_prefixes(header, lead)
    depth, open_at, j = 0, -1, decl
    while j < len(header):
        ch = header[j]
        if ch == "(":
            if depth == 0:
                open_at = j
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                name = _signature_name(header[decl:open_at])
                trailer = header[j + 1:].strip()
                if name and (_SIG_TRAILER.fullmatch(trailer) or trailer.startswith(":")):
                    return name, lead  # (a leading ":" is a constructor's initialiser list or base call)
                lead = _skip_space(header, j + 1)
                decl = j = _skip_prefixes(header, lead)
                continue
        j += 1
    return None


def _signature_name(before: str) -> str | None:
    if len(before) > _BEFORE_CHARS:
        return None
    text = " ".join(before.split())
    if not text or any(c in text for c in '=;{}"\'()'):
        return None
    m = _SIG_NAME.search(text)
    if not m or not _SIG_TYPE_CHARS.fullmatch(text[:m.start()]):
        return None
    words = re.findall(r"[A-Za-z_]\w*", text)
    if not words or words[0] in _CONTROL or any(w in _CONTROL for w in words[1:] if w != "unsafe"):
        return None
    return re.sub(r"\s+", "", m.group(1)) if "operator" not in m.group(1) else m.group(1)


def _skip_space(header: str, i: int) -> int:
    """Step over whitespace and C++ access specifiers (`public:`)."""
    while True:
        while i < len(header) and header[i].isspace():
            i += 1
        m = _ACCESS.match(header, i)
        if not m or m.end() == i:
            return i
        i = m.end()


def _skip_prefixes(header: str, i: int) -> int:
    """Step over whitespace, access specifiers, attributes `[..]`/`[[..]]`, annotations `@X(..)`, `template<..>`."""
    while True:
        i = _skip_space(header, i)
        if header.startswith("[", i):
            i = _skip_balanced(header, i, "[", "]")
        elif header.startswith("template", i) and header[i + 8:].lstrip().startswith("<"):
            i = _skip_balanced(header, header.index("<", i), "<", ">")
        elif header.startswith("@", i) and (m := _ANNOTATION.match(header, i)):
            i = m.end()
            if header[i:].lstrip().startswith("(") and not header.startswith("@interface", m.start()):
                i = _skip_balanced(header, header.index("(", i), "(", ")")
        else:
            return i


def _skip_balanced(text: str, i: int, open_: str, close: str) -> int:
    depth = 0
    for j in range(i, len(text)):
        if text[j] == open_:
            depth += 1
        elif text[j] == close:
            depth -= 1
            if depth == 0:
                return j + 1
    return len(text)


# --------------------------------------------------------------------------- outline
def brace_outline(language: str, src: SourceText) -> list[Definition]:
    """Top-level definitions (members of containers as children) of a brace-language file."""
    lang = LANGUAGES[language]
    masked = _mask(src.text, lang.masker)
    masked_lines = masked.split("\n")
    offsets = src.offsets
    lines = src.lines

    def line_of(pos: int) -> int:
        return max(1, bisect.bisect_right(offsets, pos))

    def is_comment(n: int) -> bool:
        text, code = lines[n - 1].strip(), masked_lines[n - 1].strip()
        if not text or (text.startswith("#") and not code and not lang.hash_comments):
            return False  # blank, or a preprocessor line
        return not code or code.startswith(("@", "#[", "["))

    def walk(blocks: list[_Block], member: bool) -> list[Definition]:
        out: list[Definition] = []
        for b in blocks:
            if b.in_expr:
                continue
            header = masked[b.head:b.open]
            found = _match(header, lang, member)
            if found is None:
                continue
            role, title, offset = found
            if role == "transparent":
                if not member:
                    out.extend(walk(b.children, False))
                continue
            floor = line_of(b.head - 1) if b.head > 0 and masked[b.head - 1] in ";{}" else 0
            first = attach_comments(lines, line_of(b.head + offset), floor, is_comment)
            d = Definition(title or "block", first, line_of(b.close))
            if role == "container" and not member:
                d.children = walk(b.children, True)
            out.append(d)
        return out

    return walk(_blocks(masked), False)
