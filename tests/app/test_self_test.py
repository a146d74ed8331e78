"""`lectern --self-test`: the headless check an installed bundle runs, here from the source tree."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import self_test
from app.main import parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_booklet_holds_the_text_the_self_test_asks_about():
    import pymupdf

    pdf = self_test.self_test_pdf()
    assert pdf == ROOT / "resources" / "self-test.pdf"
    with pymupdf.open(pdf) as doc:
        assert doc.page_count == len(self_test.PAGES)
        texts = [" ".join(page.get_text().split()) for page in doc]
    for n, lines in enumerate(self_test.PAGES):
        assert all(line in texts[n] for line in lines), n + 1
    answer_page = texts[self_test.ANSWER_PAGE - 1]
    assert "twelve seconds" in answer_page and not any("twelve seconds" in t for t in texts if t != answer_page)


def test_a_missing_booklet_fails_in_words_without_a_traceback(tmp_path):
    report = self_test.run_self_test(tmp_path / "gone.pdf")
    assert not report.ok
    assert "gone.pdf" in report.message and "missing" in report.message
    assert report.lines()[0].startswith("Lectern self-test: FAILED")
    assert "total" in report.timings


def test_the_app_accepts_self_test_and_paths_to_open():
    args = parse_args(["--self-test"])
    assert args.self_test and args.paths == []
    args = parse_args(["--library", "/tmp/lib", "a.pdf", "src"])
    assert not args.self_test and args.paths == ["a.pdf", "src"] and args.library == "/tmp/lib"


@pytest.mark.slow
@pytest.mark.llm
def test_main_self_test_passes_with_the_packaged_model(tmp_path):
    env = {**os.environ, "LECTERN_CACHE": str(ROOT / ".lectern-cache"), "XDG_CONFIG_HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path)}
    env.pop("QT_QPA_PLATFORM", None)  # headless without even the offscreen platform: no Qt is loaded
    run = subprocess.run([sys.executable, "main.py", "--self-test"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    out = run.stdout
    assert "Lectern self-test: PASSED" in out
    assert f"page {self_test.ANSWER_PAGE}:" in out  # the citation it checked
    assert "SmolLM2" in out and "ask (with model load) (s)" in out
