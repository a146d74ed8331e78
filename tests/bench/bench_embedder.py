"""Embedding throughput, agreement and load time of each embedder backend (prints figures; not a test).

    .venv/bin/python tests/bench/bench_embedder.py [--rounds N] [--only openvino,onnx] [--no-load]

Chunks of about 200 embedder tokens are cut from real books (the SQuAD dev set's PDFs by default). For every
configuration it prints chunks/s (best of --rounds interleaved runs, each in a fresh process, since the machines
are shared and noisy), the cosine of each chunk vector to sentence-transformers on torch float32 (the reference),
and over the queries the top-5 neighbour overlap and top-1 agreement with the reference. Then it times
import + load + first query in fresh processes: cold (converting into an empty cache) and warm.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.index.embedder import Embedder, _OnnxRunner  # noqa: E402
from engine.index.embedder_cache import read_model_spec  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "sets" / "squad-dev"


def book_chunks(docs: Path, tokens: int = 200, mixed: bool = False) -> list[str]:
    """Cut each book's text into windows of `tokens` embedder tokens, at token boundaries.

    With `mixed`, window lengths vary from 16 to `tokens` tokens, as section ends and code make them in a library.
    """
    import pymupdf
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(read_model_spec(None).tokenizer_json())
    tok.no_truncation()
    chunks = []
    for pdf in sorted(docs.glob("*.pdf")):
        with pymupdf.open(pdf) as doc:
            text = " ".join(" ".join(page.get_text().split()) for page in doc)
        offsets = tok.encode(text, add_special_tokens=False).offsets
        rng = np.random.default_rng(len(offsets))
        start = 0
        while start < len(offsets):
            size = int(rng.integers(16, tokens + 1)) if mixed else tokens
            window = offsets[start:start + size]
            chunks.append(text[window[0][0]:window[-1][1]])
            start += size
    return chunks


def agreement(ref_docs, ref_queries, docs, queries) -> dict[str, float]:
    cos = (ref_docs * docs).sum(axis=1)
    ref_top = np.argsort(-(ref_queries @ ref_docs.T), axis=1)[:, :5]
    top = np.argsort(-(queries @ docs.T), axis=1)[:, :5]
    overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(ref_top, top)])
    return {"cos_min": float(cos.min()), "cos_mean": float(cos.mean()), "top5": float(overlap),
            "top1": float(np.mean(ref_top[:, 0] == top[:, 0]))}


def onnx_int8(fp32: Embedder, threads: int) -> Embedder:
    """Dynamic int8 quantisation of the cached ONNX model (what FACTS.md measured as 3.3x torch)."""
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from engine.index.embedder_cache import cache_folder

    folder = cache_folder(fp32._spec, "onnx", onnxruntime.__version__)
    target = folder.parent / "model-int8.onnx"
    if not target.exists():
        quantize_dynamic(str(folder / "model.onnx"), str(target), weight_type=QuantType.QInt8, per_channel=True)
    tok = (folder / "tokenizer.json").read_text(encoding="utf-8")
    embedder = Embedder(fp32._spec, _OnnxRunner(target, threads), tok, fp32.batch_size)
    embedder.precision = "int8"
    return embedder


def worker(config: dict, work: Path) -> None:
    """One configuration in its own process, so no other runtime's threads compete with it."""
    import logging

    logging.disable(logging.WARNING)
    chunks = json.loads((work / ("mixed.json" if config.get("mixed") else "chunks.json")).read_text())
    queries = json.loads((work / "queries.json").read_text())
    backend = "onnx" if config["backend"] == "onnx-int8" else config["backend"]
    emb = Embedder.load(backend=backend, batch_size=config["batch"], num_threads=config["threads"],
                        runtime_config=config.get("ov"))
    if config["backend"] == "onnx-int8":
        emb = onnx_int8(emb, config["threads"])
    emb.embed(chunks[:8])  # warm-up: first inferences compile kernels for new shapes
    start, cpu = time.perf_counter(), time.process_time()
    if config.get("unsorted"):  # batches in document order, each padded to its longest member
        docs = np.concatenate([emb.embed(chunks[i:i + emb.batch_size]) for i in range(0, len(chunks), emb.batch_size)])
    else:
        docs = emb.embed(chunks)
    rate = len(chunks) / (time.perf_counter() - start)
    # Chunks per CPU-second: with one thread it barely moves when other work shares the machine (no spinning).
    cpu_rate = len(chunks) / (time.process_time() - cpu)
    np.save(work / f"{config['id']}-docs.npy", docs)
    np.save(work / f"{config['id']}-queries.npy", np.stack([emb.embed_query(q) for q in queries]))
    print(json.dumps({"rate": rate, "cpu_rate": cpu_rate, "backend": emb.backend, "precision": emb.precision}))


LOAD_SNIPPET = """
import sys, time
t0 = time.perf_counter()
from engine.index.embedder import Embedder
e = Embedder.load(backend=sys.argv[1])
t1 = time.perf_counter()
e.embed_query("what is the capital of France?")
t2 = time.perf_counter()
print(f"{e.backend} load {t1 - t0:.2f} s  first query {1000 * (t2 - t1):.0f} ms  "
      f"torch imported: {'torch' in sys.modules}")
"""


def load_times(backend: str, cache: Path) -> list[str]:
    lines = []
    for phase in ("cold", "warm", "warm"):
        env = {**os.environ, "LECTERN_CACHE": str(cache)}
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", LOAD_SNIPPET, backend], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        wall = time.perf_counter() - start
        text = run.stdout.strip() or run.stderr.strip().splitlines()[-1]
        lines.append(f"  {backend:8} {phase}: {text}  (process wall {wall:.2f} s)")
        if backend == "torch" and phase == "warm":
            break
    return lines


BF16 = {"INFERENCE_PRECISION_HINT": "bf16"}  # OpenVINO's own default on CPUs with avx512_bf16 or AMX
CONFIGS = [  # the first is the reference; "mixed" uses chunks of 16-200 tokens instead of 200
    {"backend": "torch", "batch": 32, "threads": 2},
    {"backend": "torch", "batch": 32, "threads": 1},
    {"backend": "openvino", "batch": 32, "threads": 2},
    {"backend": "openvino", "batch": 32, "threads": 1},
    {"backend": "openvino", "batch": 32, "threads": 2, "ov": BF16},
    {"backend": "openvino", "batch": 32, "threads": 1, "ov": BF16},
    {"backend": "openvino", "batch": 8, "threads": 2},
    {"backend": "openvino", "batch": 64, "threads": 2},
    {"backend": "openvino", "batch": 32, "threads": 2, "mixed": True},
    {"backend": "openvino", "batch": 32, "threads": 2, "mixed": True, "unsorted": True},
    {"backend": "torch", "batch": 32, "threads": 2, "mixed": True},
    {"backend": "onnx", "batch": 32, "threads": 2},
    {"backend": "onnx", "batch": 32, "threads": 1},
    {"backend": "onnx-int8", "batch": 32, "threads": 2},
    {"backend": "onnx-int8", "batch": 32, "threads": 1},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, default=EVAL / "docs")
    parser.add_argument("--queries", type=Path, default=EVAL / "questions.jsonl")
    parser.add_argument("--rounds", type=int, default=2, help="timed passes per configuration, interleaved")
    parser.add_argument("--only", default="", help="comma-separated backends to run (torch,openvino,onnx,onnx-int8)")
    parser.add_argument("--no-load", action="store_true", help="skip the load-time measurements")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker), args.work)
        return

    import onnxruntime
    import openvino
    import torch

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; torch {torch.__version__}, "
          f"openvino {openvino.__version__.split('-')[0]}, onnxruntime {onnxruntime.__version__}; "
          f"load average {os.getloadavg()[0]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="lectern-bench-"))
    chunks = book_chunks(args.docs)
    queries = [json.loads(line)["question"] for line in args.queries.read_text().splitlines()[:50]]
    (work / "chunks.json").write_text(json.dumps(chunks))
    (work / "mixed.json").write_text(json.dumps(book_chunks(args.docs, mixed=True)))
    (work / "queries.json").write_text(json.dumps(queries))
    print(f"{len(chunks)} chunks of ~200 tokens from {args.docs}, {len(queries)} queries; best of {args.rounds} "
          "interleaved rounds, each configuration in a fresh process\n")

    configs = [dict(c, id=f"c{i}") for i, c in enumerate(CONFIGS)]
    if args.only:
        wanted = set(args.only.split(","))
        configs = [c for c in configs if c["backend"] in wanted or c["id"] in ("c0", "c1")]
    env = {**os.environ, "LECTERN_CACHE": str(work / "cache")}
    results: dict[str, dict] = {}
    for _ in range(args.rounds):
        for config in configs:
            run = subprocess.run([sys.executable, __file__, "--worker", json.dumps(config), "--work", str(work)],
                                 env=env, capture_output=True, text=True)
            if run.returncode:
                print(f"{config}: failed\n{run.stderr[-2000:]}")
                continue
            out = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"  {config}: {out['rate']:.1f} chunks/s, {out['cpu_rate']:.1f} per CPU-s", file=sys.stderr,
                  flush=True)
            best = results.setdefault(config["id"], out)
            best["rate"], best["cpu_rate"] = max(best["rate"], out["rate"]), max(best["cpu_rate"], out["cpu_rate"])

    ref_docs, ref_queries = (np.load(work / f"c0-{k}.npy") for k in ("docs", "queries"))
    base, base_cpu = results["c0"]["rate"], results["c1"]["cpu_rate"] if "c1" in results else 0.0
    print("chunks/s: wall clock; per CPU-s: chunks per CPU-second (x: against torch with 1 thread), the figure to"
          " trust\nwhen other work shares the machine. Agreement is with torch f32 over the same chunks.")
    print(f"{'backend':9} {'prec':5} {'batch':>5} {'thr':>3} {'chunks/s':>9} {'x torch':>7} {'per CPU-s':>9} "
          f"{'x':>5} {'cos min':>8} {'cos mean':>9} {'top5':>5} {'top1':>5}")
    for config in configs:
        if config["id"] not in results:
            continue
        res = results[config["id"]]
        notes = [n for n, key in (("16-200 token chunks", "mixed"), ("unsorted batches", "unsorted"))
                 if config.get(key)]
        row = (f"{res['backend']:9} {'int8' if config['backend'] == 'onnx-int8' else res['precision']:5} "
               f"{config['batch']:5} {config['threads']:3} {res['rate']:9.1f} {res['rate'] / base:7.2f} "
               f"{res['cpu_rate']:9.1f} {res['cpu_rate'] / base_cpu if base_cpu else 0:5.2f}")
        if config.get("mixed"):
            print(f"{row}  ({', '.join(notes)})")
            continue
        agree = agreement(ref_docs, ref_queries, np.load(work / f"{config['id']}-docs.npy"),
                          np.load(work / f"{config['id']}-queries.npy"))
        print(f"{row} {agree['cos_min']:8.5f} {agree['cos_mean']:9.6f} {agree['top5']:5.2f} {agree['top1']:5.2f}")

    if not args.no_load:
        print("\nimport + load + first query, fresh process each (cold = converting into an empty cache):")
        for backend in ("openvino", "onnx", "torch"):
            for line in load_times(backend, Path(tempfile.mkdtemp(prefix="lectern-bench-load-"))):
                print(line, flush=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f} (other work on this machine skews the figures)")


if __name__ == "__main__":
    main()
