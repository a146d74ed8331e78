"""The search section on a small generated library: latency percentiles, and the library built once."""
from __future__ import annotations

from engine.bench.search import MARKER, bench_search, library_folder, summary_ms


def test_summary_percentiles():
    s = summary_ms([float(x) for x in range(1, 101)])
    assert s["n"] == 100 and s["p50_ms"] == 50.5 and s["p95_ms"] == 95.0 and s["max_ms"] == 100.0
    assert summary_ms([3.0])["p95_ms"] == 3.0


def test_search_latency_and_library_reuse(tmp_path, engine_factory):
    folder = library_folder(tmp_path, 24, seed=5)
    first = bench_search(folder, 24, queries=12, engine_factory=engine_factory)
    lib = first["library"]
    assert not lib["reused"] and lib["pages"] >= 24 and lib["documents"] >= 1
    assert lib["index"]["vectors"] == lib["chunks"] > 0
    assert first["n"] == 12 and 0 < first["p50_ms"] <= first["p95_ms"] <= first["max_ms"]
    assert (folder / MARKER).exists()
    mtime = (folder / "library").stat().st_mtime_ns
    again = bench_search(folder, 24, queries=6, engine_factory=engine_factory)
    assert again["library"]["reused"] and again["library"]["chunks"] == lib["chunks"]
    assert again["n"] == 6
    assert not any(p.name.startswith("book-") and p.stat().st_mtime_ns > mtime
                   for p in (folder / "docs").iterdir())  # nothing regenerated


def test_an_interrupted_library_is_rebuilt(tmp_path, engine_factory):
    folder = library_folder(tmp_path, 12, seed=6)
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "leftover.pdf").write_bytes(b"%PDF-1.4 truncated")
    r = bench_search(folder, 12, queries=3, engine_factory=engine_factory)
    assert not r["library"]["reused"] and not (folder / "docs" / "leftover.pdf").exists()
