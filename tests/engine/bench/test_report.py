"""The report writer: Markdown with a machine line and a part per section, JSON with the same figures."""
from __future__ import annotations

import json

from engine.bench.machine import describe, machine_info
from engine.bench.report import render_markdown, report_name, write_report


def results() -> dict:
    machine = machine_info(with_llama=False)
    ttft_run = {"first_token_ms": 2000.0, "retrieve_ms": 40.0, "model_first_token_ms": 1960.0, "total_ms": 3000.0,
                "prompt_tokens": 2400, "completion_tokens": 20, "cache_hit": False, "abstained": False,
                "mode": "full", "context_tokens": 2300}
    return {
        "lectern_bench": 1, "quick": True, "started_utc": "2026-12-03 05:06:07", "machine": machine,
        "load_average_end": [1.0, 1.0, 1.0], "wall_s": 99.0, "sections": {
            "ingest": {"path": "/x/book.pdf", "pages": 100, "chunks": 250, "wall_s": 5.0, "pages_per_s": 20.0,
                       "parse_s": 1.0, "embed_s": 3.5, "index_s": 0.3, "other_s": 0.2, "parse_pages_per_s": 100.0,
                       "embed_chunks_per_s": 71.4, "parse_vs_raw": 0.1, "generated": True,
                       "raw_pymupdf": {"pages": 100, "seconds": 0.1, "pages_per_s": 1000.0},
                       "embedder": {"name": "mini", "backend": "openvino", "precision": "f32", "load_s": 1.0}},
            "search": {"library": {"documents": 3, "pages": 500, "chunks": 1200, "ingest_s": 60.0,
                                   "ingest_pages_per_s": 8.3, "reused": True, "folder": "/c",
                                   "index": {"vectors": 1200, "kind": "flat", "dim": 384, "generation": 3}},
                       "k": 5, "warmup_s": 0.5, "queries_without_results": 0, "n": 50, "p50_ms": 12.5,
                       "p95_ms": 31.25, "mean_ms": 14.0, "max_ms": 40.0},
            "llm": {"ttft": {"document": {"pages": 2, "mode": "full", "context_tokens": 2300}, "model_load_s": 0.4,
                             "answer_tokens": 32,
                             "runs": {"cold": ttft_run, "warm": {**ttft_run, "first_token_ms": 250.0,
                                                                       "model_first_token_ms": 210.0},
                                      "follow_up": {**ttft_run, "first_token_ms": 500.0},
                                      "warm_disk": {**ttft_run, "first_token_ms": 300.0, "cache_hit": True}},
                             "warm_vs_cold": 0.125, "follow_up_vs_cold": 0.25, "warm_disk_vs_cold": 0.15},
                    "prefill": {"prompt_tokens": 1000, "rounds": 2, "decode_tokens": 24,
                                "engine": {"prefill_tokens_per_s": 340.0, "decode_tokens_per_s": 95.0},
                                "raw": {"prefill_tokens_per_s": 350.0, "decode_tokens_per_s": 100.0},
                                "prefill_ratio": 0.971, "decode_ratio": 0.95, "per_round": [],
                                "settings": {"n_ctx": 8192, "type_k": "f16", "type_v": "f16", "flash_attn": False,
                                             "n_threads": 2, "n_gpu_layers": 0}}},
            "memory": {"n_ctx": 8192, "types": {
                "f16": {"flash_attn": False, "rss_before_mib": 80.0, "load_mib": 290.0, "after_batch_mib": 310.0,
                        "peak_mib": 400.0, "estimate_kv_mib": 180.0, "estimate_total_mib": 330.0, "load_s": 0.3,
                        "batch_tokens": 512, "batch_tokens_per_s": 300.0},
                "q4_0": {"error": "ModelLoadError: no"}}},
            "retrieval": {"skipped": "no QA set at /nowhere"},
        }}


def test_markdown_has_the_machine_and_every_section():
    r = results()
    md = render_markdown(r)
    assert f"**Machine:** {describe(r['machine'])}." in md
    assert r["machine"]["cpu"] in md and "cores" in md
    for title in ("## Ingest speed", "## Search latency", "### Time to first token",
                  "### Prefill and decode beside raw llama.cpp", "## Memory by KV cache type",
                  "## Retrieval quality"):
        assert title in md, title
    assert "(quick)" in md
    assert "| raw PyMuPDF `get_text()` | 0.10 | 1,000.0 |" in md
    assert "| 50 | 12.5 | 31.2 | 14.0 | 40.0 | 0 |" in md  # p95 31.25 shown to one decimal
    assert "| warm (new question) | 250.0 | 0.12 | 40.0 | 210.0 | 0.11 |" in md
    assert "| prefill | 340.0 | 350.0 | 0.97 |" in md
    assert "failed: ModelLoadError: no" in md
    assert "Skipped: no QA set at /nowhere." in md


def test_a_failed_section_says_so_and_the_others_still_render():
    r = results()
    r["sections"]["search"] = {"error": "RuntimeError: boom"}
    md = render_markdown(r)
    assert "## Search latency\n\n**Failed:** `RuntimeError: boom`" in md
    assert "## Ingest speed" in md


def test_write_report_names_files_by_date_and_keeps_json_figures(tmp_path):
    r = results()
    md, js = write_report(r, tmp_path / "out")
    assert md.name == "bench-2026-12-03-0506-quick.md" and js.name == "bench-2026-12-03-0506-quick.json"
    assert report_name({**r, "quick": False}) == "bench-2026-12-03-0506"
    assert json.loads(js.read_text())["sections"]["search"]["p95_ms"] == 31.25
    assert md.read_text().startswith("# Lectern benchmark, 2026-12-03 05:06:07 UTC (quick)")


def test_a_partial_report_says_so():
    r = results()
    del r["wall_s"], r["load_average_end"]
    assert "**Partial report:**" in render_markdown(r)


def test_a_failed_part_of_the_llm_section_keeps_the_other():
    r = results()
    r["sections"]["llm"]["prefill"] = {"error": "IndexError: out of bounds"}
    md = render_markdown(r)
    assert "### Prefill and decode beside raw llama.cpp\n\n**Failed:** `IndexError: out of bounds`" in md
    assert "| cold | 2,000.0 | 1.00 |" in md
