"""Evidence selection without the model: which sentence would be cited first, and the two abstention figures.

Generating answers takes minutes a question on two cores; which passage an answer cites first and whether it
abstains are decided before and around generation, so they can be measured on their own (docs/answers.md,
"Which passage to cite" and "Abstention").

    # share of located questions whose first evidence unit is on a gold page / line range, per W_ORDER
    .venv/bin/python scripts/evidence_eval.py order tests/eval/r-exts --library /tmp/lib-rexts --weights 0,4,8,16
    # best evidence score and meaning for every question of a set and for a plain list of questions
    .venv/bin/python scripts/evidence_eval.py abstain ../shared/eval/sets/squad-dev --library /tmp/lib-sq \\
        --extra tests/eval/off-topic/questions.txt
The library must already hold the set's documents (tests/eval/recall.py ingests them).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "eval"))

import recall  # noqa: E402

import engine.answer.evidence as evidence  # noqa: E402
from engine import Engine  # noqa: E402
from engine.answer.ask import ABSTAIN, RARELY_BY_SCORE, AskContext, select_evidence  # noqa: E402
from engine.answer.quotes import to_citation  # noqa: E402
from engine.retrieval.planner import ContextPlanner  # noqa: E402
from engine.retrieval.stats import query_terms  # noqa: E402


class Selector:
    """The engine's own evidence selection (ask.select_evidence) for a question, without generating."""

    def __init__(self, eng: Engine):
        self.planner = ContextPlanner(eng.db, eng.retriever())
        self.ctx = AskContext(eng.db, self.planner, eng.embedder.embed, None, eng.settings.llm,
                              embedder_name=eng.embedder.name)

    def units(self, question: str):
        return self.evidence(question)[2]

    def evidence(self, question: str):
        """(the plan, each retrieved chunk's score, the evidence units in citing order), as `ask` has them."""
        plan = self.planner.plan(question, None, self.ctx.settings.budget, search_query=question)
        score_of = {r.chunk_id: r.score for r in plan.ranked}
        units = select_evidence(self.ctx, question, plan.passages, score_of, query_terms(self.ctx.db, question))
        return plan, score_of, units


def order(args) -> None:
    score = recall._score_module()
    questions = [json.loads(line) for line in open(args.set_dir / "questions.jsonl", encoding="utf-8") if line.strip()]
    weights = [float(w) for w in args.weights.split(",")]
    hits = dict.fromkeys(weights, 0)
    n = 0
    with Engine.open(args.library) as eng:
        sel = Selector(eng)
        for q in questions:
            gold = score.Gold(str(args.set_dir), q)
            if not gold.has_location:
                continue
            n += 1
            for w in weights:
                evidence.W_ORDER = w
                units = sel.units(q["question"])
                if units:
                    c = to_citation(1, units[0], 0, q["question"])
                    hits[w] += gold.hit({"path": c.path, "page": c.page, "lines": list(c.lines) if c.lines else None})
    print(f"{args.set_dir.name}: n={n} first unit on gold, by W_ORDER: "
          + ", ".join(f"{w:g}: {h / max(n, 1):.3f}" for w, h in hits.items()))


def abstain(args) -> None:
    groups: dict[str, list[str]] = {"answerable": [], "unanswerable": []}
    for line in open(args.set_dir / "questions.jsonl", encoding="utf-8"):
        if line.strip():
            q = json.loads(line)
            groups["answerable" if q["answerable"] else "unanswerable"].append(q["question"])
    if args.extra:
        groups[args.extra.parent.name] = [x.strip() for x in args.extra.read_text(encoding="utf-8").splitlines() if x.strip()]
    with Engine.open(args.library) as eng:
        sel = Selector(eng)
        for name, qs in groups.items():
            pairs = []
            for q in qs:
                units = sel.units(q)
                pairs.append((max((u.score for u in units), default=0.0), max((u.dense for u in units), default=0.0)))
            if not pairs:
                continue
            print(f"{name} ({len(pairs)}): score median {statistics.median(p[0] for p in pairs):.2f}, "
                  f"meaning median {statistics.median(p[1] for p in pairs):.2f}")
            # the engine's own rules, and the score-only one "rarely" falls back to with another embedder
            for level, rule in [*ABSTAIN.items(), ("rarely, other embedders", RARELY_BY_SCORE)]:
                refused = sum(1 for s, m in pairs if rule.refuses(s, m))
                test = f"score < {rule.score_below}" + (f" and meaning < {rule.meaning_below}"
                                                        if rule.meaning_below is not None else "")
                if rule.answerable_below is not None:  # the reader's share: scripts/check_answerability.py
                    test += f"; not counted here: or reader < {rule.answerable_below}"
                print(f"    {level} ({test}): refuses {refused}/{len(pairs)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("order")
    o.add_argument("set_dir", type=Path)
    o.add_argument("--library", required=True)
    o.add_argument("--weights", default="0,4,8,16")
    a = sub.add_parser("abstain")
    a.add_argument("set_dir", type=Path)
    a.add_argument("--library", required=True)
    a.add_argument("--extra", type=Path, help="a text file with one question per line")
    args = ap.parse_args()
    args.set_dir = args.set_dir.resolve()
    order(args) if args.cmd == "order" else abstain(args)


if __name__ == "__main__":
    main()
