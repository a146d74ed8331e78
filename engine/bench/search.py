"""Search latency on a large generated library (5,000+ pages by default), end to end through `Engine.search`.

The library is built once (generated books, then a normal ingest) under the bench cache folder and reused by
later runs: a marker file written after the ingest finished says it is complete. Its build time is reported too,
as a second, many-document ingest figure.
"""
from __future__ import annotations

import json
import math
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .corpus import make_library, make_queries

Say = Callable[[str], None]
MARKER = "bench-library.json"
LIBRARY_VERSION = 1  # bump when the generator changes, so old cached libraries are not reused


def summary_ms(values: Sequence[float]) -> dict:
    """p50 / p95 / mean / max of millisecond timings (nearest-rank percentiles)."""
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(rank(0.95), 2),
            "mean_ms": round(statistics.fmean(ordered), 2), "max_ms": round(ordered[-1], 2)}


def library_folder(cache: Path, pages: int, seed: int) -> Path:
    return cache / f"search-library-{pages}p-seed{seed}-v{LIBRARY_VERSION}"


def ensure_library(folder: Path, pages: int, seed: int, *, say: Say = lambda _: None, progress=None,
                   engine_factory=None) -> dict:
    """The generated library in `folder`, built and ingested unless a complete one is already there.

    Returns:
        The build record: documents, pages, chunks, ingest seconds and pages/s, and whether it was reused.
    """
    from ..api import Engine

    marker = folder / MARKER
    if marker.exists():
        record = json.loads(marker.read_text(encoding="utf-8"))
        say(f"reusing the {record['pages']:,}-page search library in {folder}")
        return {**record, "reused": True}
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted build: start over rather than measure a half-built library
    say(f"generating a {pages:,}-page search library in {folder}…")
    t = time.perf_counter()
    paths = make_library(folder / "docs", pages, seed)
    generate_s = time.perf_counter() - t
    say(f"{len(paths)} books written in {generate_s:.0f} s; ingesting (once; later runs reuse it)…")
    with (engine_factory or Engine.open)(folder / "library") as eng:
        t = time.perf_counter()
        rep = eng.ingest([folder / "docs"], progress=progress)
        wall = time.perf_counter() - t
    indexed = [f for f in rep.files if f.status == "indexed"]
    record = {"documents": len(indexed), "pages": int(rep.timings["pages"]), "chunks": int(rep.timings["chunks"]),
              "generate_s": round(generate_s, 1), "ingest_s": round(wall, 1),
              "ingest_pages_per_s": round(rep.timings["pages"] / wall, 2),
              **{k: round(rep.timings[k], 1) for k in ("parse_s", "embed_s", "index_s")},
              "built_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}
    if rep.cancelled or len(indexed) != len(paths):
        raise RuntimeError(f"the search library was not fully ingested ({len(indexed)} of {len(paths)} books)")
    marker.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return {**record, "reused": False}


def bench_search(folder: Path, pages: int, *, queries: int = 200, seed: int = 5, k: int = 5,
                 say: Say = lambda _: None, progress=None, engine_factory=None) -> dict:
    """Search latency p50/p95 over `queries` seeded queries on the (cached) library of `pages` pages.

    Returns:
        {"library": build record + folder and vector index, "k", "warmup", **summary_ms}.
    """
    from ..api import Engine

    library = ensure_library(folder, pages, seed, say=say, progress=progress, engine_factory=engine_factory)
    asked = list(dict.fromkeys(make_queries(queries + 10, seed + 1)))[:queries]
    with (engine_factory or Engine.open)(folder / "library") as eng:
        t = time.perf_counter()
        for q in make_queries(5, seed + 2):  # loads the embedder and the index, warms caches
            eng.search(q, k=k)
        warmup_s = time.perf_counter() - t
        latencies, empty = [], 0
        for q in asked:
            t = time.perf_counter()
            found = eng.search(q, k=k)
            latencies.append((time.perf_counter() - t) * 1000)
            empty += not found
        index = eng.vectors.describe()
    result = {"library": {**library, "folder": str(folder), "index": index}, "k": k,
              "warmup_s": round(warmup_s, 2), "queries_without_results": empty, **summary_ms(latencies)}
    say(f"search over {library['pages']:,} pages ({index['vectors']:,} vectors, {index['kind']}): "
        f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms")
    return result
