"""Ingest speed of one long PDF: Lectern's pages/s split into parse / embed / index, beside raw PyMuPDF.

The library is a fresh temporary folder, so the document is really parsed, embedded and indexed. The embedder is
loaded before the clock starts (its load time is reported on its own): a user ingesting a second book does not
pay it again.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

Say = Callable[[str], None]


def raw_pymupdf(pdf: Path, rounds: int = 2) -> dict:
    """Plain-text extraction of every page with PyMuPDF alone (best of `rounds`; the file is in the page cache)."""
    from ..ingest.pdf import extract_plain_text

    best, pages = float("inf"), 0
    for _ in range(rounds):
        t = time.perf_counter()
        pages = extract_plain_text(pdf)
        best = min(best, time.perf_counter() - t)
    return {"pages": pages, "seconds": round(best, 3), "pages_per_s": round(pages / best, 1) if best else 0.0}


def bench_ingest(pdf: Path, *, say: Say = lambda _: None, progress=None, engine_factory=None) -> dict:
    """Ingest `pdf` into an empty library and time each stage.

    Args:
        pdf: the document.
        say: progress lines for the user.
        progress: the engine's progress callback for the ingest (a progress bar).
        engine_factory: `Engine.open`-like callable taking a library folder (tests pass a shared embedder).
    Returns:
        pages, chunks, wall seconds and pages/s end to end; parse_s, embed_s, index_s (store write + FTS + vector
        index) and the rest ("other_s": hashing, walking, bookkeeping); the raw PyMuPDF figures; the embedder.
    Raises:
        EngineError: the document could not be ingested.
    """
    from ..api import Engine
    from ..errors import EngineError

    factory = engine_factory or Engine.open
    raw = raw_pymupdf(pdf)
    say(f"raw PyMuPDF: {raw['pages']} pages at {raw['pages_per_s']:.0f} pages/s")
    with tempfile.TemporaryDirectory(prefix="lectern-bench-ingest-") as tmp, factory(Path(tmp)) as eng:
        t = time.perf_counter()
        embedder = eng.embedder
        # the first batches compile kernels for their shapes: a second book would not pay that either
        embedder.embed([f"Warm-up sentence number {i} for the embedding model." * (4 * i + 1) for i in range(4)])
        load_s = time.perf_counter() - t
        say(f"embedder {embedder.name} ({embedder.backend}, {embedder.precision}) loaded in {load_s:.1f} s; "
            f"ingesting {pdf.name}…")
        t = time.perf_counter()
        rep = eng.ingest([pdf], progress=progress)
        wall = time.perf_counter() - t
        bad = [f for f in rep.files if f.status != "indexed"]
        if bad:
            raise EngineError(f"The benchmark PDF was not ingested: {bad[0].status} {bad[0].message}")
        tm = rep.timings
        pages, chunks = int(tm["pages"]), int(tm["chunks"])
    stages = {k: round(tm[k], 3) for k in ("parse_s", "embed_s", "index_s")}
    return {
        "path": str(pdf), "pages": pages, "chunks": chunks, "wall_s": round(wall, 3),
        "pages_per_s": round(pages / wall, 2), **stages,
        "other_s": round(max(0.0, wall - sum(stages.values())), 3),
        "parse_pages_per_s": round(pages / tm["parse_s"], 1) if tm["parse_s"] else None,
        "embed_chunks_per_s": round(chunks / tm["embed_s"], 1) if tm["embed_s"] else None,
        "raw_pymupdf": raw, "parse_vs_raw": round(raw["seconds"] / tm["parse_s"], 3) if tm["parse_s"] else None,
        "embedder": {"name": embedder.name, "backend": embedder.backend, "precision": embedder.precision,
                     "load_s": round(load_s, 2)},
    }
