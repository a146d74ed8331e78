"""How much memory a model needs at a given context, checked before llama.cpp is asked to allocate it.

The estimate follows what llama.cpp allocates (calibrated against its own buffer report and measured RSS for the
packaged SmolLM2 at n_ctx 512-32,768; tests/bench/bench_llm.py re-measures it):

- weights: the file size (memory-mapped; every page is touched during a forward pass);
- KV cache: n_layer * n_ctx * (n_embd_k_gqa * bytes(type_k) + n_embd_v_gqa * bytes(type_v)), matching llama.cpp's
  "KV buffer size" to the byte. It is zeroed at load, so it shows up in RSS at once;
- compute buffer: the larger of the output projection, (n_vocab + 2 n_embd) * n_ubatch * 4 bytes, and, without
  flash attention, the attention scores and mask, (n_head + 1) * n_ctx * n_ubatch * 4 bytes (+ 2 n_ff * n_ubatch
  * 4). At n_ctx 32,768 without flash attention that is 646 MiB for a 135M model: llama.cpp reserves it at load and
  touches it on the first long prefill, so it counts even though RSS right after loading does not show it yet;
- a fixed runtime overhead (output buffer, graphs, the Python-side token arrays).

Models with a sliding-window attention get an upper bound (llama.cpp sizes their SWA layers' cache smaller).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SettingsError
from .gguf import ModelInfo

# Bytes per cached element: ggml block sizes (q8_0: 32 values in 34 bytes, q4_0: 32 values in 18 bytes).
KV_BYTES = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
N_UBATCH = 512
OVERHEAD_BYTES = 32 * 2**20
# Leave a tenth of the free memory to the rest of the system and to the document index.
FIT_FRACTION = 0.9
_CTX_STEP = 256  # llama.cpp pads n_ctx to a multiple of 256


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a model needs at one context size, and whether that fits in the memory free now.

    `ram_bytes` is the part that lives in system memory (all of `total_bytes` without GPU offload); `fits`
    compares it with `free_bytes`. With GPU offload the split between RAM and GPU memory is an estimate and GPU
    memory itself is not checked. `advice` says what would fit when `fits` is False, else it is empty.
    """

    weights_bytes: int
    kv_bytes: int
    compute_bytes: int
    overhead_bytes: int
    total_bytes: int
    ram_bytes: int
    free_bytes: int
    fits: bool
    advice: str
    gpu_offload: bool = False


def free_memory_bytes() -> int:
    """Memory available to a new allocation without swapping (psutil's `available`)."""
    import psutil

    return int(psutil.virtual_memory().available)


def kv_cache_bytes(info: ModelInfo, n_ctx: int, type_k: str, type_v: str) -> int:
    """Bytes of the KV cache llama.cpp allocates for `n_ctx` tokens."""
    for name, t in (("llm.type_k", type_k), ("llm.type_v", type_v)):
        if t not in KV_BYTES:
            raise SettingsError(f"{name} must be one of {', '.join(KV_BYTES)}; got {t!r}.", name)
    per_token = info.n_embd_k_gqa * KV_BYTES[type_k] + info.n_embd_v_gqa * KV_BYTES[type_v]
    return int(info.n_layer * n_ctx * per_token)


def compute_buffer_bytes(info: ModelInfo, n_ctx: int, flash_attn: bool, n_ubatch: int = N_UBATCH) -> int:
    """Bytes of llama.cpp's compute buffer for one micro-batch of `n_ubatch` tokens."""
    n_ubatch = min(n_ubatch, n_ctx)
    output = (info.n_vocab + 2 * info.n_embd) * n_ubatch * 4
    if flash_attn:
        return output
    attention = ((info.n_head + 1) * n_ctx + 2 * info.n_ff) * n_ubatch * 4
    return max(output, attention)


def _gpu_fraction(info: ModelInfo, n_gpu_layers: int) -> float:
    if n_gpu_layers == 0 or info.n_layer <= 0:
        return 0.0
    if n_gpu_layers < 0:
        return 1.0
    return min(1.0, n_gpu_layers / (info.n_layer + 1))  # +1: the output layer counts as one


def _parts(info: ModelInfo, n_ctx: int, type_k: str, type_v: str, n_gpu_layers: int,
           flash_attn: bool) -> tuple[int, int, int, int, int]:
    weights = info.file_size
    kv = kv_cache_bytes(info, n_ctx, type_k, type_v)
    compute = compute_buffer_bytes(info, n_ctx, flash_attn)
    total = weights + kv + compute + OVERHEAD_BYTES
    on_gpu = _gpu_fraction(info, n_gpu_layers)
    ram = int((weights + kv) * (1 - on_gpu)) + compute + OVERHEAD_BYTES
    return weights, kv, compute, total, ram


def fmt_bytes(n: float) -> str:
    """Sizes as a reader sees them: 837 MB, 1.4 GB."""
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def estimate_memory(info: ModelInfo, n_ctx: int, type_k: str, type_v: str, n_gpu_layers: int = 0, *,
                    flash_attn: bool | None = None, free_bytes: int | None = None) -> MemoryEstimate:
    """Estimate the memory a model needs at `n_ctx` and say what would fit if it does not.

    Args:
        info: the model's GGUF facts.
        n_ctx: context length in tokens (rounded up to llama.cpp's multiple of 256).
        type_k, type_v: KV cache types ("f16", "q8_0", "q4_0").
        n_gpu_layers: layers offloaded to a GPU (-1 all); their weights and cache leave system memory.
        flash_attn: whether flash attention will be on; None means the auto rule (on when type_v is quantized).
        free_bytes: memory free now; None reads it from the system.
    Returns:
        MemoryEstimate.
    Raises:
        SettingsError: an unknown KV cache type.
    """
    n_ctx = -(-n_ctx // _CTX_STEP) * _CTX_STEP
    fa = (type_v != "f16") if flash_attn is None else flash_attn
    free = free_memory_bytes() if free_bytes is None else int(free_bytes)
    budget = free * FIT_FRACTION
    weights, kv, compute, total, ram = _parts(info, n_ctx, type_k, type_v, n_gpu_layers, fa)
    fits = ram <= budget
    advice = "" if fits else _advice(info, n_ctx, type_k, type_v, n_gpu_layers, flash_attn, budget, free, ram, kv)
    return MemoryEstimate(weights_bytes=weights, kv_bytes=kv, compute_bytes=compute, overhead_bytes=OVERHEAD_BYTES,
                          total_bytes=total, ram_bytes=ram, free_bytes=free, fits=fits, advice=advice,
                          gpu_offload=_gpu_fraction(info, n_gpu_layers) > 0)


def largest_fitting_ctx(info: ModelInfo, type_k: str, type_v: str, budget: float, *, n_gpu_layers: int = 0,
                        flash_attn: bool | None = None, upper: int) -> int:
    """The largest n_ctx (multiple of 256, at most `upper`) whose estimate fits in `budget` bytes; 0 if none."""
    fa = (type_v != "f16") if flash_attn is None else flash_attn

    def ok(n: int) -> bool:
        return _parts(info, n, type_k, type_v, n_gpu_layers, fa)[4] <= budget

    lo, hi = 0, upper // _CTX_STEP  # in steps of 256; memory grows monotonically with n_ctx
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid * _CTX_STEP):
            lo = mid
        else:
            hi = mid - 1
    return lo * _CTX_STEP


def _advice(info: ModelInfo, n_ctx: int, type_k: str, type_v: str, n_gpu_layers: int, flash_attn: bool | None,
            budget: float, free: int, ram: int, kv: int) -> str:
    need = (f"n_ctx {n_ctx:,} with a {type_k}/{type_v} KV cache needs about {fmt_bytes(ram)} "
            f"({fmt_bytes(kv)} of it for the KV cache), but only {fmt_bytes(free)} of memory is free.")
    smallest = largest_fitting_ctx(info, type_k, type_v, budget, n_gpu_layers=n_gpu_layers, flash_attn=flash_attn,
                                   upper=512)
    if smallest < 512 and largest_fitting_ctx(info, "q4_0", "q4_0", budget, n_gpu_layers=n_gpu_layers,
                                              upper=512) < 512:
        return (f"The model {info.name} alone needs about {fmt_bytes(info.file_size)}, but only {fmt_bytes(free)} "
                f"of memory is free: close other programs, or choose a smaller model or quantization.")
    options = []
    best = largest_fitting_ctx(info, type_k, type_v, budget, n_gpu_layers=n_gpu_layers, flash_attn=flash_attn,
                               upper=n_ctx)
    if best >= 512:
        options.append(f"llm.n_ctx {best:,} or less")
    fa = (type_v != "f16") if flash_attn is None else flash_attn
    if not fa and _parts(info, n_ctx, type_k, type_v, n_gpu_layers, True)[4] <= budget:
        # Without flash attention the attention scores of a 512-token batch over the whole context are buffered.
        options.append("flash attention (llm.flash_attn = on; decoding is slower on CPU)")
    for t in KV_BYTES:  # from largest to smallest; only types smaller than the current pair
        if 2 * KV_BYTES[t] < KV_BYTES[type_k] + KV_BYTES[type_v] and _parts(info, n_ctx, t, t, n_gpu_layers, True)[4] <= budget:
            options.append(f"a {t} KV cache (llm.type_k and llm.type_v = {t}; prefill is slower on CPU)")
            break
    if not options:
        return need + " Choose a smaller model or free some memory."
    return need + " Choose " + ", or ".join(options) + "."
