"""A development runner for ../shared/eval/score.py that remembers what the model generated.

Answering = retrieval + generation + verification. Generation is nearly all the time (20-40 s a question on two
cores), and a change to evidence ranking, verification, citation choice or abstention does not change the prompt,
so the model's text for an unchanged prompt can be replayed. This runner wraps the engine's model: a prompt seen
before (same prefix, suffix, max_tokens, temperature and seed) replays the stored text and stats; a new prompt runs
the real model and is stored. Figures for a report must come from a run without a cache (or with an empty one).

    python ../shared/eval/score.py ../shared/eval/sets/squad-dev \\
        --runner scripts/cached_eval_runner.py:CachedEngineRunner --runner-arg cache=/tmp/gen-cache.jsonl
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine.bench.retrieval import EvalRunner  # noqa: E402
from engine.llm.backend import GenerationStats, TextPiece  # noqa: E402


class ReplayingLlm:
    """Delegates to a real backend; `generate` replays a stored generation for a prompt seen before."""

    def __init__(self, real, cache_file: Path):
        self.real = real
        self.cache_file = cache_file
        self.store: dict[str, dict] = {}
        self.hits = self.misses = 0
        if cache_file.exists():
            for line in cache_file.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # a line another run is still writing
                self.store[row["key"]] = row

    def __getattr__(self, name):
        return getattr(self.real, name)

    def generate(self, prefix: str, suffix: str, *, max_tokens: int, temperature: float, stop=None, cancel=None,
                 seed=None):
        key = hashlib.sha256(json.dumps([prefix, suffix, max_tokens, temperature, seed, stop]).encode()).hexdigest()
        row = self.store.get(key)
        if row is not None:
            self.hits += 1
            for piece in row["pieces"]:
                yield TextPiece(piece)
            yield GenerationStats(**row["stats"])
            return
        self.misses += 1
        pieces, stats = [], None
        for ev in self.real.generate(prefix, suffix, max_tokens=max_tokens, temperature=temperature, stop=stop,
                                     cancel=cancel, seed=seed):
            if isinstance(ev, TextPiece):
                pieces.append(ev.text)
            else:
                stats = ev
            yield ev
        if stats is not None:
            row = {"key": key, "pieces": pieces, "stats": stats.as_dict()}
            self.store[key] = row
            with self.cache_file.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")


class CachedEngineRunner(EvalRunner):
    def __init__(self, library: str, cache: str = "gen-cache.jsonl", **settings):
        super().__init__(library, **settings)
        self.replay = ReplayingLlm(self.eng.llm, Path(cache))
        self.eng._llm = self.replay

    def close(self):
        print(f"generation cache: {self.replay.hits} replayed, {self.replay.misses} generated", file=sys.stderr)
        super().close()
