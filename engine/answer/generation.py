"""One model call streamed as TokenEvents: the loop every answering path (direct, map, synthesis) shares."""
from __future__ import annotations

from collections.abc import Callable, Generator

from ..settings import LlmSettings
from ..types import TokenEvent


def stream_text(llm, prefix: str, suffix: str, st: LlmSettings, cancelled: Callable[[], bool],
                max_tokens: int | None = None) -> Generator[TokenEvent, None, tuple[str, object]]:
    """Yield each generated piece as a TokenEvent; `text, stats = yield from stream_text(...)` gets the whole text
    and the backend's GenerationStats (None if the backend ended without one)."""
    text, stats = "", None
    for ev in llm.generate(prefix, suffix, max_tokens=st.max_answer_tokens if max_tokens is None else max_tokens,
                           temperature=st.temperature, cancel=cancelled, seed=st.seed):
        if hasattr(ev, "text"):
            text += ev.text
            yield TokenEvent(ev.text)
        else:
            stats = ev
    return text, stats
