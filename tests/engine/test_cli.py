"""The headless contract, run as a user runs it (`python -m engine`, a fresh process per command): ingest, docs,
search and remove with --json, and a one-line message with a non-zero exit when a command cannot do its job."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.cli_answer import _excerpt
from tests.engine.ingest.pdfgen import PdfBuilder

pytestmark = pytest.mark.slow

SOURCE_KEYS = {"rank", "path", "page", "lines", "score", "text", "rects"}


def _lectern(lib, *args, ok=True):
    proc = subprocess.run([sys.executable, "-m", "engine", "--library", str(lib), *args], capture_output=True,
                          text=True, timeout=300)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def _project(tmp_path):
    root = tmp_path / "harbour"
    root.mkdir()
    b = PdfBuilder()
    b.new_page().paragraph("The harbour master keeps the berth register and assigns moorings each morning.")
    b.new_page().paragraph("Pilots board inbound ships at the outer buoy when the swell is under two metres.")
    b.save(root / "manual.pdf")
    (root / "berths.py").write_text('def assign_berth(ship, register):\n    """Give the ship the first free berth."""\n'
                                    '    return next(b for b in register if b.free)\n', encoding="utf-8")
    return root


def test_ingest_docs_search_remove_as_json(tmp_path):
    root, lib = _project(tmp_path), tmp_path / "lib"
    rep = json.loads(_lectern(lib, "ingest", str(root), "--json").stdout)
    assert sorted((f["path"], f["status"]) for f in rep["files"]) == [
        (str(root / "berths.py"), "indexed"), (str(root / "manual.pdf"), "indexed")]

    docs = json.loads(_lectern(lib, "docs", "--json").stdout)["documents"]
    assert {(d["path"], d["kind"], d["status"]) for d in docs} == {
        (str(root / "berths.py"), "code", "indexed"), (str(root / "manual.pdf"), "pdf", "indexed")}

    out = json.loads(_lectern(lib, "search", "Where do pilots board ships?", "--k", "2", "--json").stdout)
    first = out["sources"][0]
    assert SOURCE_KEYS <= set(first) and [s["rank"] for s in out["sources"]] == [1, 2]
    assert first["path"] == str(root / "manual.pdf") and first["page"] == 2 and first["lines"] is None
    assert first["rects"] and all(len(r) == 4 for r in first["rects"]) and "outer buoy" in first["text"]
    code = json.loads(_lectern(lib, "search", "assign a free berth to a ship", "--doc", str(root / "berths.py"),
                               "--json").stdout)["sources"]
    assert {s["path"] for s in code} == {str(root / "berths.py")} and code[0]["lines"][0] == 1

    assert json.loads(_lectern(lib, "remove", str(root / "berths.py"), "--json").stdout)["removed"] == [
        str(root / "berths.py")]
    assert [d["path"] for d in json.loads(_lectern(lib, "docs", "--json").stdout)["documents"]] == [
        str(root / "manual.pdf")]


def test_a_command_that_cannot_do_its_job_says_why_in_one_line(tmp_path):
    root, lib = _project(tmp_path), tmp_path / "lib"
    _lectern(lib, "ingest", str(root / "manual.pdf"))
    cases = [
        (("ingest", str(tmp_path / "nowhere")), "Nothing was ingested"),
        (("remove", str(tmp_path / "other.pdf")), "is not in the library"),
        (("search", "pilots", "--doc", str(tmp_path / "other.pdf")), "is not in the library"),
    ]
    for args, words in cases:
        proc = _lectern(lib, *args, ok=False)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("lectern: ") and words in last, (args, proc.stderr)
        assert proc.stdout == ""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    proc = _lectern(blocked, "docs", ok=False)
    assert proc.returncode == 1 and proc.stderr.strip().startswith("lectern: "), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    # the library the bad commands ran against still holds its document
    assert [d["path"] for d in json.loads(_lectern(lib, "docs", "--json").stdout)["documents"]] == [
        str(root / "manual.pdf")]


def test_closest_passage_excerpt_is_the_sentence_nearest_the_question():
    text = ("Tides run high in spring.  The Kestrel lighthouse was built in 1887\non Gannet Rock. "
            "Ferries leave hourly.")
    assert _excerpt(text, "When was the Kestrel lighthouse built?") == \
        "The Kestrel lighthouse was built in 1887 on Gannet Rock."
    long = "The Kestrel lighthouse " + "stands tall " * 30 + "on the rock."
    short = _excerpt(long, "Kestrel lighthouse", size=40)
    assert short.endswith(" …") and len(short) <= 42 and short.startswith("The Kestrel lighthouse")
    assert _excerpt("", "anything") == ""
