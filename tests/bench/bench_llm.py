"""The model layer's speed and memory with the packaged SmolLM2 (prints figures; not a test).

    .venv/bin/python tests/bench/bench_llm.py [--prefix-tokens 3500] [--rounds 3] [--only ttft,prefill,rss,gguf]

1-3 are thin wrappers over `engine.bench` (`lectern bench --sections llm,memory` writes them as a report):
1. Time to first token through `Engine.ask`, cold vs warm (same engine, follow-up, new engine from the disk cache).
2. Prefill and decode tokens/s of the backend vs a raw llama_cpp.Llama on the same tokens, interleaved rounds.
3. RSS at n_ctx 32,768 with f16, q8_0 and q4_0 KV caches, each in a fresh process, next to the memory estimate.
4. GGUF header read time: the packaged file and a sparse 10 GB file.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.bench.llm import bench_prefill, bench_ttft  # noqa: E402
from engine.bench.memory import bench_memory  # noqa: E402
from engine.llm.gguf import read_gguf_info  # noqa: E402
from engine.paths import packaged_gguf_path  # noqa: E402


def say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


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
    ap.add_argument("--ttft-pages", type=int, default=4)
    ap.add_argument("--only", default="", help="comma list of sections to run: ttft,prefill,rss,gguf")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(","))) or {"ttft", "prefill", "rss", "gguf"}
    info = read_gguf_info(packaged_gguf_path())
    print(f"model {info.name} ({info.quantization}, {info.file_size / 1e6:.0f} MB), trained ctx {info.trained_ctx}")
    if "gguf" in only:
        bench_gguf()
    if "ttft" in only:
        print("\n== 1. time to first token ==")
        r = bench_ttft(args.ttft_pages, say=say)
        print(f"document {r['document']}")
        for name, run in r["runs"].items():
            print(f"{name:<10} TTFT {run['first_token_ms']:>9.0f} ms  x cold "
                  f"{run['first_token_ms'] / r['runs']['cold']['first_token_ms']:.3f}  prompt {run['prompt_tokens']}"
                  f"  cache hit {run['cache_hit']}")
    if "prefill" in only:
        print("\n== 2. prefill and decode, backend vs raw llama_cpp.Llama ==")
        r = bench_prefill(args.prefix_tokens, args.rounds, 64, say=say)
        print(json.dumps({k: v for k, v in r.items() if k != "per_round"}))
    if "rss" in only:
        print("\n== 3. RSS at n_ctx 32,768 (fresh process each; MiB over the process before loading) ==")
        for kv, row in bench_memory(32768, say=say)["types"].items():
            print(f"{kv:<6} {json.dumps(row)}")


if __name__ == "__main__":
    main()
