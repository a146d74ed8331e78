"""The settings panel's engine calls: model facts, discovery, memory estimates, applying settings.

The model-facts calls (`model_info`, `discover_models`, `estimate_memory`, `gpu_offload_supported`) are optional on
the facade: the panel works without them and says what it cannot tell.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import Engine, EngineError, Settings

from ..qt import QObject, Signal
from ..workers import Tasks

log = logging.getLogger(__name__)


@dataclass
class ModelReport:
    """What the panel shows about the model the edited settings would load."""

    info: Any = None  # the engine's ModelInfo (name, file_size, trained_ctx, quantization ...) or None
    estimate: Any = None  # the engine's MemoryEstimate (weights_bytes, kv_bytes, total_bytes, fits, advice ...)
    error: str = ""
    gpu_offload: bool | None = None  # None: the engine cannot say
    plan: Any = None  # the engine's ContextPlan (rope_mode, rope_factor, warnings, memory) when it offers one
    notes: list[str] = field(default_factory=list)


def model_report(eng: Engine, settings: Settings) -> ModelReport:
    """Model facts and the memory estimate for `settings` (blocking: reads the GGUF header)."""
    out = ModelReport()
    gpu = getattr(eng, "gpu_offload_supported", None)
    if callable(gpu):
        try:
            out.gpu_offload = bool(gpu())
        except EngineError:
            out.gpu_offload = None
    if settings.llm.backend != "llama":
        return out
    info_fn = getattr(eng, "model_info", None)
    if callable(info_fn):
        try:
            out.info = info_fn(settings.llm.model_path or None)
        except EngineError as exc:
            out.error = str(exc)
            return out
    else:
        out.notes.append("This engine cannot read model facts yet.")
    plan_fn = getattr(eng, "plan_context", None)
    if callable(plan_fn):
        try:
            out.plan = plan_fn(settings)
            out.estimate = getattr(out.plan, "memory", None)
        except EngineError as exc:  # an impossible context: the message says what would fit
            out.error = str(exc)
    est_fn = getattr(eng, "estimate_memory", None)
    if out.estimate is None and callable(est_fn):
        try:
            out.estimate = est_fn(settings)
        except EngineError as exc:
            out.error = out.error or str(exc)
    return out


class SettingsController(QObject):
    """Signals:
        modelsFound(list): GGUF models on this machine (objects with path, name, size, source).
        reportReady(object, int): a `ModelReport` and the request number it answers (older ones are stale).
        applied(object): the `Settings` now in force.
        modelLoaded(str): the model is loaded with the new settings (a short description).
        error(str): a message for the reader.
    """

    modelsFound = Signal(list)
    reportReady = Signal(object, int)
    applied = Signal(object)
    modelLoaded = Signal(str)
    error = Signal(str)

    def __init__(self, tasks: Tasks, engine: Callable[[], Engine | None], parent: QObject | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self._engine = engine
        self._request = 0

    @property
    def engine(self) -> Engine | None:
        return self._engine()

    def discover(self) -> None:
        eng = self._engine()
        fn = getattr(eng, "discover_models", None)
        if not callable(fn):
            self.modelsFound.emit([])
            return
        self.tasks.run(self.tasks.reads, fn, on_result=lambda found: self.modelsFound.emit(list(found)),
                       on_error=self._on_error)

    def request_report(self, settings: Settings) -> int:
        """Compute a `ModelReport` in the background; returns the request number `reportReady` will carry."""
        eng = self._engine()
        self._request += 1
        n = self._request
        if eng is None:
            return n
        self.tasks.run(self.tasks.reads, model_report, eng, settings.copy(),
                       on_result=lambda rep: self.reportReady.emit(rep, n), on_error=self._on_error)
        return n

    def apply(self, settings: Settings, load_model: bool = True) -> None:
        """Save settings for this library; if the model settings changed, load the model with them in the background.

        Runs on the inference thread so it never swaps the model under a question being answered.
        """
        eng = self._engine()
        if eng is None:
            return
        new = settings.copy()
        model_changed = new.llm != eng.settings.llm

        def run() -> str:
            eng.save_settings(new)
            if not (load_model and model_changed):
                return ""
            loader = getattr(eng, "load_model", None)
            if not callable(loader):
                return ""
            loaded = loader()
            return str(getattr(loaded, "name", "") or "the model")

        def done(what: str) -> None:
            self.applied.emit(eng.settings)
            if what:
                self.modelLoaded.emit(what)

        self.tasks.run(self.tasks.inference, run, on_result=done, on_error=self._on_error)

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, EngineError):
            self.error.emit(str(exc))
        else:
            from ..crash import report_exception

            report_exception(exc)
