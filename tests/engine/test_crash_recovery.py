"""Killing an ingest at any moment leaves a library that opens; the next ingest finishes what was cut off."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from engine import Engine
from tests.engine.ingest.pdfgen import PdfBuilder, filler

pytestmark = pytest.mark.slow


def _book(path, tag):
    b = PdfBuilder()
    for p in range(6):
        b.new_page().paragraph(f"{tag} chapter {p}. " + filler(f"{tag}{p}", 30))
    b.save(path)


def _statuses(db):
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
            return [r[0] for r in c.execute("SELECT status FROM documents")]
    except sqlite3.Error:
        return []


def test_kill_mid_ingest_then_resume(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(8):
        _book(docs / f"book{i}.pdf", f"topic{i}")
    lib = tmp_path / "lib"
    proc = subprocess.Popen([sys.executable, "-m", "engine", "-q", "--library", str(lib), "ingest", str(docs)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    db = lib / "library.sqlite3"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if _statuses(db).count("indexed") >= 1:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest finished before it could be killed; make the input larger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    with Engine.open(lib) as eng:
        before = eng.documents()
        assert before, "the committed documents survive the kill"
        assert {d.status for d in before} <= {"indexed", "incomplete"}
        assert any(d.status == "indexed" for d in before)
        assert len(before) < 8 or any(d.status == "incomplete" for d in before)
        # what was committed is searchable right away
        done = next(d for d in before if d.status == "indexed")
        topic = os.path.basename(done.path).replace("book", "topic").replace(".pdf", "")
        assert any(s.path == done.path for s in eng.search(f"{topic}0 chapter", k=5))
        rep = eng.ingest([docs])
        after = eng.documents()
    assert len(after) == 8 and all(d.status == "indexed" for d in after)
    assert sum(1 for f in rep.files if f.status == "unchanged") == sum(1 for d in before if d.status == "indexed")
