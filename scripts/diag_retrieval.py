"""Diagnose retrieval on a QA set: page recall@1/@5 of BM25 alone, dense alone, RRF, and the full ranking."""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine import Engine  # noqa: E402
from engine.retrieval.hybrid import rrf  # noqa: E402
from engine.retrieval.sources import best_page, load_chunks  # noqa: E402


def main(library: str, set_dir: str) -> None:
    qs = [json.loads(l) for l in open(os.path.join(set_dir, "questions.jsonl"))]
    qs = [q for q in qs if q["gold_pages"]]
    with Engine.open(library) as eng:
        r = eng.retriever()
        stats = {"bm25": [0, 0], "dense": [0, 0], "rrf": [0, 0], "final": [0, 0]}

        def hit(ids, q):
            rows = load_chunks(eng.db, ids[:5])
            pages = [(rows[i].path, best_page(rows[i], q["question"])) for i in ids[:5] if i in rows]
            gold = {(os.path.realpath(os.path.join(set_dir, q["doc"])), p) for p in q["gold_pages"]}
            h = [p in gold for p in pages]
            return (h[:1] == [True]), any(h)

        for q in qs:
            lex = [c for c, _ in r.bm25(q["question"], 60)]
            den = [c for c, _ in r.dense(eng.embedder.embed_query(q["question"]), 60, None)]
            fused = rrf([lex, den], 60)
            fz = sorted(fused, key=fused.get, reverse=True)
            fin = [x.chunk_id for x in r.rank(q["question"], 5)]
            for name, ids in (("bm25", lex), ("dense", den), ("rrf", fz), ("final", fin)):
                a, b = hit(ids, q)
                stats[name][0] += a
                stats[name][1] += b
        n = len(qs)
        for name, (a, b) in stats.items():
            print(f"{name:6} R@1 {a / n:.3f}  R@5 {b / n:.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
