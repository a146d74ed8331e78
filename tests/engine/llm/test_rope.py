"""resolve_context: RoPE scaling, KV types, flash attention, threads, GPU layers and memory, as llama.cpp needs them."""
from __future__ import annotations

import dataclasses

import pytest

from engine.errors import ContextTooLargeError, ModelLoadError, SettingsError
from engine.llm import memory
from engine.llm.gguf import read_gguf_info
from engine.llm.rope import (GGML_TYPES, ROPE_SCALING_LINEAR, ROPE_SCALING_NONE, ROPE_SCALING_UNSPECIFIED,
                             ROPE_SCALING_YARN, resolve_context)
from engine.paths import packaged_gguf_path
from engine.settings import LlmSettings

GB = 10**9


@pytest.fixture(scope="module")
def smol():
    return read_gguf_info(packaged_gguf_path())


def plan(info, free=64 * GB, gpu=False, cores=4, **kw):
    return resolve_context(info, LlmSettings(**kw), gpu_offload_supported=gpu, free_bytes=free, cores=cores)


def test_yarn_for_smollm2_at_32k(smol):
    p = plan(smol, n_ctx=32768)
    assert p.rope_mode == "yarn"
    assert p.rope_factor == 4.0
    assert p.yarn_orig_ctx == 8192
    assert p.rope_freq_scale == 0.25
    kw = p.llama_kwargs()
    assert kw["rope_scaling_type"] == ROPE_SCALING_YARN == 2
    assert (kw["n_ctx"], kw["rope_freq_scale"], kw["yarn_orig_ctx"]) == (32768, 0.25, 8192)
    assert kw["rope_freq_base"] == 0.0  # 0 keeps the model's 100,000


def test_auto_within_trained_context_scales_nothing(smol):
    p = plan(smol, n_ctx=8192)
    assert (p.rope_mode, p.rope_factor, p.rope_scaling_type, p.rope_freq_scale) == ("none", 1.0,
                                                                                    ROPE_SCALING_NONE, 1.0)
    assert p.yarn_orig_ctx == 0


def test_linear_and_forced_yarn(smol):
    lin = plan(smol, n_ctx=16384, rope_mode="linear")
    assert (lin.rope_scaling_type, lin.rope_freq_scale, lin.rope_factor) == (ROPE_SCALING_LINEAR, 0.5, 2.0)
    assert lin.yarn_orig_ctx == 0
    yarn = plan(smol, n_ctx=4096, rope_mode="yarn")  # forced but not needed: factor 1
    assert (yarn.rope_scaling_type, yarn.rope_freq_scale, yarn.yarn_orig_ctx) == (ROPE_SCALING_YARN, 1.0, 8192)


def test_rope_none_beyond_trained_is_refused(smol):
    with pytest.raises(SettingsError, match="exceeds .* trained context of 8,192") as err:
        plan(smol, n_ctx=16384, rope_mode="none")
    assert err.value.setting == "llm.rope_mode"


def test_auto_stops_at_8x_explicit_yarn_at_32x(smol):
    with pytest.raises(ContextTooLargeError, match="limited to 8x"):
        plan(smol, n_ctx=131072)
    far = plan(smol, n_ctx=131072, rope_mode="yarn", type_k="q4_0", type_v="q4_0")
    assert far.rope_factor == 16.0 and far.rope_freq_scale == 1 / 16
    assert any("16x" in w for w in far.warnings)
    with pytest.raises(ContextTooLargeError, match="limited to 32x"):
        plan(smol, n_ctx=1_048_576, rope_mode="yarn")


def test_model_with_declared_yarn_scales_from_its_original_context(smol):
    qwen_like = dataclasses.replace(smol, trained_ctx=32768, rope_scaling_type="yarn", rope_scaling_factor=4.0,
                                    rope_scaling_orig_ctx=8192)
    own = plan(qwen_like, n_ctx=16384)
    assert (own.rope_mode, own.rope_scaling_type, own.rope_freq_scale) == ("model", ROPE_SCALING_UNSPECIFIED, 0.0)
    more = plan(qwen_like, n_ctx=65536, type_k="q4_0", type_v="q4_0")
    assert (more.rope_factor, more.yarn_orig_ctx, more.rope_freq_scale) == (8.0, 8192, 0.125)


def test_rope_freq_base_override(smol):
    assert plan(smol, rope_freq_base=500000.0).llama_kwargs()["rope_freq_base"] == 500000.0


@pytest.mark.parametrize("t", ["q8_0", "q4_0"])
def test_quantized_v_turns_flash_attention_on(smol, t):
    p = plan(smol, type_k=t, type_v=t)
    assert p.flash_attn is True
    assert p.llama_kwargs()["type_k"] == GGML_TYPES[t] and p.llama_kwargs()["type_v"] == GGML_TYPES[t]


def test_flash_attention_auto_on_off(smol):
    assert plan(smol).flash_attn is False
    assert plan(smol, flash_attn="on").flash_attn is True
    assert plan(smol, type_k="q8_0", flash_attn="off").flash_attn is False  # quantized K alone is fine
    with pytest.raises(SettingsError, match="llm.type_v is q8_0") as err:
        plan(smol, type_v="q8_0", flash_attn="off")
    assert err.value.setting == "llm.flash_attn"


@pytest.mark.parametrize("field,value", [("type_k", "q5_1"), ("type_v", "f32"), ("rope_mode", "ntk"),
                                         ("flash_attn", "maybe")])
def test_unknown_choices(smol, field, value):
    with pytest.raises(SettingsError, match=f"llm.{field} must be one of") as err:
        plan(smol, **{field: value})
    assert err.value.setting == f"llm.{field}"


def test_threads(smol, monkeypatch):
    assert plan(smol, cores=6).n_threads == 6
    assert plan(smol, n_threads=3).llama_kwargs()["n_threads_batch"] == 3
    from engine.llm import rope
    monkeypatch.setattr(rope, "physical_cores", lambda: 5)
    assert resolve_context(smol, LlmSettings(), free_bytes=64 * GB).n_threads == 5


def test_gpu_layers_without_gpu_build_fall_back_to_cpu_with_a_warning(smol):
    p = plan(smol, n_gpu_layers=-1, gpu=False)
    assert p.n_gpu_layers == 0
    assert any("llm.n_gpu_layers" in w for w in p.warnings)
    assert plan(smol, n_gpu_layers=20, gpu=True).n_gpu_layers == 20


def test_context_beyond_memory_says_what_fits(smol):
    with pytest.raises(ContextTooLargeError, match="too large for this machine's memory") as err:
        plan(smol, n_ctx=65536, free=1 * GB)
    # q8_0 is not enough at 1 GB free; the advice names what is
    assert "llm.n_ctx 17,408 or less" in str(err.value) and "q4_0 KV cache" in str(err.value)
    assert "q8_0" not in str(err.value)


def test_context_beyond_memory_with_system_reading(smol, monkeypatch):
    monkeypatch.setattr(memory, "free_memory_bytes", lambda: 500 * 10**6)
    with pytest.raises(ContextTooLargeError):
        resolve_context(smol, LlmSettings(n_ctx=32768), cores=2)


def test_model_too_big_for_memory(smol):
    with pytest.raises(ModelLoadError, match="alone needs"):
        plan(smol, n_ctx=4096, free=50 * 10**6)


def test_ctx_rounded_to_llama_cpp_step(smol):
    assert plan(smol, n_ctx=5000).n_ctx == 5120


def test_effective_settings_cover_what_the_panel_shows(smol):
    eff = plan(smol, n_ctx=32768, type_k="q8_0", type_v="q8_0").effective_settings()
    assert eff == {"n_ctx": 32768, "rope_mode": "yarn", "rope_factor": 4.0, "rope_freq_scale": 0.25,
                   "yarn_orig_ctx": 8192, "rope_freq_base": 0.0, "type_k": "q8_0", "type_v": "q8_0",
                   "flash_attn": True, "n_gpu_layers": 0, "n_threads": 4}
