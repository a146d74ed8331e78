"""Retrieval quality on a QA set (by default the developers' `../shared/eval/sets/squad-dev`) with its own scorer.

The set's `score.py` (two folders above the set) runs as a child process with `EvalRunner` below, search only
(`--no-generate`): page recall@1 / @5, MRR and its own latency figures. A user's machine has no such set; then
the section is skipped with a note, and `--eval-set DIR` points at one.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .memory import child_env

Say = Callable[[str], None]
DEFAULT_SET = Path(__file__).resolve().parents[3] / "shared" / "eval" / "sets" / "squad-dev"
RUNNER = "engine.bench.retrieval:EvalRunner"


class EvalRunner:
    """The scorer's Python runner interface over `Engine` (same JSON shapes as the CLI, no process per call)."""

    def __init__(self, library: str, **settings):
        from ..api import Engine

        self.eng = Engine.open(library)
        for name, value in settings.items():
            self.eng.settings.set(name.replace("__", "."), value)

    def ingest(self, paths):
        return self.eng.ingest(paths).to_json()

    def search(self, q, k):
        return {"sources": [s.to_json() for s in self.eng.search(q, k=k)]}

    def ask(self, q):
        return self.eng.ask(q).to_json()

    def close(self):
        self.eng.close()


def scorer_for(set_dir: Path) -> Path | None:
    """The `score.py` that belongs to a set folder (sets/<name> sits two levels below it), if there is one."""
    candidate = set_dir.resolve().parents[1] / "score.py"
    return candidate if candidate.exists() else None


def bench_retrieval(set_dir: Path | None = None, *, k: int = 5, limit: int | None = None,
                    say: Say = lambda _: None, timeout_s: float = 3600) -> dict:
    """Score search on a QA set.

    Returns:
        {"set", "questions", "page_recall@1", f"page_recall@{k}", "mrr", "search_ms_p50", "search_ms_p90",
         "ingest_pages_per_s"}; or {"skipped": reason} when the set or its scorer is missing.
    Raises:
        RuntimeError: the scorer ran and failed.
    """
    set_dir = Path(set_dir or DEFAULT_SET)
    if not (set_dir / "questions.jsonl").exists():
        return {"skipped": f"no QA set at {set_dir} (pass --eval-set DIR; the developers' squad-dev lives in "
                           f"../shared/eval/sets)"}
    scorer = scorer_for(set_dir)
    if scorer is None:
        return {"skipped": f"no score.py next to the sets folder of {set_dir}"}
    say(f"retrieval quality on {set_dir.name} (its score.py, search only)…")
    with tempfile.TemporaryDirectory(prefix="lectern-bench-eval-") as tmp:
        out = Path(tmp) / "scores.json"
        cmd = [sys.executable, str(scorer), str(set_dir), "--runner", RUNNER, "--no-generate", "--k", str(k),
               "--out", str(out), "--progress", "0"]
        if limit:
            cmd += ["--limit", str(limit)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=child_env())
        if run.returncode or not out.exists():
            raise RuntimeError(f"score.py failed: {(run.stderr.strip().splitlines() or ['no output'])[-1]}")
        result = json.loads(out.read_text(encoding="utf-8"))["results"][0]
    s, ingest = result["summary"], result["ingest"]
    return {"set": str(set_dir), "questions": s["n"], "with_gold_page": s.get("n_retrieval"), "k": k,
            "limited_to": limit, "page_recall@1": s.get("page_recall@1"),
            f"page_recall@{k}": s.get(f"page_recall@{k}"), "mrr": s.get("mrr"),
            "search_failures": s.get("search_failures"), "search_ms_p50": s.get("search_ms_p50"),
            "search_ms_p90": s.get("search_ms_p90"), "ingest_pages": ingest.get("pages"),
            "ingest_pages_per_s": ingest.get("pages_per_s")}
