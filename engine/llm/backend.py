"""What every inference backend offers the answer layer: the in-process llama.cpp one now, a remote
OpenAI-compatible one later.

A prompt is given in two parts so a backend can cache the expensive one: `prefix` is the shared part
(instructions + document context, identical across follow-up questions about the same passages) and `suffix` is the
rest (history + question + the assistant header). `generate` yields `TextPiece`s as text is produced and ends with
one `GenerationStats`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Literal, Protocol, runtime_checkable

from .gguf import ModelInfo

FinishReason = Literal["stop", "eos", "length"]


@dataclass(frozen=True)
class TextPiece:
    """A piece of generated text, in order; concatenating the pieces gives the answer."""

    text: str


@dataclass(frozen=True)
class GenerationStats:
    """The last event of a generation.

    `prompt_tokens` = `prefix_tokens` + suffix tokens. `cached_tokens` were not evaluated because a saved state (or
    the live context) already held them. `cache_source` says where the prefix came from: "live" (the context still
    held it from the previous call), "memory" / "disk" (a saved state), "live-partial" (only a leading part was
    still there) or "none"; `cache_hit` is True for the first three, i.e. only the suffix was evaluated.
    `prefill_ms` covers restoring/evaluating the prompt; `first_token_ms` is from the call to the first text piece;
    `finish_reason` is "stop" (a stop string), "eos" (the model ended) or "length" (max_tokens).
    """

    prompt_tokens: int
    prefix_tokens: int
    completion_tokens: int
    cached_tokens: int
    cache_hit: bool
    cache_source: str
    prefill_ms: float
    first_token_ms: float
    total_ms: float
    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    finish_reason: FinishReason

    def as_dict(self) -> dict:
        return asdict(self)


GenerationEvent = TextPiece | GenerationStats


@runtime_checkable
class LlmBackend(Protocol):
    """A loaded model that counts tokens, renders chats with the model's template and generates text."""

    info: ModelInfo | None
    name: str

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's vocabulary (special tokens such as <|im_start|> count as one)."""
        ...

    def render_chat(self, messages: list[dict]) -> str:
        """Apply the model's chat template to [{"role": ..., "content": ...}], ending with the assistant header."""
        ...

    def generate(self, prefix: str, suffix: str, *, max_tokens: int, temperature: float,
                 stop: list[str] | None = None, cancel: Callable[[], bool] | None = None,
                 seed: int | None = None) -> Iterator[GenerationEvent]:
        """Stream the continuation of prefix + suffix.

        Raises:
            ContextTooLargeError: prefix + suffix + max_tokens exceed the context.
            Cancelled: `cancel()` became True between tokens.
        """
        ...

    def effective_settings(self) -> dict:
        """n_ctx, rope mode/factor/yarn_orig_ctx, type_k, type_v, flash_attn, n_gpu_layers, n_threads in effect."""
        ...

    def close(self) -> None:
        """Free the model; the backend is unusable afterwards."""
        ...
