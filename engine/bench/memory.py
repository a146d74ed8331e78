"""Process memory by KV cache type at a long context, each type measured in a fresh process.

A fresh process per type, because freed llama.cpp buffers do not reliably return to the OS: RSS in one process
after several loads says little. The child reports RSS before and after loading the model, after one prompt batch
(which pages in part of llama.cpp's compute buffer), its peak RSS, and the engine's own estimate beside them.

    python -m engine.bench.memory KV N_CTX      # the child; prints one JSON line
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

Say = Callable[[str], None]
MiB = 2**20
BATCH_TOKENS = 512


def measure_in_this_process(kv: str, n_ctx: int) -> dict:
    """Load the model with a `kv` cache at `n_ctx`, prefill one batch, and report RSS at each step (bytes)."""
    import psutil

    from ..llm.llama import LlamaBackend
    from ..llm.memory import estimate_memory
    from ..settings import LlmSettings
    from .llm import prose_prompt

    proc = psutil.Process()
    before = proc.memory_info().rss
    settings = LlmSettings(n_ctx=n_ctx, type_k=kv, type_v=kv, disk_cache_mb=0, memory_cache_entries=0)
    t = time.perf_counter()
    backend = LlamaBackend.load(settings)
    load_s = time.perf_counter() - t
    after_load = proc.memory_info().rss
    prefix, suffix = prose_prompt(backend, BATCH_TOKENS)
    t = time.perf_counter()
    *_, stats = backend.generate(prefix, suffix, max_tokens=1, temperature=0.0)
    batch_s = time.perf_counter() - t
    after_batch = proc.memory_info().rss
    est = estimate_memory(backend.info, n_ctx, kv, kv, flash_attn=backend.plan.flash_attn, free_bytes=2**40)
    out = {"kv": kv, "n_ctx": n_ctx, "flash_attn": backend.plan.flash_attn, "rss_before": before,
           "rss_after_load": after_load, "rss_after_batch": after_batch, "rss_peak": _peak_rss(),
           "load_s": round(load_s, 2), "batch_tokens": stats.prompt_tokens,
           "batch_tokens_per_s": round(stats.prompt_tokens / batch_s, 1),
           "estimate": {"weights": est.weights_bytes, "kv": est.kv_bytes, "compute": est.compute_bytes,
                        "total": est.total_bytes}}
    backend.close()
    return out


def child_env() -> dict[str, str]:
    """The environment for a child Python that imports this engine, also where it is not installed."""
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}


def _peak_rss() -> int | None:
    """This process's peak RSS in bytes. Linux keeps ru_maxrss across exec (it would report the parent's peak at
    fork time), so there it reads VmHWM, which belongs to the new address space."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def bench_memory(n_ctx: int, kv_types: Sequence[str] = ("f16", "q8_0", "q4_0"), *,
                 say: Say = lambda _: None, timeout_s: float = 900) -> dict:
    """RSS per KV cache type at `n_ctx`, each in a fresh `python -m engine.bench.memory` process.

    Returns:
        {"n_ctx", "types": {kv: {"load_mib", "after_batch_mib", "peak_mib", "estimate_kv_mib", ...}}}; a type that
        failed to load carries {"error": message} instead.
    """
    types: dict[str, dict] = {}
    for kv in kv_types:
        say(f"memory: {kv} KV cache at n_ctx {n_ctx:,} (fresh process)…")
        run = subprocess.run([sys.executable, "-m", "engine.bench.memory", kv, str(n_ctx)], capture_output=True,
                             text=True, timeout=timeout_s, env=child_env())
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith("{")]
        if run.returncode or not lines:
            types[kv] = {"error": (run.stderr.strip().splitlines() or ["no output"])[-1][:300]}
            continue
        r = json.loads(lines[-1])
        est = r["estimate"]
        types[kv] = {
            "flash_attn": r["flash_attn"], "rss_before_mib": round(r["rss_before"] / MiB, 1),
            "load_mib": round((r["rss_after_load"] - r["rss_before"]) / MiB, 1),
            "after_batch_mib": round((r["rss_after_batch"] - r["rss_before"]) / MiB, 1),
            "peak_mib": round(r["rss_peak"] / MiB, 1) if r["rss_peak"] else None,
            "estimate_kv_mib": round(est["kv"] / MiB, 1), "estimate_total_mib": round(est["total"] / MiB, 1),
            "load_s": r["load_s"], "batch_tokens": r["batch_tokens"], "batch_tokens_per_s": r["batch_tokens_per_s"]}
    return {"n_ctx": n_ctx, "types": types}


if __name__ == "__main__":
    print(json.dumps(measure_in_this_process(sys.argv[1], int(sys.argv[2]))))
