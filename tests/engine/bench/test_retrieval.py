"""The retrieval section: scored by a QA set's own score.py, and skipped with a note where there is no set."""
from __future__ import annotations

import json
import shutil

import pytest

from engine.bench.corpus import FACTS, fact_document
from engine.bench.retrieval import DEFAULT_SET, bench_retrieval
from engine.ingest.pdf import find_text

SCORER = DEFAULT_SET.parents[1] / "score.py"


def test_missing_set_is_skipped_with_a_note(tmp_path):
    r = bench_retrieval(tmp_path / "nowhere")
    assert "skipped" in r and "--eval-set" in r["skipped"]


def test_set_without_a_scorer_is_skipped(tmp_path):
    set_dir = tmp_path / "sets" / "x"
    set_dir.mkdir(parents=True)
    (set_dir / "questions.jsonl").write_text("{}\n")
    assert "score.py" in bench_retrieval(set_dir)["skipped"]


@pytest.mark.slow
@pytest.mark.skipif(not SCORER.exists(), reason="the developers' ../shared/eval is not here")
def test_tiny_set_scored_by_its_own_scorer(tmp_path):
    shutil.copy(SCORER, tmp_path / "score.py")
    set_dir = tmp_path / "sets" / "facts"
    (set_dir / "docs").mkdir(parents=True)
    pdf, questions = fact_document(set_dir / "docs" / "facts.pdf", 4, seed=11)
    lines = []
    for i, ((fact, _), question) in enumerate(zip(FACTS, questions)):
        page = find_text(pdf, " ".join(fact.split()[-4:]))[0][0]
        lines.append(json.dumps({"id": f"q{i}", "question": question, "answers": [fact.split()[-1].rstrip(".")],
                                 "answerable": True, "doc": "docs/facts.pdf", "gold_pages": [page],
                                 "gold_lines": [], "kind": "test"}))
    (set_dir / "questions.jsonl").write_text("\n".join(lines) + "\n")
    r = bench_retrieval(set_dir, k=3)
    assert r["questions"] == 4 and r["with_gold_page"] == 4 and r["search_failures"] == 0
    assert r["page_recall@1"] >= 0.75 and r["page_recall@3"] == 1.0
    assert 0 < r["search_ms_p50"] <= r["search_ms_p90"]
    assert r["ingest_pages"] == 4
