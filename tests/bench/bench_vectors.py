"""Where the dense index should switch from exact to approximate search (engine/index/vectors.py APPROX_THRESHOLD).

For growing numbers of vectors it builds both of VectorIndex's indexes (exact inner product, and the IVF index
with the engine's own list count and nprobe) and prints, per size: build time, single-query search latency
p50/p95 of each, and the IVF's recall@10 against exact search. A benchmark, not a test: it prints figures.

    .venv/bin/python tests/bench/bench_vectors.py                       # clustered synthetic vectors
    .venv/bin/python tests/bench/bench_vectors.py --library LIB         # grown from a real library's embeddings

Vectors: real embeddings are clustered (topics), uniformly random ones are not, and IVF recall depends on that.
With --library the library's own all-MiniLM-L6-v2 vectors are the seeds; without it, 2,000 random topic centres.
Each size takes seeds plus small noise, L2-normalised; queries are 200 further noisy copies of seeds.
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.index.vectors import APPROX_THRESHOLD, VectorIndex  # noqa: E402

DIM = 384


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _seeds(library: str | None, rng: np.random.Generator) -> np.ndarray:
    if library:
        with sqlite3.connect(Path(library) / "library.sqlite3") as c:
            rows = c.execute("SELECT embedding FROM chunks WHERE embedding IS NOT NULL").fetchall()
        # stored as float16 (engine/store/models.py)
        return _normalise(np.stack([np.frombuffer(r[0], dtype=np.float16).astype(np.float32) for r in rows]))
    return _normalise(rng.standard_normal((2000, DIM)))


def _grow(seeds: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.35) -> np.ndarray:
    pick = seeds[rng.integers(0, len(seeds), n)]
    return _normalise(pick + noise * rng.standard_normal(pick.shape) / np.sqrt(DIM))


def _timed_search(index: VectorIndex, queries: np.ndarray, k: int) -> tuple[list[float], list[np.ndarray]]:
    times, results = [], []
    for q in queries:
        t = time.perf_counter()
        ids, _ = index.search(q, k)
        times.append((time.perf_counter() - t) * 1000)
        results.append(ids)
    return times, results


def _pct(vals: list[float], q: float) -> float:
    s = sorted(vals)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,25000,50000,100000,200000")
    ap.add_argument("--library", help="a Lectern library whose embeddings seed the vectors")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    seeds = _seeds(args.library, rng)
    queries = _grow(seeds, args.queries, rng)
    print(f"seeds: {len(seeds)} {'library embeddings' if args.library else 'random topic centres'}; "
          f"{args.queries} queries, k = 10; engine threshold APPROX_THRESHOLD = {APPROX_THRESHOLD:,}")
    print("| vectors | exact build s | exact p50 ms | exact p95 ms | IVF build s | IVF p50 ms | IVF p95 ms "
          "| IVF recall@10 |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            vecs = _grow(seeds, n, rng)
            ids = np.arange(1, n + 1, dtype=np.int64)
            exact = VectorIndex(Path(tmp), DIM)
            t = time.perf_counter()
            exact._index = exact._new_exact()
            exact._index.add_with_ids(vecs, ids)
            exact_build = time.perf_counter() - t
            approx = VectorIndex(Path(tmp), DIM)
            t = time.perf_counter()
            approx._index = approx._new_approx(vecs)  # the engine's IVF: its list count, training and nprobe
            approx._index.add_with_ids(vecs, ids)
            approx_build = time.perf_counter() - t
            _timed_search(exact, queries[:10], 10)  # warm-up
            _timed_search(approx, queries[:10], 10)
            et, eres = _timed_search(exact, queries, 10)
            at, ares = _timed_search(approx, queries, 10)
            recall = statistics.mean(len(set(a.tolist()) & set(e.tolist())) / max(len(e), 1)
                                     for a, e in zip(ares, eres))
            print(f"| {n:,} | {exact_build:.2f} | {_pct(et, 0.5):.2f} | {_pct(et, 0.95):.2f} | {approx_build:.2f} "
                  f"| {_pct(at, 0.5):.2f} | {_pct(at, 0.95):.2f} | {recall:.3f} |", flush=True)


if __name__ == "__main__":
    main()
