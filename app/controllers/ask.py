"""Asking: runs `Engine.ask_stream` on the inference thread and hands its events to the GUI one by one."""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from engine import (Answer, Citation, CitationEvent, DoneEvent, Engine, EngineError, Source, SourcesEvent, TokenEvent)

from ..qt import QObject, Signal
from ..workers import Tasks, Worker
from engine import ConversationStore, Turn

log = logging.getLogger(__name__)


class AskController(QObject):
    """One question at a time, streamed; the answered turn joins the library's conversation history.

    Signals:
        started(object): the new `Turn` (question only, so far).
        sourcesReady(object): the `SourcesEvent` (passages about to be read, how the context was planned).
        token(str): the next piece of the answer.
        citation(object): a verified `Citation`.
        answered(object): the finished `Turn` (with the final answer text and citations).
        stopped(object): the `Turn` as far as it got when the reader pressed Stop.
        failed(str): a message for the reader; the turn is kept with the error.
        busyChanged(bool): a question is being answered.
    """

    started = Signal(object)
    sourcesReady = Signal(object)
    token = Signal(str)
    citation = Signal(object)
    answered = Signal(object)
    stopped = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, tasks: Tasks, engine: Callable[[], Engine | None], parent: QObject | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self._engine = engine
        self.store: ConversationStore | None = None
        self._worker: Worker | None = None
        self._turn: Turn | None = None

    # ------------------------------------------------------------------ conversation
    def open_library(self, library_dir: str) -> None:
        self.stop()
        self.store = ConversationStore(library_dir)

    @property
    def turns(self) -> list[Turn]:
        return self.store.current if self.store is not None else []

    def new_conversation(self) -> None:
        if self.store is not None and not self.busy:
            self.store.new_conversation()

    @property
    def busy(self) -> bool:
        return self._worker is not None

    # ------------------------------------------------------------------ asking
    def ask(self, question: str, docs: Sequence[str] | None = None, scope: str = "") -> bool:
        """Start answering `question` over `docs` (None: the whole library). Returns False if it cannot start."""
        question = question.strip()
        eng = self._engine()
        if not question or eng is None or self.busy:
            return False
        if not hasattr(eng, "ask_stream"):
            self.failed.emit("This version of Lectern's engine cannot answer questions yet.")
            return False
        turns = getattr(getattr(eng.settings, "llm", None), "history_turns", 3)
        history = self.store.history(turns) if self.store is not None else []
        doc_list = list(docs) if docs else None
        self._turn = Turn(question=question, scope=scope)

        def run(progress, cancel) -> None:
            for event in eng.ask_stream(question, docs=doc_list, history=history, cancel=cancel):
                progress(event)
                if cancel.is_set():
                    break  # a backend that does not check the token itself still stops between tokens

        self._worker = self.tasks.run(self.tasks.inference, run, on_progress=self._on_event,
                                      on_error=self._on_error, on_cancelled=self._on_cancelled,
                                      on_finished=self._on_finished)
        self.started.emit(self._turn)
        self.busyChanged.emit(True)
        return True

    def stop(self) -> None:
        """Stop generating; what was generated so far stays visible."""
        if self._worker is not None:
            self._worker.stop()

    # ------------------------------------------------------------------ events (GUI thread)
    def _on_event(self, event: object) -> None:
        turn = self._turn
        if turn is None:
            return
        if isinstance(event, TokenEvent):
            turn.answer += event.text
            self.token.emit(event.text)
        elif isinstance(event, SourcesEvent):
            turn.sources = list(event.sources)
            turn.context = dict(event.context)
            self.sourcesReady.emit(event)
        elif isinstance(event, CitationEvent):
            turn.citations.append(event.citation)
            self.citation.emit(event.citation)
        elif isinstance(event, DoneEvent):
            self._finish(event.answer)

    def _finish(self, answer: Answer) -> None:
        turn = self._turn
        if turn is None:
            return
        done = Turn.from_answer(answer, scope=turn.scope)
        done.question = turn.question
        done.asked_at = turn.asked_at
        if not done.context:
            done.context = turn.context
        self._turn = done
        self._save(done)
        self.answered.emit(done)

    def _on_error(self, exc: BaseException) -> None:
        if not isinstance(exc, EngineError):
            from ..crash import report_exception

            report_exception(exc)
            message = "Something unexpected went wrong while answering; the details are in the log."
        else:
            message = str(exc)
        if self._turn is not None:
            self._turn.error = message
            self._save(self._turn)
        self.failed.emit(message)

    def _on_cancelled(self) -> None:
        if self._turn is not None:
            self._turn.stopped = True
            self._save(self._turn)
            self.stopped.emit(self._turn)

    def _on_finished(self) -> None:
        turn = self._turn
        if turn is not None and self._worker is not None and self._worker.cancel.is_set() \
                and not turn.stopped and not turn.error and not _contains(self.turns, turn):
            self._on_cancelled()  # the stream ended at our break rather than with Cancelled
        self._worker = None
        self._turn = None
        self.busyChanged.emit(False)

    def _save(self, turn: Turn) -> None:
        if self.store is None:
            return
        if _contains(self.store.current, turn):
            self.store.save()
        else:
            self.store.add(turn)


def _contains(turns: list[Turn], turn: Turn) -> bool:
    return any(t is turn for t in turns)


def citation_for(turn: Turn, n: int) -> Citation | Source | None:
    """What a `[n]` marker points at: the verified citation, else (while streaming) source n."""
    found = turn.citation(n)
    if found is not None:
        return found
    return next((s for s in turn.sources if s.rank == n), None)
