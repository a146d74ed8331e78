"""Ingest and search benchmark (prints figures; not a test): a thin wrapper over `engine.bench`.

    .venv/bin/python tests/bench/bench_ingest.py [PDF ...] [--search-pages 5000] [--queries 200]

For each PDF (default: a generated 1,000-page book): raw PyMuPDF text extraction pages/s beside Lectern's end-to-end
ingest pages/s, split into parse / embed / index seconds. Then search latency p50/p95 on a generated library of
--search-pages pages (built once under the bench cache folder). Real long PDFs: Debian's r-doc-pdf and
c++-annotations-pdf. `lectern bench --sections ingest,search` does the same and writes a report.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.bench.ingest import bench_ingest  # noqa: E402
from engine.bench.search import bench_search, library_folder  # noqa: E402
from engine.bench.suite import FULL, BenchOptions, long_pdf  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdfs", nargs="*", type=Path)
    ap.add_argument("--search-pages", type=int, default=FULL.library_pages)
    ap.add_argument("--queries", type=int, default=FULL.queries)
    args = ap.parse_args()
    say = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    options = BenchOptions()
    pdfs = args.pdfs or [long_pdf(options, say)[0]]
    print(f"{'file':40} {'pages':>6} {'raw p/s':>8} {'lectern p/s':>11} {'parse s':>8} {'embed s':>8} "
          f"{'index s':>8}")
    for pdf in pdfs:
        r = bench_ingest(pdf, say=say)
        print(f"{pdf.name[:40]:40} {r['pages']:6d} {r['raw_pymupdf']['pages_per_s']:8.0f} {r['pages_per_s']:11.1f} "
              f"{r['parse_s']:8.1f} {r['embed_s']:8.1f} {r['index_s']:8.1f}")
    folder = library_folder(options.cache_folder(), args.search_pages, seed=5)
    s = bench_search(folder, args.search_pages, queries=args.queries, say=say)
    print(f"\nsearch over {s['library']['pages']:,} pages ({s['library']['index']['vectors']:,} vectors, "
          f"{s['library']['index']['kind']}): p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms ({s['n']} queries)")


if __name__ == "__main__":
    main()
