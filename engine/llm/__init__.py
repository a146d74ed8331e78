"""The model layer: GGUF facts, model discovery, memory and context planning, and the inference backends.

Importing this package is cheap; llama_cpp is imported only by `engine.llm.llama`, when `load_backend` (or that
module) is first used.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .backend import FinishReason, GenerationEvent, GenerationStats, LlmBackend, TextPiece
from .discovery import DiscoveredModel, discover_models
from .gguf import ModelInfo, read_gguf_info
from .memory import MemoryEstimate, estimate_memory
from .rope import ContextPlan, resolve_context

if TYPE_CHECKING:
    from ..settings import LlmSettings
    from .llama import LlamaBackend


def load_backend(settings: "LlmSettings", *, cache_dir: Path | None = None) -> "LlamaBackend":
    """Load the in-process llama.cpp backend for `settings` (see LlamaBackend.load for the errors it raises)."""
    from .llama import LlamaBackend

    return LlamaBackend.load(settings, cache_dir=cache_dir)


__all__ = [
    "ContextPlan", "DiscoveredModel", "FinishReason", "GenerationEvent", "GenerationStats", "LlmBackend",
    "MemoryEstimate", "ModelInfo", "TextPiece", "discover_models", "estimate_memory", "load_backend",
    "read_gguf_info", "resolve_context",
]
