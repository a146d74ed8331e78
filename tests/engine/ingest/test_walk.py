"""walk(): real folders built in tmp_path — .gitignore rules, skipped folders, binaries, minified and large files,
symlink loops, unreadable files, explicit paths, order, cancel, and speed on 20,000 files."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from engine.errors import Cancelled
from engine.ingest.walk import WalkEntry, WalkSkip, classify, walk


def _write(root: Path, rel: str, content: str | bytes = "x = 1\n") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)
    return p


def _run(paths, **kw):
    quiet: list[WalkSkip] = []
    results = list(walk(paths, on_skip=quiet.append, **kw))
    entries = [r for r in results if isinstance(r, WalkEntry)]
    skips = [r for r in results if isinstance(r, WalkSkip)]
    return entries, skips, quiet


def _rels(entries, root: Path) -> list[str]:
    return [e.path.relative_to(root).as_posix() for e in entries]


def test_gitignore_files_folders_nested_and_negation(tmp_path):
    _write(tmp_path, ".gitignore", "*.txt\n!keep.txt\ngenerated/\n/only_top.py\n")
    for rel in ("a.py", "notes.txt", "keep.txt", "generated/gen.py", "only_top.py", "pkg/only_top.py",
                "pkg/local_a.py", "pkg/local_ok.py", "pkg/m.py", "pkg/readme.txt", "pkg/deep/notes.txt"):
        _write(tmp_path, rel)
    # The deeper .gitignore wins: it re-includes a .txt the top one ignores, and has its own negation.
    _write(tmp_path, "pkg/.gitignore", "local_*.py\n!local_ok.py\n!readme.txt\n")

    entries, skips, quiet = _run([tmp_path])

    assert _rels(entries, tmp_path) == ["a.py", "keep.txt", "pkg/local_ok.py", "pkg/m.py", "pkg/only_top.py",
                                        "pkg/readme.txt"]
    assert skips == []
    ignored = {s.path.relative_to(tmp_path).as_posix() for s in quiet if s.reason == "ignored by .gitignore"}
    assert ignored == {"notes.txt", "generated", "only_top.py", "pkg/local_a.py", "pkg/deep/notes.txt"}
    assert all(e.root == tmp_path and e.kind in ("code", "text") for e in entries)


def test_enclosing_repository_gitignore_applies_to_a_subfolder(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git" / "info").mkdir(parents=True)
    _write(repo, ".gitignore", "*.txt\nout/\n")
    _write(repo, ".git/info/exclude", "private.py\n")
    _write(repo, "sub/a.py")
    _write(repo, "sub/b.txt")
    _write(repo, "sub/private.py")
    _write(repo, "out/report.py")

    entries, _, _ = _run([repo / "sub"])
    assert _rels(entries, repo) == ["sub/a.py"]
    # A folder the repository ignores, added on purpose, is read in full.
    entries, _, _ = _run([repo / "out"])
    assert _rels(entries, repo) == ["out/report.py"]


def test_tool_cache_venv_build_and_vendored_folders_are_left_out(tmp_path):
    for rel in ("src/app.py", ".git/hooks/pre-commit.sh", "node_modules/lib/index.js", "__pycache__/m.py",
                ".venv/lib/site.py", ".tox/py/x.py", "myenv/lib/x.py", "vendor/dep.go", "third_party/z.c",
                "rust/Cargo.toml", "rust/target/debug/build.rs", "rust/src/main.rs", "notes/target/plan.md",
                "pkg.egg-info/top.txt"):
        _write(tmp_path, rel)
    _write(tmp_path, "myenv/pyvenv.cfg", "home = /usr\n")

    entries, skips, quiet = _run([tmp_path])
    assert _rels(entries, tmp_path) == ["notes/target/plan.md", "rust/Cargo.toml", "rust/src/main.rs",
                                        "src/app.py"]
    assert skips == []
    reasons = {s.path.name: s.reason for s in quiet}
    assert reasons["myenv"] == "Python virtual environment"
    assert reasons["vendor"] == reasons["third_party"] == "vendored third-party code"
    assert reasons["target"] == "build output folder"
    assert reasons["node_modules"] == "tool, cache or build folder"

    entries, _, _ = _run([tmp_path], skip_vendored=False)
    assert {"vendor/dep.go", "third_party/z.c"} <= set(_rels(entries, tmp_path))


def test_binary_minified_large_empty_and_unsupported_files(tmp_path):
    _write(tmp_path, "ok.py", "print('hi')\n")
    _write(tmp_path, "blob.py", b"\x7fELF\x00\x01\x02" + b"\x00" * 100)
    _write(tmp_path, "app.min.js", "var a=1;\n")
    _write(tmp_path, "bundle.js", "var a=function(){return 1};" * 400)  # 10 KB on one line
    _write(tmp_path, "big.py", "x = 1\n" * 5000)  # 30 KB
    _write(tmp_path, "empty.py", "")
    _write(tmp_path, "image.png", b"\x89PNG\r\n")
    _write(tmp_path, "utf16.txt", "hello\n".encode("utf-16"))  # NUL bytes, but a BOM says it is text

    entries, skips, quiet = _run([tmp_path], max_file_bytes=20_000)

    assert _rels(entries, tmp_path) == ["ok.py", "utf16.txt"]
    reasons = {s.path.name: s.reason for s in skips}
    assert reasons.keys() == {"blob.py", "app.min.js", "bundle.js", "big.py"}
    assert reasons["blob.py"] == "binary file, not text"
    assert reasons["app.min.js"].startswith("minified") and reasons["bundle.js"].startswith("minified")
    assert reasons["big.py"].startswith("larger than the 20 KB limit")
    assert {s.path.name for s in quiet} == {"empty.py", "image.png"}


def test_symlink_loops_end_and_links_to_files_are_followed(tmp_path):
    root = tmp_path / "root"
    _write(root, "a/x.py")
    _write(root, "b/y.py")
    _write(tmp_path, "outside/shared.py")
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    (root / "b" / "self").symlink_to(root / "b", target_is_directory=True)
    (root / "linked.py").symlink_to(tmp_path / "outside" / "shared.py")
    (root / "dangling.py").symlink_to(tmp_path / "nowhere.py")

    done = []

    def run():
        done.append(_run([root]))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(10)
    assert done, "walk did not finish: a symlink loop was followed forever"
    entries, skips, _ = done[0]
    assert _rels(entries, root) == ["a/x.py", "b/y.py", "linked.py"]
    reasons = {s.path.relative_to(root).as_posix(): s.reason for s in skips}
    assert reasons["a/loop"].startswith("symbolic link to a folder already read")
    assert reasons["b/self"].startswith("symbolic link to a folder already read")
    assert reasons["dangling.py"] == "broken symbolic link"


def test_unreadable_file_and_folder_are_reported_not_raised(tmp_path):
    _write(tmp_path, "ok.py")
    secret = _write(tmp_path, "secret.py")
    locked = tmp_path / "locked"
    _write(locked, "inner.py")
    secret.chmod(0)
    locked.chmod(0)
    try:
        if os.access(secret, os.R_OK):
            pytest.skip("running as root: chmod 000 does not stop reads here")
        entries, skips, _ = _run([tmp_path])
        assert _rels(entries, tmp_path) == ["ok.py"]
        reasons = {s.path.name: s.reason for s in skips}
        assert reasons["secret.py"] == "cannot be read: permission denied"
        assert reasons["locked"] == "folder cannot be opened: permission denied"
    finally:
        secret.chmod(0o644)
        locked.chmod(0o755)


def test_permission_errors_are_reported_not_raised_even_as_root(tmp_path, monkeypatch):
    """The same refusals as above, raised the way the OS raises them (EACCES), so this also runs where the tests
    run as root and chmod 000 stops nothing (CI)."""
    import builtins

    import engine.ingest.walk as walk_module

    _write(tmp_path, "ok.py")
    secret = _write(tmp_path, "secret.py")
    locked = tmp_path / "locked"
    _write(locked, "inner.py")
    real_open, real_scandir = builtins.open, os.scandir

    def guarded_open(path, *args, **kwargs):
        if Path(path) == secret:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    def guarded_scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(walk_module, "open", guarded_open, raising=False)
    monkeypatch.setattr(walk_module.os, "scandir", guarded_scandir)
    entries, skips, _ = _run([tmp_path])
    assert _rels(entries, tmp_path) == ["ok.py"]
    reasons = {s.path.name: s.reason for s in skips}
    assert reasons["secret.py"] == "cannot be read: permission denied"
    assert reasons["locked"] == "folder cannot be opened: permission denied"


def test_explicit_paths(tmp_path):
    js = _write(tmp_path, "lib.min.js", "var a=1;\n")
    pdf = _write(tmp_path, "book.pdf", b"%PDF-1.4\n")
    png = _write(tmp_path, "pic.png", b"\x89PNG")
    results = list(walk([js, pdf, png, tmp_path / "missing.py", js]))
    assert results == [
        WalkEntry(js, "code", None),  # named on purpose: not judged minified
        WalkEntry(pdf, "pdf", None),
        WalkSkip(png, "unsupported file type (.png)"),
        WalkSkip(tmp_path / "missing.py", "not found"),
    ]  # the second mention of lib.min.js is not repeated


def test_files_in_folders_given_twice_are_yielded_once_in_sorted_order(tmp_path):
    for rel in ("b.py", "a/z.py", "a/b/c.py", "A.md", "a.py"):
        _write(tmp_path, rel)
    entries, _, _ = _run([tmp_path, tmp_path / "a", tmp_path / "a.py"])
    assert _rels(entries, tmp_path) == ["A.md", "a/b/c.py", "a/z.py", "a.py", "b.py"]


def test_cancel_raises(tmp_path):
    for i in range(10):
        _write(tmp_path, f"f{i}.py")
    seen = []
    with pytest.raises(Cancelled):
        for entry in walk([tmp_path], cancel=lambda: len(seen) >= 3):
            seen.append(entry)
    assert len(seen) == 3


def test_classify():
    assert classify("src/app.py") == "code"
    assert classify("Makefile") == classify("Dockerfile") == classify("CMakeLists.txt") == "code"
    assert classify("README") == classify("notes.txt") == classify("guide.rst") == classify("x.md") == "text"
    assert classify("Paper.PDF") == "pdf"
    assert classify("photo.jpg") is None and classify(".env") is None


def test_twenty_thousand_files_walk_quickly(tmp_path):
    root = tmp_path / "big"
    for d in range(200):
        folder = root / f"pkg{d:03d}"
        folder.mkdir(parents=True)
        for f in range(100):
            (folder / f"m{f:03d}.py").write_text("x = 1\n")
    _write(root, ".gitignore", "*.pyc\nbuild/\n")
    start = time.perf_counter()
    entries, skips, _ = _run([root])
    seconds = time.perf_counter() - start
    print(f"\nwalked 20,000 files in {seconds:.2f} s ({20_000 / seconds:,.0f} files/s)")
    assert len(entries) == 20_000 and not skips
    assert entries[0].path == root / "pkg000" / "m000.py" and entries[-1].path == root / "pkg199" / "m099.py"


def test_permission_errors_are_reported_even_where_chmod_cannot_block(tmp_path, monkeypatch):
    """As root chmod 000 blocks nothing, so the OS refusal is simulated at the two calls that meet it."""
    _write(tmp_path, "ok.py")
    secret = _write(tmp_path, "secret.py")
    _write(tmp_path, "locked/inner.py")
    real_open, real_scandir = open, os.scandir

    def refusing_open(path, *a, **kw):
        if Path(path) == secret:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **kw)

    def refusing_scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr("builtins.open", refusing_open)
    monkeypatch.setattr(os, "scandir", refusing_scandir)
    entries, skips, _ = _run([tmp_path])
    assert _rels(entries, tmp_path) == ["ok.py"]
    assert {s.path.name: s.reason for s in skips} == {
        "secret.py": "cannot be read: permission denied",
        "locked": "folder cannot be opened: permission denied"}
