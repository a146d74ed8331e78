"""Conversation history per library, kept in `<library>/conversations.json` (plain Python, no Qt)."""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .types import Answer, Citation, Source

log = logging.getLogger(__name__)
FILENAME = "conversations.json"
MAX_CONVERSATIONS = 50


@dataclass
class Turn:
    """One question and its answer, as shown and as carried into follow-ups."""

    question: str
    answer: str = ""
    abstained: bool = False
    citations: list[Citation] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    context: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    scope: str = ""
    asked_at: float = field(default_factory=time.time)
    stopped: bool = False
    error: str = ""

    @classmethod
    def from_answer(cls, answer: Answer, scope: str = "") -> "Turn":
        return cls(question=answer.question, answer=answer.answer, abstained=answer.abstained,
                   citations=list(answer.citations), sources=list(answer.sources), context=dict(answer.context),
                   timings=dict(answer.timings), scope=scope)

    def citation(self, n: int) -> Citation | None:
        return next((c for c in self.citations if c.id == n), None)

    def to_json(self) -> dict:
        return {"question": self.question, "answer": self.answer, "abstained": self.abstained,
                "citations": [c.to_json() for c in self.citations], "sources": [s.to_json() for s in self.sources],
                "context": _jsonable(self.context), "timings": _jsonable(self.timings), "scope": self.scope,
                "asked_at": self.asked_at, "stopped": self.stopped, "error": self.error}

    @classmethod
    def from_json(cls, d: dict) -> "Turn":
        return cls(question=str(d.get("question", "")), answer=str(d.get("answer", "")),
                   abstained=bool(d.get("abstained", False)),
                   citations=[_citation(c) for c in d.get("citations") or []],
                   sources=[_source(s) for s in d.get("sources") or []],
                   context=dict(d.get("context") or {}), timings=dict(d.get("timings") or {}),
                   scope=str(d.get("scope", "")), asked_at=float(d.get("asked_at") or 0.0),
                   stopped=bool(d.get("stopped", False)), error=str(d.get("error", "")))


class ConversationStore:
    """The conversations of one library; the last one is the current conversation."""

    def __init__(self, library_dir: str | os.PathLike):
        self.path = Path(library_dir) / FILENAME
        self.conversations: list[list[Turn]] = [[]]
        self.load()

    @property
    def current(self) -> list[Turn]:
        return self.conversations[-1]

    def load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            convs = [[Turn.from_json(t) for t in c.get("turns", [])] for c in data.get("conversations", [])]
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # A damaged history must not stop the library from opening; keep the file for the curious.
            log.warning("conversation history %s is unreadable (%s); starting afresh", self.path, exc)
            return
        self.conversations = convs or [[]]

    def save(self) -> None:
        """Write atomically; history is a convenience, so a failed write is logged, not raised."""
        data = {"version": 1, "conversations": [{"turns": [t.to_json() for t in c]}
                                                for c in self.conversations[-MAX_CONVERSATIONS:] if c]}
        tmp = self.path.with_suffix(".json.tmp")
        try:
            tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            log.warning("could not save the conversation history to %s", self.path, exc_info=True)

    def add(self, turn: Turn) -> None:
        self.current.append(turn)
        self.save()

    def new_conversation(self) -> None:
        if self.current:
            self.conversations.append([])
            self.save()

    def history(self, turns: int) -> list[tuple[str, str]]:
        """The last answered turns of the current conversation as (question, answer) for a follow-up."""
        if turns <= 0:
            return []
        done = [(t.question, t.answer) for t in self.current if t.answer and not t.error and not t.abstained]
        return done[-turns:]


def _citation(d: dict) -> Citation:
    lines = d.get("lines")
    return Citation(id=int(d["id"]), path=str(d["path"]), page=d.get("page"),
                    lines=tuple(lines) if lines else None, quote=str(d.get("quote", "")),
                    rects=tuple(tuple(r) for r in d.get("rects") or ()))


def _source(d: dict) -> Source:
    lines = d.get("lines")
    return Source(rank=int(d.get("rank", 0)), path=str(d["path"]), page=d.get("page"),
                  lines=tuple(lines) if lines else None, score=float(d.get("score", 0.0)),
                  text=str(d.get("text", "")), rects=tuple(tuple(r) for r in d.get("rects") or ()),
                  section=str(d.get("section", "")))


def _jsonable(d: dict) -> dict:
    return {str(k): v for k, v in d.items() if isinstance(v, (str, int, float, bool, type(None), list, dict))}
