"""How an answerability checkpoint separates questions, through the engine's own path (no model generation).

For every question of each set, the engine plans its context and picks evidence as `ask` does, and the verifier
(engine/answer/answerable.py, numpy) scores the windows `ask` would read; the best logit is the question's verdict.
Prints, per set, the share of questions refused at each threshold, and for a set with unanswerable questions the
AUC. `ask` refuses when the verdict is below the level's `answerable_below` (engine/answer/ask.py, ABSTAIN).

    .venv/bin/python scripts/check_answerability.py --weights engine/data/answerability.npz \\
        ../shared/eval/sets/squad-dev:/tmp/lib-sq tests/eval/r-exts:/tmp/lib-rexts \\
        tests/eval/off-topic/questions.txt:/tmp/lib-sq --thresholds=-1,-0.5,0 [--out scores.json]
A set is a folder with questions.jsonl (`answerable` defaults to true) or a plain list of questions (a .txt file,
all counted as not answerable by the library); each library must already hold the set's documents.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from engine import Engine  # noqa: E402
from engine.answer.answerable import WEIGHTS, shared_model  # noqa: E402
from engine.answer.ask import answerability  # noqa: E402
from engine.paths import packaged_embedder_dir  # noqa: E402
from evidence_eval import Selector  # noqa: E402


def load_questions(path: Path) -> list[tuple[str, bool]]:
    if path.suffix == ".txt":
        return [(line.strip(), False) for line in open(path, encoding="utf-8") if line.strip()]
    rows = [json.loads(line) for line in open(path / "questions.jsonl", encoding="utf-8") if line.strip()]
    return [(r["question"], r.get("answerable", True)) for r in rows]


def verdicts(library: str, questions: list[tuple[str, bool]], weights: Path) -> list[float | None]:
    model = shared_model(packaged_embedder_dir(), weights)
    out = []
    with Engine.open(library) as eng:
        selector = Selector(eng)
        for q, _ in questions:
            plan, score_of, units = selector.evidence(q)
            out.append(answerability(model.scores, q, units, plan.passages, score_of) if units else None)
    return out


def auc(pos: list[float], neg: list[float]) -> float:
    return float(np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", help="SET:LIBRARY pairs")
    ap.add_argument("--weights", type=Path, default=WEIGHTS)
    ap.add_argument("--thresholds", default="-1,-0.5,0")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    cuts = [float(t) for t in args.thresholds.split(",")]
    dump = {}
    for pair in args.sets:
        set_path, library = pair.rsplit(":", 1)
        qs = load_questions(Path(set_path))
        vs = verdicts(library, qs, args.weights)
        dump[set_path] = [{"question": q, "answerable": a, "verdict": v} for (q, a), v in zip(qs, vs)]
        for label, want in (("answerable", True), ("unanswerable", False)):
            vals = [v for (_, a), v in zip(qs, vs) if a == want]
            if not vals:
                continue
            scored = [v for v in vals if v is not None]
            shares = ", ".join(f"<{c:g}: {sum(v < c for v in scored) / len(vals):.2f}" for c in cuts)
            print(f"{set_path} {label} n={len(vals)} unscored={len(vals) - len(scored)} refused {shares}")
        pos = [v for (_, a), v in zip(qs, vs) if a and v is not None]
        neg = [v for (_, a), v in zip(qs, vs) if not a and v is not None]
        if pos and neg:
            print(f"{set_path} AUC {auc(pos, neg):.3f}; threshold refusing 10% / 15% of answerable: "
                  f"{np.quantile(pos, 0.10):.3f} / {np.quantile(pos, 0.15):.3f}")
    if args.out:
        args.out.write_text(json.dumps(dump, indent=1))


if __name__ == "__main__":
    main()
