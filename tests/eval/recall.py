"""Search recall of the engine on a QA set, against a library kept between runs (for tuning retrieval).

score.py ingests every set into a fresh library each time; while changing ranking code only the search side
changes, so this ingests once into LIB (when LIB has no documents yet) and then only searches. The hit rule is
score.py's own (its `Gold` class), so the figures agree with it on the same library.

    .venv/bin/python tests/eval/recall.py tests/eval/r-exts --library /tmp/lib-rexts [--misses] [--json OUT]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine import Engine  # noqa: E402


def _score_module():
    path = ROOT.parent / "shared" / "eval" / "score.py"
    spec = importlib.util.spec_from_file_location("_eval_score", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def evaluate(set_dir: Path, library: str, k: int = 5) -> list[dict]:
    """One record per located question: rank of the first correct source (None if not in the top k), top sources."""
    score = _score_module()
    questions = [json.loads(line) for line in open(set_dir / "questions.jsonl", encoding="utf-8") if line.strip()]
    out = []
    with Engine.open(library) as eng:
        if not eng.store.documents_under(str((set_dir / "docs").absolute())):
            eng.ingest(sorted((set_dir / "docs").iterdir()))
        for q in questions:
            gold = score.Gold(str(set_dir), q)
            if not gold.has_location:
                continue
            sources = [s.to_json() for s in eng.search(q["question"], k=k)]
            rank = next((i for i, s in enumerate(sources, 1) if gold.hit(s)), None)
            out.append({"id": q["id"], "question": q["question"], "rank": rank,
                        "gold": q.get("gold_pages") or q.get("gold_lines"), "doc": q["doc"],
                        "top": [(os.path.relpath(s["path"], set_dir / "docs"), s["page"] or s["lines"])
                                for s in sources]})
    return out


def summary(records: list[dict]) -> dict[str, float]:
    n = len(records) or 1
    return {"n": len(records),
            "R@1": sum(r["rank"] == 1 for r in records) / n,
            "R@5": sum(r["rank"] is not None for r in records) / n,
            "MRR": sum(1 / r["rank"] for r in records if r["rank"]) / n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("set_dir", type=Path)
    ap.add_argument("--library", required=True)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--misses", action="store_true", help="print every question not answered at rank 1")
    ap.add_argument("--json", help="write the per-question records here")
    args = ap.parse_args()
    records = evaluate(args.set_dir.resolve(), args.library, args.k)
    if args.misses:
        for r in records:
            if r["rank"] != 1:
                print(f"{r['id']} rank={r['rank']} gold={r['gold']} {r['question']}\n    top={r['top']}")
    s = summary(records)
    print(f"{args.set_dir.name}: n={s['n']} R@1 {s['R@1']:.3f} R@5 {s['R@5']:.3f} MRR {s['MRR']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": s, "questions": records}, indent=1))


if __name__ == "__main__":
    main()
