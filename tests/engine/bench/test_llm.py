"""The model sections with the packaged SmolLM2: time to first token, prefill/decode beside raw llama.cpp, and
RSS by KV cache type in a fresh process. Tiny prompts; slow anyway (real inference)."""
from __future__ import annotations

import pytest

from engine.bench.llm import bench_prefill, bench_ttft, prose_prompt
from engine.bench.memory import bench_memory
from engine.llm.llama import LlamaBackend
from engine.settings import LlmSettings

pytestmark = [pytest.mark.slow, pytest.mark.llm]


def test_prose_prompt_has_about_the_tokens_asked():
    with LlamaBackend.load(LlmSettings(n_ctx=2048)) as backend:
        prefix, suffix = prose_prompt(backend, 300)
        n = backend.count_tokens(prefix + suffix)
    assert 250 <= n <= 420
    assert suffix.startswith("Write a long summary")


def test_prefill_and_decode_beside_raw_llama():
    r = bench_prefill(200, rounds=2, decode_tokens=4, n_ctx=2048)
    assert r["rounds"] == 2 and len(r["per_round"]) == 2 and 150 <= r["prompt_tokens"] <= 320
    for side in ("engine", "raw"):
        assert r[side]["prefill_tokens_per_s"] > 0 and r[side]["decode_tokens_per_s"] > 0
    assert r["prefill_ratio"] == pytest.approx(r["engine"]["prefill_tokens_per_s"] / r["raw"]["prefill_tokens_per_s"],
                                               abs=0.01)
    assert all(row["engine"]["cached_tokens"] <= 16 for row in r["per_round"])  # nothing reused between rounds
    assert r["settings"]["n_ctx"] == 2048


def test_time_to_first_token_cold_then_warm_from_the_cache(engine_factory):
    r = bench_ttft(1, engine_factory=engine_factory, answer_tokens=16)
    runs = r["runs"]
    assert r["document"]["mode"] == "full" and r["document"]["context_tokens"] > 100
    assert not runs["cold"]["cache_hit"] and runs["warm"]["cache_hit"] and runs["warm_disk"]["cache_hit"]
    assert all(run["first_token_ms"] > 0 for run in runs.values())
    assert r["warm_vs_cold"] == pytest.approx(runs["warm"]["first_token_ms"] / runs["cold"]["first_token_ms"],
                                              abs=0.001)


def test_memory_per_kv_type_in_fresh_processes():
    r = bench_memory(2048, ("f16", "q8_0"))
    f16, q8 = r["types"]["f16"], r["types"]["q8_0"]
    assert r["n_ctx"] == 2048
    assert f16["load_mib"] > 20 and q8["load_mib"] > 20  # the weights alone are ~90 MB
    assert q8["flash_attn"] and f16["estimate_kv_mib"] > q8["estimate_kv_mib"] > 0
    assert f16["peak_mib"] >= f16["rss_before_mib"] + f16["after_batch_mib"] - 1
    assert f16["batch_tokens"] > 100 and f16["batch_tokens_per_s"] > 0


def test_a_type_that_cannot_load_is_reported_not_raised():
    r = bench_memory(2048, ("q2_k",))
    assert "error" in r["types"]["q2_k"]
