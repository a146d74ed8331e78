"""scripts/make_squad_heldout.py: named articles with their unanswerable questions, never squad-dev's articles."""
import json
from collections import Counter
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_squad_heldout.py"


def article(title: str, n_ok: int, n_trick: int) -> dict:
    context = f"{title} was founded in 1900 by the river. It has a long history."
    qas = [{"id": f"{title}-ok-{i}", "question": f"When was {title} founded ({i})?", "is_impossible": False,
            "answers": [{"text": "1900", "answer_start": context.index("1900")}]} for i in range(n_ok)]
    qas += [{"id": f"{title}-no-{i}", "question": f"When was {title} closed ({i})?", "is_impossible": True,
             "answers": [], "plausible_answers": [{"text": "1900", "answer_start": 0}]} for i in range(n_trick)]
    return {"title": title, "paragraphs": [{"context": context, "qas": qas}]}


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    squad = tmp_path / "squad.json"
    squad.write_text(json.dumps({"data": [article("Warsaw", 3, 4), article("Geology", 2, 1),
                                          article("Black_Death", 2, 2)]}), encoding="utf-8")
    return subprocess.run([sys.executable, str(SCRIPT), "--squad", str(squad), "--out", str(tmp_path / "out"),
                           *args], capture_output=True, text=True, timeout=60)


def test_named_articles_with_unanswerable_questions(tmp_path):
    done = run(tmp_path, "--titles", "Warsaw,Geology", "--per-article", "2", "--unanswerable", "3")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "out" / "questions.jsonl").read_text().splitlines()]
    by_article = Counter((r["meta"]["article"], r["answerable"]) for r in rows)
    assert by_article == {("Warsaw", True): 2, ("Warsaw", False): 3, ("Geology", True): 2, ("Geology", False): 1}
    trick = next(r for r in rows if not r["answerable"])
    assert trick["answers"] == [] and trick["gold_lines"] == [] and "closed" in trick["question"]
    ok = next(r for r in rows if r["answerable"])
    doc = (tmp_path / "out" / ok["doc"]).read_text().splitlines()
    assert "1900" in doc[ok["gold_lines"][0][0] - 1]  # the gold line is the paragraph's line (1-based)


def test_a_squad_dev_article_cannot_be_named(tmp_path):
    done = run(tmp_path, "--titles", "Warsaw,Black_Death")
    assert done.returncode != 0 and "Black_Death" in done.stderr


@pytest.mark.parametrize("n", [1, 2])
def test_random_articles_leave_squad_dev_out(tmp_path, n):
    done = run(tmp_path, "--articles", str(n), "--per-article", "1")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "out" / "questions.jsonl").read_text().splitlines()]
    assert len(rows) == n and all(r["answerable"] and r["meta"]["article"] != "Black_Death" for r in rows)
