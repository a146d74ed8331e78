"""Memory estimates match what llama.cpp allocates, and say what would fit when they do not."""
from __future__ import annotations

import dataclasses

import pytest

from engine.errors import SettingsError
from engine.llm import memory
from engine.llm.gguf import read_gguf_info
from engine.llm.memory import compute_buffer_bytes, estimate_memory, kv_cache_bytes, largest_fitting_ctx
from engine.paths import packaged_gguf_path

MiB = 2**20
GB = 10**9


@pytest.fixture(scope="module")
def smol():
    return read_gguf_info(packaged_gguf_path())


# llama.cpp's own log for SmolLM2-135M at n_ctx 32,768 says "KV buffer size = 720.00 / 382.50 / 202.50 MiB".
@pytest.mark.parametrize("kv_type,mib", [("f16", 720.0), ("q8_0", 382.5), ("q4_0", 202.5)])
def test_kv_bytes_match_llama_cpp(smol, kv_type, mib):
    assert kv_cache_bytes(smol, 32768, kv_type, kv_type) == mib * MiB


def test_mixed_kv_types(smol):
    assert kv_cache_bytes(smol, 32768, "q8_0", "f16") == (382.5 + 720.0) / 2 * MiB


def test_compute_buffer_matches_llama_cpp(smol):
    # llama.cpp: "CPU compute buffer size = 646.38 MiB" without flash attention at 32k, 98.25 MiB with it
    assert compute_buffer_bytes(smol, 32768, flash_attn=False) / MiB == pytest.approx(646.38, abs=1)
    assert compute_buffer_bytes(smol, 32768, flash_attn=True) / MiB == pytest.approx(98.25, abs=1)
    assert compute_buffer_bytes(smol, 8192, flash_attn=False) / MiB == pytest.approx(166.38, abs=1)
    assert compute_buffer_bytes(smol, 4096, flash_attn=False) / MiB == pytest.approx(99.38, abs=2)


def test_unknown_kv_type(smol):
    with pytest.raises(SettingsError, match="llm.type_v must be one of") as err:
        estimate_memory(smol, 4096, "f16", "q5_1", free_bytes=10 * GB)
    assert err.value.setting == "llm.type_v"


def test_fits_with_plenty_of_memory(smol):
    est = estimate_memory(smol, 32768, "q8_0", "q8_0", free_bytes=16 * GB)
    assert est.fits and est.advice == ""
    assert est.total_bytes == est.weights_bytes + est.kv_bytes + est.compute_bytes + est.overhead_bytes
    assert est.weights_bytes == smol.file_size
    assert est.ram_bytes == est.total_bytes


def test_advice_names_largest_ctx_and_smaller_cache(smol):
    est = estimate_memory(smol, 32768, "f16", "f16", free_bytes=900 * 10**6)
    assert not est.fits
    assert "n_ctx 32,768" in est.advice and "900 MB" in est.advice
    assert "llm.n_ctx" in est.advice and "q8_0 KV cache" in est.advice
    # the n_ctx it proposes really fits, and the next step up does not
    budget = 900 * 10**6 * memory.FIT_FRACTION
    best = largest_fitting_ctx(smol, "f16", "f16", budget, upper=32768)
    assert f"llm.n_ctx {best:,} or less" in est.advice
    assert estimate_memory(smol, best, "f16", "f16", free_bytes=900 * 10**6).fits
    assert not estimate_memory(smol, best + 256, "f16", "f16", free_bytes=900 * 10**6).fits


def test_advice_when_even_the_model_does_not_fit(smol):
    est = estimate_memory(smol, 4096, "f16", "f16", free_bytes=50 * 10**6)
    assert not est.fits and "alone needs" in est.advice and "smaller model" in est.advice


def test_free_memory_read_from_the_system(smol, monkeypatch):
    monkeypatch.setattr(memory, "free_memory_bytes", lambda: 123 * 10**6)
    est = estimate_memory(smol, 4096, "f16", "f16")
    assert est.free_bytes == 123 * 10**6 and not est.fits


def test_gpu_offload_moves_weights_and_cache_out_of_ram(smol):
    cpu = estimate_memory(smol, 8192, "f16", "f16", free_bytes=16 * GB)
    gpu = estimate_memory(smol, 8192, "f16", "f16", n_gpu_layers=-1, free_bytes=16 * GB)
    assert gpu.gpu_offload and not cpu.gpu_offload
    assert gpu.ram_bytes < cpu.ram_bytes and gpu.total_bytes == cpu.total_bytes


def test_ctx_rounded_like_llama_cpp(smol):
    a = estimate_memory(smol, 4000, "f16", "f16", free_bytes=16 * GB)
    b = estimate_memory(smol, 4096, "f16", "f16", free_bytes=16 * GB)
    assert a.kv_bytes == b.kv_bytes


def test_gqa_dimensions_drive_the_cache(smol):
    mha = dataclasses.replace(smol, n_head_kv=9, n_embd_k_gqa=576, n_embd_v_gqa=576)
    assert kv_cache_bytes(mha, 4096, "f16", "f16") == 3 * kv_cache_bytes(smol, 4096, "f16", "f16")
