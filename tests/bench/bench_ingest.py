"""Ingest and search benchmark (prints figures; not a test).

    .venv/bin/python tests/bench/bench_ingest.py PDF [PDF ...] [--search-pages 5000] [--queries 200]

For each PDF: raw PyMuPDF text extraction pages/s beside Lectern's end-to-end ingest pages/s, split into parse /
embed / index seconds. Then a library of at least --search-pages pages is built (the given PDFs, repeated under
different names when they are too few) and search latency p50/p95 is measured over --queries questions made of
phrases taken from the documents. Real long PDFs: Debian's r-doc-pdf and c++-annotations-pdf.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pymupdf as fitz  # noqa: E402  (benchmark only: the raw baseline)

from engine import Engine  # noqa: E402


def raw_speed(pdf: Path) -> tuple[int, float]:
    t = time.perf_counter()
    with fitz.open(pdf) as doc:
        n = doc.page_count
        for page in doc:
            page.get_text()
    return n, n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdfs", nargs="+", type=Path)
    ap.add_argument("--search-pages", type=int, default=5000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lectern-bench-"))
    try:
        print(f"{'file':40} {'pages':>6} {'raw p/s':>8} {'lectern p/s':>11} {'parse s':>8} {'embed s':>8} "
              f"{'index s':>8}")
        with Engine.open(work / "one") as eng:
            eng.embedder  # load (and convert once) before timing
            for pdf in args.pdfs:
                n, raw = raw_speed(pdf)
                t = time.perf_counter()
                rep = eng.ingest([pdf])
                wall = time.perf_counter() - t
                tm = rep.timings
                print(f"{pdf.name[:40]:40} {n:6d} {raw:8.0f} {n / wall:11.1f} {tm['parse_s']:8.1f} "
                      f"{tm['embed_s']:8.1f} {tm['index_s']:8.1f}")
        # a large library for search latency
        lib = work / "big"
        docs = work / "docs"
        docs.mkdir()
        pages, copies = 0, 0
        while pages < args.search_pages:
            for pdf in args.pdfs:
                dst = docs / f"{copies:03d}-{pdf.name}"
                shutil.copy(pdf, dst)
                with fitz.open(pdf) as d:
                    pages += d.page_count
            copies += 1
        t = time.perf_counter()
        with Engine.open(lib) as eng:
            rep = eng.ingest([docs])
            print(f"\nlibrary: {pages} pages, {rep.timings['chunks']} chunks, ingested in "
                  f"{time.perf_counter() - t:.0f} s ({pages / (time.perf_counter() - t):.1f} pages/s)")
            rng = random.Random(7)
            texts = [s.text for s in eng.search("introduction overview", k=50)]
            queries = []
            for _ in range(args.queries):
                words = rng.choice(texts).split()
                i = rng.randrange(max(1, len(words) - 8))
                queries.append(" ".join(words[i:i + 8]))
            eng.search(queries[0])  # warm
            lat = []
            for q in queries:
                t = time.perf_counter()
                eng.search(q, k=5)
                lat.append((time.perf_counter() - t) * 1000)
            lat.sort()
            print(f"search over {eng.vectors.describe()}: p50 {statistics.median(lat):.1f} ms, "
                  f"p95 {lat[int(0.95 * (len(lat) - 1))]:.1f} ms ({len(lat)} queries)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.environ.pop("LECTERN_BENCH", None)


if __name__ == "__main__":
    main()
