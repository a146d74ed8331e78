"""The model layer's speed and memory with the packaged SmolLM2 (prints figures; not a test).

    .venv/bin/python tests/bench/bench_llm.py [--prefix-tokens 3500] [--rounds 3] [--skip-rss]

1. Time to first token, cold (prefix never seen) vs warm (same prefix, new question: live context, the memory
   cache after something else ran, and a fresh backend reading the disk cache). Target: warm <= 0.3 x cold.
2. Prefill tokens/s of the backend vs a raw llama_cpp.Llama with the same context parameters on the same tokens,
   interleaved over --rounds (the machines are shared and noisy: compare medians). Target: >= 0.9x.
3. RSS after loading at n_ctx 32,768 with f16, q8_0 and q4_0 KV caches, each in a fresh process, next to the
   memory estimate; and after one 512-token batch, which touches llama.cpp's compute buffer.
4. GGUF header read time: the packaged file and a sparse 10 GB file.

This script, unlike the engine, imports llama_cpp directly: the raw baseline is the point of comparison.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.llm.backend import GenerationStats  # noqa: E402
from engine.llm.gguf import read_gguf_info  # noqa: E402
from engine.llm.llama import LlamaBackend  # noqa: E402
from engine.llm.memory import estimate_memory  # noqa: E402
from engine.llm.rope import resolve_context  # noqa: E402
from engine.paths import packaged_gguf_path  # noqa: E402
from engine.settings import LlmSettings  # noqa: E402

ESSAYS = ROOT.parent / "shared" / "eval" / "niah" / "pg_essays.txt"
MiB = 2**20


def document_text() -> str:
    if ESSAYS.exists():
        return ESSAYS.read_text(encoding="utf-8")
    return " ".join(f"Paragraph {i}: the committee met on day {i} and agreed on item {i * 7 % 31}." for i in range(4000))


def make_prefix(backend: LlamaBackend, n_tokens: int) -> str:
    """A system turn holding about `n_tokens` tokens of real prose."""
    text = document_text()
    words = text.split()
    lo, hi = 0, len(words)
    while lo < hi:  # the longest word prefix whose rendered prompt stays within n_tokens
        mid = (lo + hi + 1) // 2
        if backend.count_tokens(" ".join(words[:mid])) <= n_tokens - 40:
            lo = mid
        else:
            hi = mid - 1
    system = "Answer the question from the document below.\n\n" + " ".join(words[:lo])
    return backend.render_chat([{"role": "system", "content": system}]).rsplit("<|im_start|>assistant", 1)[0]


def suffix(question: str) -> str:
    return f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"


def ask(backend: LlamaBackend, prefix: str, question: str, max_tokens: int = 8) -> GenerationStats:
    *_, stats = backend.generate(prefix, suffix(question), max_tokens=max_tokens, temperature=0.0)
    return stats


# ---------------------------------------------------------------------------- 1. cold vs warm
def bench_ttft(prefix_tokens: int) -> None:
    print(f"\n== 1. time to first token, ~{prefix_tokens:,}-token prefix (n_ctx 8192, f16) ==")
    with tempfile.TemporaryDirectory() as cache:
        settings = LlmSettings(n_ctx=8192)
        with LlamaBackend.load(settings, cache_dir=Path(cache)) as b:
            prefix = make_prefix(b, prefix_tokens)
            cold = ask(b, prefix, "What is the main argument of the first essay?")
            live = ask(b, prefix, "Who is mentioned most often?")
            ask(b, "<|im_start|>system\nSomething else entirely.<|im_end|>\n" + "x " * 50, "hi")
            mem = ask(b, prefix, "What year is the first essay from?")
        with LlamaBackend.load(settings, cache_dir=Path(cache)) as fresh:
            disk = ask(fresh, prefix, "What does the author recommend?")
        state_mb = sum(p.stat().st_size for p in Path(cache).glob("*.kvstate")) / 1e6
    print(f"prefix {cold.prefix_tokens:,} tokens; saved state on disk {state_mb:.0f} MB")
    print(f"{'run':<26}{'source':>8}{'cached':>8}{'prefilled':>10}{'TTFT ms':>10}{'x cold':>8}")
    for name, s in (("cold", cold), ("warm: live context", live), ("warm: memory cache", mem),
                    ("warm: disk, new backend", disk)):
        print(f"{name:<26}{s.cache_source:>8}{s.cached_tokens:>8}{s.prompt_tokens - s.cached_tokens:>10}"
              f"{s.first_token_ms:>10.0f}{s.first_token_ms / cold.first_token_ms:>8.3f}")
    print(f"cold prefill {cold.prefill_tokens_per_s:.0f} tok/s; decode {cold.decode_tokens_per_s:.0f} tok/s")


# ---------------------------------------------------------------------------- 2. backend vs raw llama_cpp
def bench_prefill(prefix_tokens: int, rounds: int, threads: int = 0) -> None:
    import llama_cpp  # the baseline only

    print(f"\n== 2. prefill tokens/s, backend vs raw llama_cpp.Llama (~{prefix_tokens:,} tokens, {rounds} rounds) ==")
    settings = LlmSettings(n_ctx=8192, memory_cache_entries=0, disk_cache_mb=0, n_threads=threads)
    backend = LlamaBackend.load(settings)
    prefix = make_prefix(backend, prefix_tokens)
    tokens = backend.tokenize(prefix, bos=True) + backend.tokenize(suffix("Summarise."))
    plan = resolve_context(backend.info, settings)
    raw = llama_cpp.Llama(str(packaged_gguf_path()), **plan.llama_kwargs(), n_batch=512, n_ubatch=512, verbose=False)
    ours, theirs = [], []
    def run_raw() -> None:
        raw.reset()
        t = time.perf_counter()
        raw.eval(tokens)
        theirs.append(len(tokens) / (time.perf_counter() - t))

    def run_ours(i: int) -> None:
        # a new prefix each round (its first words changed) so nothing is cached
        stats = ask(backend, prefix.replace("Answer the question", f"Answer question {i}"), "Summarise.", 1)
        assert stats.cached_tokens <= 16, stats
        ours.append(stats.prefill_tokens_per_s)

    for i in range(rounds):
        # alternate who goes first, so a drift in machine load does not favour one side
        for step in ((run_raw, lambda: run_ours(i)) if i % 2 == 0 else (lambda: run_ours(i), run_raw)):
            step()
        print(f"round {i + 1}: raw {theirs[-1]:.0f} tok/s, backend {ours[-1]:.0f} tok/s")
    raw.close()
    backend.close()
    print(f"median raw {statistics.median(theirs):.0f} tok/s, backend {statistics.median(ours):.0f} tok/s, "
          f"ratio {statistics.median(ours) / statistics.median(theirs):.2f} ({len(tokens):,} tokens, "
          f"{plan.n_threads} threads)")


# ---------------------------------------------------------------------------- 3. RSS in fresh processes
def rss_child(kv: str) -> None:
    """Runs in a fresh process: RSS before/after loading at 32k, and after one 512-token batch."""
    import psutil

    proc = psutil.Process()
    settings = LlmSettings(n_ctx=32768, type_k=kv, type_v=kv, disk_cache_mb=0, memory_cache_entries=0)
    before = proc.memory_info().rss
    b = LlamaBackend.load(settings)
    after = proc.memory_info().rss
    toks = b.tokenize(document_text()[:6000], bos=True)[:512]
    b._eval(toks, lambda: False)
    batch = proc.memory_info().rss
    est = estimate_memory(b.info, 32768, kv, kv, flash_attn=b.plan.flash_attn, free_bytes=64 * 2**30)
    print(json.dumps({"kv": kv, "flash_attn": b.plan.flash_attn, "before": before, "after_load": after,
                      "after_batch": batch, "est_weights": est.weights_bytes, "est_kv": est.kv_bytes,
                      "est_compute": est.compute_bytes, "est_total": est.total_bytes}))
    b.close()


def bench_rss() -> None:
    print("\n== 3. RSS at n_ctx 32,768 (fresh process each; MiB) ==")
    print(f"{'KV':<6}{'FA':>4}{'load +':>9}{'est. w+kv+ovh':>15}{'after 512 +':>13}{'est. total':>12}"
          f"{'KV est':>9}{'compute est':>13}")
    for kv in ("f16", "q8_0", "q4_0"):
        out = subprocess.run([sys.executable, __file__, "--rss-child", kv], capture_output=True, text=True,
                             check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        load = (r["after_load"] - r["before"]) / MiB
        batch = (r["after_batch"] - r["before"]) / MiB
        at_load = (r["est_total"] - r["est_compute"]) / MiB
        print(f"{kv:<6}{'on' if r['flash_attn'] else 'off':>4}{load:>9.0f}{at_load:>15.0f}{batch:>13.0f}"
              f"{r['est_total'] / MiB:>12.0f}{r['est_kv'] / MiB:>9.1f}{r['est_compute'] / MiB:>13.1f}")
    print("(FACTS.md: +837 / +480 / +301 MB after load. The compute buffer is reserved at load but only paged in "
          "by long batches, so 'after 512' shows part of it.)")


# ---------------------------------------------------------------------------- 4. GGUF header
def bench_gguf() -> None:
    print("\n== 4. GGUF header read ==")
    path = packaged_gguf_path()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        read_gguf_info(path)
        times.append((time.perf_counter() - t) * 1000)
    print(f"packaged SmolLM2 (49,152-token vocabulary): median {statistics.median(times):.1f} ms")
    sys.path.insert(0, str(ROOT / "tests" / "engine" / "llm"))
    from gguf_files import write_gguf  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as tmp:
        n = 10 * 2**30 // 2
        big = write_gguf(Path(tmp) / "big.gguf", tensors=[("w", [n], 1, 0)])
        with open(big, "r+b") as fh:
            fh.truncate(big.stat().st_size + 2 * n)
        t = time.perf_counter()
        read_gguf_info(big)
        print(f"sparse 10 GB file: {(time.perf_counter() - t) * 1000:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefix-tokens", type=int, default=3500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-rss", action="store_true")
    ap.add_argument("--threads", type=int, default=0, help="n_threads for the prefill comparison (0: physical cores)")
    ap.add_argument("--only", default="", help="comma list of sections to run: ttft,prefill,rss,gguf")
    ap.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_child(args.rss_child)
        return
    only = set(filter(None, args.only.split(",")))
    info = read_gguf_info(packaged_gguf_path())
    print(f"model {info.name} ({info.quantization}, {info.file_size / 1e6:.0f} MB), trained ctx {info.trained_ctx}")
    if not only or "gguf" in only:
        bench_gguf()
    if not only or "ttft" in only:
        bench_ttft(args.prefix_tokens)
    if not only or "prefill" in only:
        bench_prefill(args.prefix_tokens, args.rounds, args.threads)
    if (not only and not args.skip_rss) or "rss" in only:
        bench_rss()


if __name__ == "__main__":
    main()
