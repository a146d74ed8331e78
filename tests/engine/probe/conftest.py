"""Fixtures for the probe's tests: a scripted backend for the runner's logic, the real model for token counts."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.errors import ContextTooLargeError
from engine.llm.backend import GenerationStats, TextPiece


class ReadingBackend:
    """A stand-in model that answers needle questions by reading the prompt, but only within `reach` tokens.

    Tokens are words and punctuation marks. Past `reach` it answers with a number that is not in the prompt, so
    accuracy falls exactly where the test says. `calls` records each prompt's length; `on_call` runs before each.
    """

    name = "reading-fake"
    info = None

    def __init__(self, model_file: Path, n_ctx: int = 8192, reach: int = 10**9, rope_mode: str = "none"):
        self.model_file, self.n_ctx, self.reach, self.rope_mode = model_file, n_ctx, reach, rope_mode
        self.calls: list[int] = []
        self.on_call = None

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))

    def render_chat(self, messages: list[dict]) -> str:
        return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + \
            "<|im_start|>assistant\n"

    def effective_settings(self) -> dict:
        return {"n_ctx": self.n_ctx, "rope_mode": self.rope_mode, "rope_factor": 1.0, "rope_freq_base": 0.0,
                "yarn_orig_ctx": 0, "type_k": "f16", "type_v": "f16", "flash_attn": False, "n_threads": 2,
                "model_path": str(self.model_file), "model_name": "Reading Fake"}

    def generate(self, prefix, suffix, *, max_tokens, temperature, stop=None, cancel=None, seed=None):
        prompt = prefix + suffix
        n = self.count_tokens(prompt)
        if n + max_tokens > self.n_ctx:
            raise ContextTooLargeError("too long")
        self.calls.append(n)
        if self.on_call is not None:
            self.on_call(len(self.calls))
        key = re.search(r"special magic numbers? for ([\w-]+) (?:is|are:)$", prompt)
        found = re.findall(rf"for {re.escape(key.group(1))} is (\d+)\.", prompt) if key else []
        answer = " " + ", ".join(found) + "." if found and n <= self.reach else " 1111111."
        yield TextPiece(answer)
        yield GenerationStats(n, 0, 3, 0, False, "none", 1.0, 1.0, 2.0, 1000.0, 100.0, "stop")

    def close(self) -> None:
        pass


@pytest.fixture
def model_file(tmp_path) -> Path:
    p = tmp_path / "fake-model.gguf"
    p.write_bytes(b"GGUF fake weights")
    return p


@pytest.fixture
def reader(model_file) -> ReadingBackend:
    return ReadingBackend(model_file)


@pytest.fixture(scope="session")
def smol():
    """The packaged SmolLM2 (its tokenizer and chat template; inference only in tests marked llm)."""
    from engine.llm.llama import LlamaBackend
    from engine.settings import LlmSettings

    backend = LlamaBackend.load(LlmSettings(n_ctx=4096, n_threads=1))
    yield backend
    backend.close()
