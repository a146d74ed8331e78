"""Turn LlmSettings into the exact llama.cpp context parameters, refusing impossible combinations up front.

`resolve_context` is a pure function of the model's GGUF facts, the settings and a few machine facts passed in
(GPU offload support, free memory, core count), so every rule here is unit-tested without loading a model.

RoPE scaling, in llama.cpp's terms: the scaling factor is 1 / rope_freq_scale (llama.cpp's `--rope-scale N` sets
rope_freq_scale = 1/N, and its YaRN code computes `factor = 1.0f / cparams.rope_freq_scale`); yarn_orig_ctx is the
context the model was trained at; yarn_ext_factor is left at -1 so llama.cpp turns it to 1.0 for YaRN.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from ..errors import ContextTooLargeError, ModelLoadError, SettingsError
from ..settings import KV_TYPES, ROPE_MODES, LlmSettings
from .gguf import ModelInfo
from .memory import MemoryEstimate, estimate_memory, fmt_bytes

# llama.cpp enums (llama.h), repeated here so this module stays free of llama_cpp.
ROPE_SCALING_UNSPECIFIED, ROPE_SCALING_NONE, ROPE_SCALING_LINEAR, ROPE_SCALING_YARN = -1, 0, 1, 2
GGML_TYPES = {"f16": 1, "q8_0": 8, "q4_0": 2}
CTX_STEP = 256  # llama.cpp rounds n_ctx up to a multiple of 256; we do it first so both sides agree
# YaRN degrades past ~8x its original context; auto never goes further, an explicit mode may go to 32x.
AUTO_MAX_FACTOR = 8
EXPLICIT_MAX_FACTOR = 32


@dataclass(frozen=True)
class ContextPlan:
    """Everything llama.cpp needs to create the context, decided and checked.

    `rope_mode` is what is in effect: "none", "linear", "yarn", or "model" (the model's own declared scaling,
    left to llama.cpp). `rope_factor` is the context extension (1.0 = none). `warnings` are things the settings
    panel should show but that do not stop loading.
    """

    n_ctx: int
    rope_mode: str
    rope_factor: float
    rope_scaling_type: int
    rope_freq_scale: float
    yarn_orig_ctx: int
    rope_freq_base: float
    type_k: str
    type_v: str
    flash_attn: bool
    n_threads: int
    n_gpu_layers: int
    memory: MemoryEstimate
    warnings: tuple[str, ...] = field(default=())

    def llama_kwargs(self) -> dict:
        """Keyword arguments for llama_cpp.Llama, with llama.cpp's names."""
        return {
            "n_ctx": self.n_ctx,
            "rope_scaling_type": self.rope_scaling_type,
            "rope_freq_scale": self.rope_freq_scale,
            "yarn_orig_ctx": self.yarn_orig_ctx,
            "rope_freq_base": self.rope_freq_base,
            "type_k": GGML_TYPES[self.type_k],
            "type_v": GGML_TYPES[self.type_v],
            "flash_attn": self.flash_attn,
            "n_threads": self.n_threads,
            "n_threads_batch": self.n_threads,
            "n_gpu_layers": self.n_gpu_layers,
        }

    def effective_settings(self) -> dict:
        """The settings in effect, for display and for the prefix cache key."""
        return {
            "n_ctx": self.n_ctx, "rope_mode": self.rope_mode, "rope_factor": self.rope_factor,
            "rope_freq_scale": self.rope_freq_scale, "yarn_orig_ctx": self.yarn_orig_ctx,
            "rope_freq_base": self.rope_freq_base, "type_k": self.type_k, "type_v": self.type_v,
            "flash_attn": self.flash_attn, "n_gpu_layers": self.n_gpu_layers, "n_threads": self.n_threads,
        }

    def as_dict(self) -> dict:
        return asdict(self)


def physical_cores() -> int:
    """Physical cores this process may run on (hyper-threads slow llama.cpp's matrix code down)."""
    import psutil

    cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    try:
        cores = min(cores, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        pass
    return max(1, cores)


def _round_ctx(n: int) -> int:
    return -(-n // CTX_STEP) * CTX_STEP


def resolve_context(info: ModelInfo, settings: LlmSettings, *, gpu_offload_supported: bool = False,
                    free_bytes: int | None = None, cores: int | None = None) -> ContextPlan:
    """Decide n_ctx, RoPE scaling, KV types, flash attention, threads and GPU layers for this model.

    Args:
        info: the model's GGUF facts.
        settings: the llm settings (n_ctx, rope_mode, rope_freq_base, type_k, type_v, flash_attn, n_threads,
            n_gpu_layers are read).
        gpu_offload_supported: whether the llama.cpp build can offload to a GPU.
        free_bytes: memory free now (None reads it from the system).
        cores: physical cores (None reads them from the system).
    Returns:
        ContextPlan.
    Raises:
        SettingsError: an unknown KV type or RoPE mode, a quantized V cache with flash attention forced off, or
            rope_mode none with n_ctx beyond the trained context.
        ContextTooLargeError: n_ctx beyond what RoPE scaling can stretch, or beyond the free memory (the message
            says what would fit).
        ModelLoadError: the model alone does not fit in the free memory.
    """
    s = settings
    for name, value, choices in (("llm.type_k", s.type_k, KV_TYPES), ("llm.type_v", s.type_v, KV_TYPES),
                                 ("llm.rope_mode", s.rope_mode, ROPE_MODES),
                                 ("llm.flash_attn", s.flash_attn, ("auto", "on", "off"))):
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}; got {value!r}.", name)
    if s.n_ctx < 1:
        raise SettingsError(f"llm.n_ctx must be positive; got {s.n_ctx}.", "llm.n_ctx")
    if s.rope_freq_base < 0:
        raise SettingsError(f"llm.rope_freq_base must be 0 or positive; got {s.rope_freq_base}.",
                            "llm.rope_freq_base")
    warnings: list[str] = []
    n_ctx = _round_ctx(s.n_ctx)
    mode, factor, scaling_type, freq_scale, orig = _rope(info, s.rope_mode, n_ctx, warnings)

    quantized_v = s.type_v != "f16"
    if s.flash_attn == "off" and quantized_v:
        raise SettingsError(f"llm.flash_attn is off, but llm.type_v is {s.type_v}: llama.cpp needs flash attention "
                            f"for a quantized V cache. Set llm.flash_attn to auto or on, or llm.type_v to f16.",
                            "llm.flash_attn")
    flash_attn = s.flash_attn == "on" or (s.flash_attn == "auto" and quantized_v)

    n_gpu_layers = s.n_gpu_layers
    if n_gpu_layers != 0 and not gpu_offload_supported:
        # A warning, not an error: settings.json travels with the library, and a library set up on a machine
        # with a GPU must still open on one without.
        warnings.append(f"llm.n_gpu_layers is {n_gpu_layers}, but this llama-cpp-python build has no GPU support; "
                        f"running on the CPU.")
        n_gpu_layers = 0

    memory = estimate_memory(info, n_ctx, s.type_k, s.type_v, n_gpu_layers, flash_attn=flash_attn,
                             free_bytes=free_bytes)
    if not memory.fits:
        base = estimate_memory(info, 512, "q4_0", "q4_0", n_gpu_layers, flash_attn=True,
                               free_bytes=memory.free_bytes)
        if not base.fits:
            raise ModelLoadError(base.advice or f"{info.name} does not fit in the free memory "
                                 f"({fmt_bytes(memory.free_bytes)}).")
        raise ContextTooLargeError(f"The context is too large for this machine's memory: {memory.advice}")
    return ContextPlan(n_ctx=n_ctx, rope_mode=mode, rope_factor=factor, rope_scaling_type=scaling_type,
                       rope_freq_scale=freq_scale, yarn_orig_ctx=orig, rope_freq_base=float(s.rope_freq_base),
                       type_k=s.type_k, type_v=s.type_v, flash_attn=flash_attn,
                       n_threads=s.n_threads if s.n_threads > 0 else (cores or physical_cores()),
                       n_gpu_layers=n_gpu_layers, memory=memory, warnings=tuple(warnings))


def _rope(info: ModelInfo, rope_mode: str, n_ctx: int, warnings: list[str]) -> tuple[str, float, int, float, int]:
    """(mode, factor, rope_scaling_type, rope_freq_scale, yarn_orig_ctx) for llama.cpp."""
    trained = info.trained_ctx
    if trained <= 0:
        warnings.append(f"{info.name} does not declare its trained context; RoPE scaling is left to llama.cpp.")
        return "model", 1.0, ROPE_SCALING_UNSPECIFIED, 0.0, 0
    # A model that already declares YaRN (e.g. Qwen at 128k) has context_length = the extended length; further
    # scaling is relative to its original context.
    declared_yarn = info.rope_scaling_type == "yarn" and info.rope_scaling_orig_ctx
    base_ctx = info.rope_scaling_orig_ctx if declared_yarn else trained

    if rope_mode == "none":
        if n_ctx > trained:
            raise SettingsError(f"llm.rope_mode is none, but llm.n_ctx {n_ctx:,} exceeds {info.name}'s trained "
                                f"context of {trained:,} tokens: past it the model loses track of positions. "
                                f"Set llm.rope_mode to auto or yarn, or llm.n_ctx to {trained:,} or less.",
                                "llm.rope_mode")
        return "none", 1.0, ROPE_SCALING_NONE, 1.0, 0
    if rope_mode == "auto":
        if n_ctx <= trained:
            if info.rope_scaling_type:
                return "model", info.rope_scaling_factor or 1.0, ROPE_SCALING_UNSPECIFIED, 0.0, 0
            return "none", 1.0, ROPE_SCALING_NONE, 1.0, 0
        limit, rope_mode = AUTO_MAX_FACTOR, "yarn"
    else:
        limit = EXPLICIT_MAX_FACTOR
    factor = max(1.0, n_ctx / base_ctx)
    if n_ctx > trained and n_ctx > limit * base_ctx:
        raise ContextTooLargeError(
            f"llm.n_ctx {n_ctx:,} is {n_ctx / base_ctx:.0f}x {info.name}'s trained context of {base_ctx:,} tokens; "
            f"RoPE scaling ({rope_mode}) is limited to {limit}x here ({limit * base_ctx:,} tokens)"
            + (". Set llm.rope_mode to yarn explicitly to go up to 32x." if limit == AUTO_MAX_FACTOR else "."))
    if factor > AUTO_MAX_FACTOR:
        warnings.append(f"RoPE scaling by {factor:g}x: answers may degrade far beyond the trained context.")
    scaling_type = ROPE_SCALING_YARN if rope_mode == "yarn" else ROPE_SCALING_LINEAR
    return rope_mode, factor, scaling_type, 1.0 / factor, base_ctx if rope_mode == "yarn" else 0
