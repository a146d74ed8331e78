"""`lectern bench` through the CLI entry point, on tiny inputs (hidden size flags)."""
from __future__ import annotations

import json

import pytest

from engine.cli import main

TINY = ["--pdf-pages", "4", "--library-pages", "8", "--queries", "4"]


def test_quick_ingest_and_search_write_the_report(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["bench", "--quick", "--sections", "ingest,search", "--cache", str(tmp_path / "cache"),
                 "--out", str(out), "--json", *TINY])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    results = json.loads(captured.out)
    assert results["quick"] and set(results["sections"]) == {"ingest", "search"}
    assert results["sections"]["ingest"]["pages"] == 4 and results["sections"]["ingest"]["generated"]
    search = results["sections"]["search"]
    assert search["n"] == 4 and 0 < search["p50_ms"] <= search["p95_ms"]
    assert search["library"]["pages"] >= 8
    md = next(out.glob("bench-*-quick.md")).read_text()
    assert "(quick)" in md and "**Machine:**" in md and "## Ingest speed" in md and "## Search latency" in md
    assert "## Memory" not in md
    assert json.loads(next(out.glob("bench-*-quick.json")).read_text())["sections"]["search"]["n"] == 4
    assert "bench: == ingest ==" in captured.err  # progress on stderr, stdout kept for the JSON


@pytest.mark.slow
def test_given_pdf_is_used_and_cached_inputs_are_reused(tmp_path, capsys):
    cache = tmp_path / "cache"
    assert main(["bench", "--quick", "--sections", "search", "--cache", str(cache), "--out", str(tmp_path),
                 *TINY]) == 0
    pdf = next((cache / "search-library-8p-seed5-v1" / "docs").glob("*.pdf"))
    capsys.readouterr()
    assert main(["bench", "--quick", "--sections", "ingest,search", "--pdf", str(pdf), "--cache", str(cache),
                 "--out", str(tmp_path), "--json", *TINY]) == 0
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    assert results["sections"]["ingest"]["path"] == str(pdf.resolve())
    assert not results["sections"]["ingest"]["generated"]
    assert results["sections"]["search"]["library"]["reused"]
    assert "reusing" in captured.err


def test_unknown_section_and_missing_pdf_are_usage_errors(tmp_path, capsys):
    assert main(["bench", "--sections", "ingest,speed", "--out", str(tmp_path)]) == 1
    assert "speed" in capsys.readouterr().err
    assert main(["bench", "--pdf", str(tmp_path / "none.pdf"), "--out", str(tmp_path)]) == 1
    assert "none.pdf" in capsys.readouterr().err
    assert not list(tmp_path.glob("bench-*"))
