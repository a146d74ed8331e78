"""Finding the files to ingest under the paths a user adds.

`walk` turns a list of files and folders into `WalkEntry`s (a file to parse, with its kind) and `WalkSkip`s (a file
the user may have expected to be indexed, and why it was not: binary, minified, too large, unreadable, a symlink
loop). Folders are walked the way a developer expects their repository to be read: `.gitignore` files at every level
(and `.git/info/exclude`, and the `.gitignore`s of an enclosing repository when a sub-folder is added) are honoured,
and tool, cache, virtual-environment and vendored folders are left out. Those expected omissions are not yielded
(a `node_modules` is not news); they go to the optional `on_skip` callback so a caller can count or log them.

The walk costs one `scandir` per folder, one `stat` and one 8 KB read per candidate file, so it stays fast on trees
of tens of thousands of files. Order is stable: inputs in the order given, each folder depth-first by name.
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..cancel import CancelToken, as_predicate, check
from .filetypes import Kind, classify, is_lock_file

__all__ = ["WalkEntry", "WalkSkip", "classify", "walk", "SKIPPED_DIRS", "VENDORED_DIRS"]

SNIFF_BYTES = 8192
# Version-control metadata, caches and virtual environments: never source a reader wants cited.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "_darcs", "CVS",
    "node_modules", "bower_components", "jspm_packages", ".yarn", ".pnpm-store",
    "__pycache__", ".venv", "venv", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".hypothesis", ".eggs", ".ipynb_checkpoints", ".pytype", ".pyre", "htmlcov", ".coverage_html",
    "build", "dist", "_build", ".next", ".nuxt", ".svelte-kit", ".parcel-cache", ".turbo", ".angular",
    ".gradle", ".idea", ".vscode", ".vs", ".cache", ".terraform", ".serverless", ".dart_tool",
    "Pods", "DerivedData", ".build", ".stack-work", "elm-stuff", "zig-cache", "zig-out", ".lectern-cache",
})
VENDORED_DIRS = frozenset({"vendor", "vendors", "third_party", "third-party", "thirdparty", "3rdparty"})
# `target/` is only a build folder next to the build file that makes it (Cargo, Maven, sbt).
_TARGET_MARKERS = frozenset({"Cargo.toml", "pom.xml", "build.sbt"})
# A minified or generated file: its first 8 KB average more characters per line than any hand-written code.
_MINIFIED_AVG_LINE = 300
_MINIFIED_MIN_BYTES = 2048
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class WalkEntry:
    """A file to ingest. `root` is the folder the user added (None for a file given directly)."""

    path: Path
    kind: Kind
    root: Path | None


@dataclass(frozen=True)
class WalkSkip:
    """A file or folder left out, with a one-line reason a reader understands."""

    path: Path
    reason: str


# (text prepended, characters stripped from the walk-relative path, compiled spec): the path a .gitignore's
# patterns see is relative to the folder holding it.
_Spec = tuple[str, int, object]


def walk(paths: Iterable[str | os.PathLike], *, max_file_bytes: int = 1_000_000, cancel: CancelToken = None,
         on_skip: Callable[[WalkSkip], object] | None = None, skip_vendored: bool = True,
         ) -> Iterator[WalkEntry | WalkSkip]:
    """Yield the files to ingest under `paths`, and the notable ones left out.

    Args:
        paths: files and folders. A file given directly is yielded unless it is missing, unreadable, binary, of an
            unsupported type, or a code/text file over `max_file_bytes` (it is not judged minified or empty).
        max_file_bytes: code and text files larger than this are skipped (PDFs have no limit).
        cancel: cancel token (see `engine.cancel`); checked before every file.
        on_skip: called with the quiet skips: git-ignored paths, tool/cache/vendored folders, unsupported or empty
            files inside folders, lock files, and second paths to an already-seen file.
        skip_vendored: leave out vendor/ and third_party/ style folders.
    Yields:
        `WalkEntry` per file to parse, `WalkSkip` per file or folder a reader should hear about.
    Raises:
        Cancelled: when `cancel` is set.
    """
    walker = _Walker(max_file_bytes, as_predicate(cancel), on_skip, skip_vendored)
    for p in paths:
        check(walker.stop)
        yield from walker.top(Path(os.path.abspath(os.path.expanduser(os.fspath(p)))))


class _Walker:
    def __init__(self, max_file_bytes: int, stop: Callable[[], bool],
                 on_skip: Callable[[WalkSkip], object] | None, skip_vendored: bool):
        self.max_file_bytes = max_file_bytes
        self.stop = stop
        self.on_skip = on_skip
        self.skip_vendored = skip_vendored
        self.seen_dirs: set[tuple[int, int]] = set()
        self.seen_files: set[tuple[int, int]] = set()

    def quiet(self, path: str | Path, reason: str) -> None:
        if self.on_skip is not None:
            self.on_skip(WalkSkip(Path(path), reason))

    # ------------------------------------------------------------------ inputs
    def top(self, path: Path) -> Iterator[WalkEntry | WalkSkip]:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            yield WalkSkip(path, "not found" if not os.path.islink(path) else "broken symbolic link")
            return
        except OSError as exc:
            yield WalkSkip(path, _os_reason(exc))
            return
        if stat.S_ISDIR(st.st_mode):
            yield from self.folder(path, st)
        elif stat.S_ISREG(st.st_mode):
            kind = classify(path)
            if kind is None:
                yield WalkSkip(path, f"unsupported file type ({path.suffix or path.name})")
                return
            if (st.st_dev, st.st_ino) in self.seen_files:
                return  # given twice, or already found in a folder given earlier
            self.seen_files.add((st.st_dev, st.st_ino))
            yield self.check_file(str(path), kind, st, None, explicit=True)
        else:
            yield WalkSkip(path, "not a regular file")

    def folder(self, root: Path, st: os.stat_result) -> Iterator[WalkEntry | WalkSkip]:
        if (st.st_dev, st.st_ino) in self.seen_dirs:
            return
        self.seen_dirs.add((st.st_dev, st.st_ino))
        listing = self.scan(str(root))
        if isinstance(listing, WalkSkip):
            yield listing
            return
        specs = _ancestor_specs(root) + _own_specs(str(root), listing, "")
        # A stack of (folder path, walk-relative prefix, specs, names in it, iterator over its sorted entries).
        stack = [(str(root), "", specs, {e.name for e in listing}, iter(listing))]
        while stack:
            folder, prefix, specs, names, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            check(self.stop)
            rel = prefix + entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                result = self.folder_file(entry, rel, specs, root)
                if result is not None:
                    yield result
                continue
            child = self.enter(entry, rel, specs, names)
            if isinstance(child, WalkSkip):
                yield child
            elif child is not None:
                listing, child_names = child
                stack.append((entry.path, rel + "/", specs + _own_specs(entry.path, listing, rel + "/"),
                              child_names, iter(listing)))

    def scan(self, folder: str) -> list[os.DirEntry] | WalkSkip:
        try:
            with os.scandir(folder) as it:
                return sorted(it, key=lambda e: e.name)
        except OSError as exc:
            return WalkSkip(Path(folder), _os_reason(exc, "folder cannot be opened"))

    # ------------------------------------------------------------------ inside folders
    def enter(self, entry: os.DirEntry, rel: str, specs: list[_Spec], parent_names: set[str],
              ) -> tuple[list[os.DirEntry], set[str]] | WalkSkip | None:
        """The sorted listing of a sub-folder to descend into, a notable skip, or None for a quiet skip."""
        name = entry.name
        if name in SKIPPED_DIRS or name.endswith(".egg-info"):
            self.quiet(entry.path, "tool, cache or build folder")
            return None
        if name == "target" and parent_names & _TARGET_MARKERS:
            self.quiet(entry.path, "build output folder")
            return None
        if self.skip_vendored and name.lower() in VENDORED_DIRS:
            self.quiet(entry.path, "vendored third-party code")
            return None
        if _ignored(specs, rel + "/"):
            self.quiet(entry.path, "ignored by .gitignore")
            return None
        try:
            st = entry.stat()
        except OSError as exc:
            return WalkSkip(Path(entry.path), _os_reason(exc, "folder cannot be opened"))
        key = (st.st_dev, st.st_ino)
        if key in self.seen_dirs:
            if entry.is_symlink():
                return WalkSkip(Path(entry.path), "symbolic link to a folder already read (a loop or a duplicate)")
            return None
        self.seen_dirs.add(key)
        listing = self.scan(entry.path)
        if isinstance(listing, WalkSkip):
            return listing
        names = {e.name for e in listing}
        if "pyvenv.cfg" in names:
            self.quiet(entry.path, "Python virtual environment")
            return None
        return listing, names

    def folder_file(self, entry: os.DirEntry, rel: str, specs: list[_Spec], root: Path,
                    ) -> WalkEntry | WalkSkip | None:
        kind = classify(entry.name)
        if kind is None:
            self.quiet(entry.path, "unsupported file type")
            return None
        if _ignored(specs, rel):
            self.quiet(entry.path, "ignored by .gitignore")
            return None
        if is_lock_file(entry.name):
            self.quiet(entry.path, "generated lock file")
            return None
        try:
            st = entry.stat()
        except FileNotFoundError:
            return WalkSkip(Path(entry.path), "broken symbolic link") if entry.is_symlink() else None
        except OSError as exc:
            return WalkSkip(Path(entry.path), _os_reason(exc))
        key = (st.st_dev, st.st_ino)
        if key in self.seen_files:
            self.quiet(entry.path, "another path to a file already found")
            return None
        self.seen_files.add(key)
        if st.st_size == 0:
            self.quiet(entry.path, "empty file")
            return None
        return self.check_file(entry.path, kind, st, root, explicit=False)

    def check_file(self, path: str, kind: Kind, st: os.stat_result, root: Path | None, *,
                   explicit: bool) -> WalkEntry | WalkSkip:
        """Size limit and the 8 KB sniff for code and text files; PDFs are left to the PDF reader."""
        if kind == "pdf":
            return WalkEntry(Path(path), kind, root)
        if st.st_size > self.max_file_bytes:
            return WalkSkip(Path(path), f"larger than the {_mb(self.max_file_bytes)} limit for code and text files "
                                        f"({_mb(st.st_size)})")
        try:
            with open(path, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError as exc:
            return WalkSkip(Path(path), _os_reason(exc))
        if b"\0" in head and not head.startswith(_UTF16_BOMS):
            return WalkSkip(Path(path), "binary file, not text")
        if kind == "code" and not explicit and _looks_minified(os.path.basename(path), head):
            return WalkSkip(Path(path), "minified or generated file (very long lines)")
        return WalkEntry(Path(path), kind, root)


# --------------------------------------------------------------------------- helpers
def _looks_minified(name: str, head: bytes) -> bool:
    low = name.lower()
    if ".min." in low or low.endswith(("-min.js", "-min.css", ".bundle.js")):
        return True
    if len(head) < _MINIFIED_MIN_BYTES:
        return False
    return len(head) / (head.count(b"\n") + 1) > _MINIFIED_AVG_LINE


def _ignored(specs: list[_Spec], rel: str) -> bool:
    """Git's rule: the deepest .gitignore with a pattern matching the path decides (later patterns win inside it)."""
    for prepend, strip, spec in reversed(specs):
        result = spec.check_file(prepend + rel[strip:])  # type: ignore[attr-defined]
        if result.include is not None:
            return bool(result.include)
    return False


def _compile(path: str) -> object | None:
    import pathspec  # only needed when a folder has a .gitignore

    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return pathspec.GitIgnoreSpec.from_lines(fh.read().splitlines())
    except (OSError, ValueError):
        return None  # an unreadable or malformed .gitignore ignores nothing, as git would mostly do


def _own_specs(folder: str, listing: list[os.DirEntry], prefix: str) -> list[_Spec]:
    out: list[_Spec] = []
    names = {e.name for e in listing} if prefix == "" else None
    if names is not None and ".git" in names:
        exclude = os.path.join(folder, ".git", "info", "exclude")
        if os.path.isfile(exclude) and (spec := _compile(exclude)) is not None:
            out.append(("", 0, spec))
    if any(e.name == ".gitignore" for e in listing):
        spec = _compile(os.path.join(folder, ".gitignore"))
        if spec is not None:
            out.append(("", len(prefix), spec))
    return out


def _ancestor_specs(root: Path) -> list[_Spec]:
    """The .gitignore files of the repository enclosing `root`, when the user added a folder inside one."""
    if (root / ".git").exists():
        return []
    chain = []
    for parent in list(root.parents)[:64]:
        chain.append(parent)
        if (parent / ".git").exists():
            break
    else:
        return []
    out: list[_Spec] = []
    repo = chain[-1]
    for folder in reversed(chain):
        # Paths under `root` seen from `folder` are "<root relative to folder>/<walk-relative path>".
        lead = root.relative_to(folder).as_posix() + "/"
        files = [folder / ".gitignore"] + ([repo / ".git" / "info" / "exclude"] if folder == repo else [])
        for f in reversed(files):
            if f.is_file() and (spec := _compile(str(f))) is not None:
                out.append((lead, 0, spec))
    # A folder the repository itself ignores (a virtualenv, a build folder) was chosen on purpose: read it all.
    return [] if _ignored(out, "") else out


def _os_reason(exc: OSError, what: str = "cannot be read") -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if isinstance(exc, PermissionError):
        cause = "permission denied"
    else:
        cause = (exc.strerror or str(exc)).lower()
    return f"{what}: {cause}"


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} KB"
