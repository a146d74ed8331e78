"""The settings panel's effective-context probe: run it for the edited settings, look up a saved result.

The probe runs on the inference thread (it loads and drives the model; a llama context is not thread-safe), the
lookup of a saved result on the read pool. The engine does the work; this only carries it to and from the GUI.
"""
from __future__ import annotations

from collections.abc import Callable

from engine import Engine, EngineError, ProbeGrid, Settings

from ..qt import QObject, Signal
from ..workers import Tasks, Worker


def probe_grid(n_ctx: int) -> ProbeGrid:
    """The panel's grid: 1k, 2k, 4k ... up to n_ctx, two depths, the single-needle task (minutes on a CPU)."""
    return ProbeGrid.quick(n_ctx)


class ProbeController(QObject):
    """Signals:
        progress(object): an engine `Progress` of the running probe.
        resultReady(object): a finished `ProbeResult`.
        savedFound(object): the saved `ProbeResult` for the settings asked about, or None.
        cancelled(): the probe stopped on request (finished trials are kept; the next run resumes).
        error(str): a message for the reader.
        runningChanged(bool): a probe started or ended.
    """

    progress = Signal(object)
    resultReady = Signal(object)
    savedFound = Signal(object)
    cancelled = Signal()
    error = Signal(str)
    runningChanged = Signal(bool)

    def __init__(self, tasks: Tasks, engine: Callable[[], Engine | None], parent: QObject | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self._engine = engine
        self._worker: Worker | None = None
        self.grid_for: Callable[[int], ProbeGrid] = probe_grid

    @property
    def running(self) -> bool:
        return self._worker is not None

    def start(self, settings: Settings) -> None:
        """Probe `settings` (a copy is taken) in the background; progress and the result come as signals."""
        eng = self._engine()
        if eng is None or self._worker is not None:
            return
        st = settings.copy()
        grid = self.grid_for(st.llm.n_ctx)

        def run(progress, cancel):
            return eng.probe(grid, settings=st, progress=progress, cancel=cancel)

        # Bound methods (not the signals' emit): Qt drops the connections if the dialog goes away first.
        self._worker = self.tasks.run(self.tasks.inference, run, on_progress=self._on_progress,
                                      on_result=self._on_result, on_error=self._on_error,
                                      on_cancelled=self._on_cancelled, on_finished=self._on_finished)
        self.runningChanged.emit(True)

    def stop(self) -> None:
        """Ask the running probe to stop after its current trial."""
        if self._worker is not None:
            self._worker.stop()

    def look_up(self, settings: Settings) -> None:
        """Find the saved result for `settings` in the background (answers with savedFound)."""
        eng = self._engine()
        if eng is None:
            self.savedFound.emit(None)
            return
        self.tasks.run(self.tasks.reads, eng.probe_result, settings.copy(), on_result=self._on_found,
                       on_error=self._on_lookup_failed)

    def _on_progress(self, p: object) -> None:
        self.progress.emit(p)

    def _on_result(self, result: object) -> None:
        self.resultReady.emit(result)

    def _on_cancelled(self) -> None:
        self.cancelled.emit()

    def _on_found(self, result: object) -> None:
        self.savedFound.emit(result)

    def _on_lookup_failed(self, _exc: BaseException) -> None:
        self.savedFound.emit(None)  # no saved result to show is not worth a message

    def _on_finished(self) -> None:
        self._worker = None
        self.runningChanged.emit(False)

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, EngineError):
            self.error.emit(str(exc))
        else:
            from ..crash import report_exception

            report_exception(exc)
