"""Which files Lectern reads, and as what: by extension, or by name for files like Makefile and Dockerfile.

The language names are what `ParsedDocument.language` carries and what `code.py` picks an outline strategy by.
Data files that repositories keep next to their code (TOML, YAML, JSON) count as code: their keys and values are
cited by line like code.
"""
from __future__ import annotations

import os
from typing import Literal

Kind = Literal["code", "text", "pdf"]

CODE_LANGUAGES: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".pyw": "python", ".pyx": "cython", ".pxd": "cython",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "typescript",
    ".vue": "vue", ".svelte": "svelte",
    ".java": "java", ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala", ".groovy": "groovy", ".gradle": "groovy",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp", ".hpp": "cpp", ".hh": "cpp",
    ".hxx": "cpp", ".h++": "cpp", ".ipp": "cpp", ".inl": "cpp", ".cu": "cpp", ".cuh": "cpp",
    ".m": "objc", ".mm": "objc",
    ".cs": "csharp", ".fs": "fsharp", ".vb": "vbnet",
    ".go": "go", ".rs": "rust", ".swift": "swift", ".dart": "dart", ".zig": "zig", ".nim": "nim", ".v": "verilog",
    ".rb": "ruby", ".rake": "ruby", ".gemspec": "ruby",
    ".php": "php", ".pl": "perl", ".pm": "perl", ".lua": "lua", ".r": "r", ".jl": "julia",
    ".ex": "elixir", ".exs": "elixir", ".erl": "erlang", ".hrl": "erlang", ".hs": "haskell", ".ml": "ocaml",
    ".mli": "ocaml", ".clj": "clojure", ".cljs": "clojure", ".el": "elisp", ".lisp": "lisp", ".scm": "scheme",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell", ".fish": "fish",
    ".ps1": "powershell", ".psm1": "powershell", ".bat": "batch", ".cmd": "batch",
    ".sql": "sql", ".proto": "protobuf", ".graphql": "graphql", ".gql": "graphql", ".thrift": "thrift",
    ".html": "html", ".htm": "html", ".css": "css", ".scss": "scss", ".sass": "sass", ".less": "less",
    ".xml": "xml", ".xsl": "xml",
    ".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonc": "json", ".ini": "ini",
    ".cfg": "ini", ".conf": "ini", ".properties": "ini",
    ".cmake": "cmake", ".mk": "make", ".mak": "make", ".dockerfile": "dockerfile", ".tf": "terraform",
    ".hcl": "terraform", ".nix": "nix", ".bzl": "starlark", ".bazel": "starlark",
}
CODE_NAMES: dict[str, str] = {
    "makefile": "make", "gnumakefile": "make", "dockerfile": "dockerfile", "containerfile": "dockerfile",
    "cmakelists.txt": "cmake", "jenkinsfile": "groovy", "vagrantfile": "ruby", "gemfile": "ruby",
    "rakefile": "ruby", "podfile": "ruby", "brewfile": "ruby", "procfile": "shell", "build": "starlark",
    "workspace": "starlark", "justfile": "make", "meson.build": "meson",
}
TEXT_LANGUAGES: dict[str, str] = {
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown", ".mdx": "markdown",
    ".rst": "rst", ".rest": "rst", ".txt": "text", ".text": "text", ".adoc": "text", ".asciidoc": "text",
    ".org": "text",
}
# Files without an extension that projects write for people to read.
TEXT_NAMES = frozenset({"readme", "license", "licence", "copying", "authors", "contributors", "changelog",
                        "changes", "history", "news", "notice", "install", "todo", "contributing", "thanks"})
LOCK_FILES = frozenset({"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "cargo.lock",
                        "poetry.lock", "pipfile.lock", "composer.lock", "gemfile.lock", "go.sum", "uv.lock",
                        "pdm.lock", "bun.lockb", "flake.lock", "podfile.lock", "mix.lock", "pubspec.lock"})


def _lookup(path: str | os.PathLike) -> tuple[Kind, str] | None:
    low = os.path.basename(os.fspath(path)).lower()
    if low in CODE_NAMES:
        return "code", CODE_NAMES[low]
    if low.startswith(("dockerfile.", "containerfile.")):
        return "code", "dockerfile"
    if low.startswith("makefile."):
        return "code", "make"
    stem, ext = os.path.splitext(low)
    if ext == ".pdf":
        return "pdf", "pdf"
    if ext in CODE_LANGUAGES:
        return "code", CODE_LANGUAGES[ext]
    if ext in TEXT_LANGUAGES:
        return "text", TEXT_LANGUAGES[ext]
    if stem in TEXT_NAMES:
        return "text", "text"
    return None


def language_of(path: str | os.PathLike) -> str | None:
    """The language of a file ("python", "markdown", "text", "pdf" ...), None if Lectern doesn't read it."""
    found = _lookup(path)
    return found[1] if found else None


def classify(path: str | os.PathLike) -> Kind | None:
    """"code", "text" or "pdf" by extension or well-known name; None for files Lectern does not index.

    Args:
        path: a file path or bare file name (the file is not opened).
    Returns:
        The kind, or None (images, archives, binaries, unknown extensions).
    """
    found = _lookup(path)
    return found[0] if found else None


def is_lock_file(name: str) -> bool:
    """Dependency lock files: generated, long, and never what a question is about."""
    return name.lower() in LOCK_FILES
