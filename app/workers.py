"""Background work: one generic worker, and the executors it runs on.

The engine is synchronous and blocking, so every engine call runs here, never on the GUI thread. Three executors,
as Anki's task manager has them:

- `inference`: one thread, because a llama.cpp context is not thread-safe (questions, model loads, settings);
- `writer`: one thread, so library writes (ingest, remove) never interleave;
- `reads`: a small pool for everything that only reads (document lists, page renders, outlines, find).

A worker's signals are delivered on the GUI thread (its `WorkerSignals` object lives there), and `finished` is always
the last signal a worker sends, whatever happened: a failing task must never leave a progress bar spinning forever.
"""
from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

from engine import Cancelled

from .qt import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    """What a running task tells the GUI.

    Signals:
        progress(object): something the task reported on the way (an engine `Progress`, a stream event ...).
        result(object): the task's return value.
        error(object): the exception the task raised (an `EngineError` is for the reader; anything else is a bug).
        cancelled(): the task stopped because its cancel token was set (the GUI ignores this silently).
        finished(): always, last.
    """

    progress = Signal(object)
    result = Signal(object)
    error = Signal(object)
    cancelled = Signal()
    finished = Signal()


class Worker(QRunnable):
    """Runs `fn(*args, **kwargs)` on a pool thread and reports through `self.signals`.

    If `fn` has a `progress` parameter it receives a callable that emits `signals.progress`; if it has a `cancel`
    parameter it receives `self.cancel` (a `threading.Event`), which `stop()` sets.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any):
        super().__init__()
        self.setAutoDelete(False)  # the Tasks registry owns it until `finished` has been delivered
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.cancel = threading.Event()
        self.signals = WorkerSignals()
        params = _parameters(fn)
        if "progress" in params and "progress" not in kwargs:
            self.kwargs["progress"] = self.signals.progress.emit
        if "cancel" in params and "cancel" not in kwargs:
            self.kwargs["cancel"] = self.cancel

    def stop(self) -> None:
        """Ask the task to stop; it raises `Cancelled` at its next check."""
        self.cancel.set()

    def run(self) -> None:  # noqa: D401 - Qt's name
        try:
            value = self.fn(*self.args, **self.kwargs)
        except Cancelled:
            self.signals.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - a worker must report every failure, then finish
            if not _is_engine_error(exc):
                log.error("background task %s failed", getattr(self.fn, "__qualname__", self.fn), exc_info=exc)
            self.signals.error.emit(exc)
        else:
            self.signals.result.emit(value)
        finally:
            self.signals.finished.emit()


def _parameters(fn: Callable[..., Any]) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def _is_engine_error(exc: BaseException) -> bool:
    from engine import EngineError

    return isinstance(exc, EngineError)


class Tasks(QObject):
    """The app's executors, and the registry that keeps running workers alive until they have finished."""

    def __init__(self, parent: QObject | None = None, read_threads: int = 3):
        super().__init__(parent)
        self.inference = QThreadPool(self)
        self.inference.setMaxThreadCount(1)
        self.writer = QThreadPool(self)
        self.writer.setMaxThreadCount(1)
        self.reads = QThreadPool(self)
        self.reads.setMaxThreadCount(max(2, read_threads))
        self._running: set[Worker] = set()

    def run(self, pool: QThreadPool, fn: Callable[..., Any], *args: Any,
            on_result: Callable[[Any], Any] | None = None, on_error: Callable[[BaseException], Any] | None = None,
            on_progress: Callable[[Any], Any] | None = None, on_finished: Callable[[], Any] | None = None,
            on_cancelled: Callable[[], Any] | None = None, **kwargs: Any) -> Worker:
        """Start `fn` on `pool`; the callbacks run on the GUI thread. Returns the worker (call `.stop()` to cancel)."""
        worker = Worker(fn, *args, **kwargs)
        s = worker.signals
        if on_progress is not None:
            s.progress.connect(on_progress)
        if on_result is not None:
            s.result.connect(on_result)
        if on_error is not None:
            s.error.connect(on_error)
        if on_cancelled is not None:
            s.cancelled.connect(on_cancelled)
        if on_finished is not None:
            s.finished.connect(on_finished)
        s.finished.connect(lambda w=worker: self._running.discard(w))
        self._running.add(worker)
        pool.start(worker)
        return worker

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def stop_all(self) -> None:
        for w in list(self._running):
            w.stop()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every executor is idle (shutdown and tests only). Returns False on timeout."""
        ok = True
        for pool in (self.inference, self.writer, self.reads):
            ok = pool.waitForDone(msecs) and ok
        return ok
