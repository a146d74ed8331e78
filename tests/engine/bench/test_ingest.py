"""The ingest section on a small generated book: every stage timed, figures that add up."""
from __future__ import annotations

from engine.bench.corpus import make_book
from engine.bench.ingest import bench_ingest, raw_pymupdf


def test_raw_pymupdf_reads_every_page(tmp_path):
    raw = raw_pymupdf(make_book(tmp_path / "b.pdf", 5, seed=1))
    assert raw["pages"] == 5 and raw["seconds"] > 0 and raw["pages_per_s"] > 0


def test_ingest_figures_are_measured_and_consistent(tmp_path, engine_factory):
    pdf = make_book(tmp_path / "b.pdf", 6, seed=2)
    said = []
    r = bench_ingest(pdf, say=said.append, engine_factory=engine_factory)
    assert r["pages"] == 6 and r["chunks"] >= 6
    for key in ("parse_s", "embed_s", "index_s", "wall_s", "pages_per_s", "embed_chunks_per_s"):
        assert r[key] > 0, key
    assert r["parse_s"] + r["embed_s"] + r["index_s"] <= r["wall_s"] + 0.01
    assert abs(r["pages_per_s"] - 6 / r["wall_s"]) < 0.05 * r["pages_per_s"]
    assert r["raw_pymupdf"]["pages"] == 6 and r["parse_vs_raw"] > 0
    assert r["embedder"]["name"] and r["embedder"]["backend"]
    assert any("raw PyMuPDF" in s for s in said)
