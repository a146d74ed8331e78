"""The language model's speed: time to first token cold and warm, and prefill / decode beside raw llama.cpp.

Time to first token goes through `Engine.ask` on a short generated document that the planner reads in full:
cold (the document's prefix never seen), a second question and a follow-up with history in the same engine (the
live context or the memory cache), and a new engine on the same library (the prefix state read from the disk
cache). Target: warm <= 0.3 x cold.

Prefill and decode compare `LlamaBackend.generate` with a bare `llama_cpp.Llama` (same model, same context
parameters, `load_raw_llama`) on the same tokens, interleaved over rounds with the order alternating, because a
drift in machine load must not favour one side. Target: backend >= 0.9 x raw.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .corpus import TextGenerator, fact_document

Say = Callable[[str], None]
SUFFIX_QUESTION = "Write a long summary of the document above."


def bench_ttft(pages: int, *, say: Say = lambda _: None, engine_factory=None, answer_tokens: int = 32) -> dict:
    """Ask four questions about one fully-read generated document and time the first token of each.

    cold: the document's prefix never seen; warm: a new question in the same engine; follow-up: a question carrying
    the first one and its answer as history; warm (disk): a new engine on the same library, reading the saved state.
    Answers are capped at `answer_tokens`: the first token does not depend on them, and the run gets shorter.

    Returns:
        {"document": pages/mode/context tokens, "model_load_s", "runs": {cold, warm, follow_up, warm_disk},
         "warm_vs_cold", "follow_up_vs_cold", "warm_disk_vs_cold"}.
    """
    from ..api import Engine

    factory = engine_factory or Engine.open
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="lectern-bench-ttft-") as tmp:
        doc, questions = fact_document(Path(tmp) / "facts.pdf", pages, seed=11)
        with factory(Path(tmp) / "library") as eng:
            eng.ingest([doc])
            load_s = _load_model(eng, answer_tokens)
            say("time to first token: cold question…")
            cold = eng.ask(questions[0], docs=[doc])
            say("time to first token: a second question…")
            runs["cold"], runs["warm"] = _run(cold), _run(eng.ask(questions[1], docs=[doc]))
            say("time to first token: a follow-up with history…")
            runs["follow_up"] = _run(eng.ask(questions[2], docs=[doc], history=[(questions[0], cold.answer)]))
        with factory(Path(tmp) / "library") as eng:
            _load_model(eng, answer_tokens)
            say("time to first token: a new engine reading the disk cache…")
            runs["warm_disk"] = _run(eng.ask(questions[3], docs=[doc]))
    cold_ms = runs["cold"]["first_token_ms"] or float("nan")
    cold_model_ms = runs["cold"]["model_first_token_ms"] or float("nan")
    if runs["cold"]["mode"] != "full":
        say(f"time to first token: the document was read in {runs['cold']['mode']} mode, not in full: each "
            "question reads other passages, so no prefix is reused (fewer pages, or a larger llm.budget)")
    return {"document": {"pages": pages, "mode": runs["cold"]["mode"],
                         "context_tokens": runs["cold"]["context_tokens"]},
            "model_load_s": round(load_s, 2), "answer_tokens": answer_tokens, "runs": runs,
            **{f"{name}_vs_cold": round(runs[name]["first_token_ms"] / cold_ms, 3)
               for name in ("warm", "follow_up", "warm_disk")},
            **{f"{name}_vs_cold_model": round(runs[name]["model_first_token_ms"] / cold_model_ms, 3)
               for name in ("warm", "follow_up", "warm_disk")}}


def _load_model(eng, answer_tokens: int) -> float:
    """Load the model before the clock starts: time to first token is about the prompt, not the load."""
    eng.settings.set("llm.max_answer_tokens", answer_tokens)
    t = time.perf_counter()
    eng.llm  # noqa: B018 - loads on first access
    return time.perf_counter() - t


def _run(answer) -> dict:
    t, ctx = answer.timings, answer.context
    # first_token_ms counts from the question: retrieval and evidence ranking, then the model's own part
    model_ms = (t.get("first_token_ms") or 0.0) - (t.get("retrieve_ms") or 0.0)
    return {"first_token_ms": t.get("first_token_ms"), "retrieve_ms": t.get("retrieve_ms"),
            "model_first_token_ms": round(model_ms, 1),
            "total_ms": t.get("total_ms"), "prompt_tokens": t.get("prompt_tokens"),
            "completion_tokens": t.get("completion_tokens"), "cache_hit": bool(t.get("cache_hit")),
            "abstained": answer.abstained, "mode": ctx.get("mode"), "context_tokens": ctx.get("context_tokens")}


def prose_prompt(backend, tokens: int, seed: int = 3) -> tuple[str, str]:
    """(prefix, suffix) of a chat prompt holding about `tokens` tokens of generated prose, via the model's template."""
    gen = TextGenerator(seed)
    paragraphs, count = [], 0
    while count < tokens - 60:
        para = gen.paragraph()
        paragraphs.append(para)
        count += backend.count_tokens(para + "\n\n")
    system = "Answer from the document below.\n\n" + "\n\n".join(paragraphs)
    full = backend.render_chat([{"role": "system", "content": system}, {"role": "user", "content": SUFFIX_QUESTION}])
    cut = full.rindex(SUFFIX_QUESTION)
    return full[:cut], full[cut:]


def bench_prefill(prefix_tokens: int, rounds: int, decode_tokens: int, *, n_ctx: int = 8192,
                  say: Say = lambda _: None) -> dict:
    """Prefill and decode tokens/s of the backend and of raw llama.cpp on the same prompt, median of `rounds`.

    Returns:
        {"prompt_tokens", "rounds", "engine": {prefill, decode}, "raw": {...}, "prefill_ratio", "decode_ratio",
         "per_round": [...], "settings": the effective context settings}.
    """
    from ..llm.llama import LlamaBackend, load_raw_llama
    from ..settings import LlmSettings

    settings = LlmSettings(n_ctx=n_ctx, memory_cache_entries=0, disk_cache_mb=0)
    per_round: list[dict] = []
    with LlamaBackend.load(settings) as backend:
        raw = load_raw_llama(settings)
        try:
            prefix, suffix = prose_prompt(backend, prefix_tokens)
            for i in range(rounds):
                # new first words each round, so neither side reuses anything from the previous one
                pre = prefix.replace("Answer from the document", f"Round {i}: answer from the document", 1)
                tokens = backend.tokenize(pre, bos=True) + backend.tokenize(suffix)
                row: dict = {"tokens": len(tokens)}
                steps = [lambda: row.update(engine=_engine_round(backend, pre, suffix, decode_tokens)),
                         lambda: row.update(raw=_raw_round(raw, tokens, decode_tokens))]
                for step in (steps if i % 2 == 0 else [steps[1], steps[0]]):
                    step()
                per_round.append(row)
                say(f"round {i + 1}/{rounds}: prefill engine {row['engine']['prefill_tokens_per_s']:.0f} vs raw "
                    f"{row['raw']['prefill_tokens_per_s']:.0f} tok/s; decode {row['engine']['decode_tokens_per_s']:.0f}"
                    f" vs {row['raw']['decode_tokens_per_s']:.0f} tok/s")
            effective = backend.effective_settings()
        finally:
            raw.close()

    def med(side: str, key: str) -> float:
        return round(statistics.median(r[side][key] for r in per_round), 1)

    out = {"prompt_tokens": per_round[0]["tokens"], "rounds": rounds, "decode_tokens": decode_tokens,
           "engine": {k: med("engine", k) for k in ("prefill_tokens_per_s", "decode_tokens_per_s")},
           "raw": {k: med("raw", k) for k in ("prefill_tokens_per_s", "decode_tokens_per_s")},
           "per_round": per_round,
           "settings": {k: effective.get(k) for k in ("n_ctx", "type_k", "type_v", "flash_attn", "n_threads",
                                                       "n_gpu_layers")}}
    for name in ("prefill", "decode"):
        key = f"{name}_tokens_per_s"
        out[f"{name}_ratio"] = round(out["engine"][key] / out["raw"][key], 3) if out["raw"][key] else None
    return out


def _engine_round(backend, prefix: str, suffix: str, decode_tokens: int) -> dict:
    stats = None
    for event in backend.generate(prefix, suffix, max_tokens=decode_tokens, temperature=0.0):
        stats = event
    return {"prefill_tokens_per_s": round(stats.prefill_tokens_per_s, 1),
            "decode_tokens_per_s": round(stats.decode_tokens_per_s, 1), "cached_tokens": stats.cached_tokens,
            "completion_tokens": stats.completion_tokens, "first_token_ms": round(stats.first_token_ms, 1)}


def _raw_round(raw, tokens: list[int], decode_tokens: int) -> dict:
    """Prefill with `Llama.eval`, then greedy decoding through llama-cpp-python's public `sample` / `eval`.

    It decodes past an end-of-text token if one comes: only the rate is compared, at nearly the same depth.
    """
    raw.reset()
    t = time.perf_counter()
    raw.eval(tokens)
    prefill_s = time.perf_counter() - t
    steps = max(1, decode_tokens - 1)  # the engine's rate also counts the tokens after the first
    t = time.perf_counter()
    for _ in range(steps):
        raw.eval([raw.sample(temp=0.0)])
    decode_s = time.perf_counter() - t
    return {"prefill_tokens_per_s": round(len(tokens) / prefill_s, 1),
            "decode_tokens_per_s": round(steps / decode_s, 1), "decode_steps": steps}
