"""The library: owns the `Engine` of the open library folder and runs library work in the background."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from engine import DocumentInfo, Engine, EngineError, IngestReport, Progress

from ..qt import QObject, QTimer, Signal
from ..workers import Tasks, Worker

log = logging.getLogger(__name__)
EngineFactory = Callable[[Path | None], Engine]


class LibraryController(QObject):
    """Opens a library, lists its documents, adds and removes files; every engine call runs in a worker.

    Signals:
        libraryOpened(str): the folder of the library that is now open.
        documentsChanged(list): the library's `DocumentInfo`s, after any change.
        ingestStarted(list): the paths of a batch that started (as strings).
        ingestProgress(object): an engine `Progress` of the running batch.
        ingestFinished(object): the batch's `IngestReport` (`.cancelled` when stopped), or None if it failed.
        error(str): a message for the reader.
    """

    libraryOpened = Signal(str)
    documentsChanged = Signal(list)
    ingestStarted = Signal(list)
    ingestProgress = Signal(object)
    ingestFinished = Signal(object)
    error = Signal(str)

    REFRESH_INTERVAL_MS = 400

    def __init__(self, tasks: Tasks, engine_factory: EngineFactory = Engine.open, parent: QObject | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self._factory = engine_factory
        self.engine: Engine | None = None
        self.documents: list[DocumentInfo] = []
        self._ingests: list[Worker] = []
        self._current_file: str | None = None
        self._refresh_serial = self._shown_serial = 0
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(self.REFRESH_INTERVAL_MS)
        self._refresh_timer.timeout.connect(self.refresh)

    # ------------------------------------------------------------------ library folder
    @property
    def library_dir(self) -> Path | None:
        return self.engine.library_dir if self.engine is not None else None

    def open(self, library_dir: str | os.PathLike | None) -> None:
        """Open a library folder (None: the default one), closing the current one.

        Raises:
            EngineError: the folder cannot be used as a library.
        """
        new = self._factory(Path(library_dir) if library_dir else None)
        self.close()
        self.engine = new
        self.documents = []
        self.libraryOpened.emit(str(new.library_dir))
        self.refresh()

    def close(self) -> None:
        """Stop background work and release the engine (models, index, database)."""
        self._refresh_timer.stop()
        if self.engine is None:
            return
        self.tasks.stop_all()
        if not self.tasks.wait(60_000):
            log.warning("background work did not stop within a minute; closing anyway")
        try:
            self.engine.close()
        except Exception:  # noqa: BLE001 - closing must not stop the app from quitting
            log.exception("closing the library failed")
        self.engine = None

    # ------------------------------------------------------------------ listing
    def refresh(self) -> None:
        if self.engine is None:
            return
        eng = self.engine
        self._refresh_serial += 1
        serial = self._refresh_serial
        # Reads run in parallel, so an older listing can arrive after a newer one: keep only the newest.
        self.tasks.run(self.tasks.reads, eng.documents, on_result=lambda docs: self._on_documents(docs, serial),
                       on_error=self._on_error)

    def schedule_refresh(self) -> None:
        """Refresh soon, coalescing bursts (an ingest of many small files finishes files quickly)."""
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def document(self, path: str) -> DocumentInfo | None:
        return next((d for d in self.documents if d.path == path), None)

    def _on_documents(self, docs: list[DocumentInfo], serial: int) -> None:
        if serial < self._shown_serial:
            return
        self._shown_serial = serial
        self.documents = list(docs)
        self.documentsChanged.emit(self.documents)

    # ------------------------------------------------------------------ ingest
    @property
    def ingesting(self) -> bool:
        return bool(self._ingests)

    @property
    def current_file(self) -> str | None:
        """The file the running batch is working on."""
        return self._current_file

    def ingest(self, paths: Sequence[str | os.PathLike]) -> Worker | None:
        """Add files and folders in the background (batches queue on the writer, one at a time)."""
        if self.engine is None or not paths:
            return None
        eng = self.engine
        wanted = [str(Path(p)) for p in paths]

        def run(progress: Callable[[Progress], None], cancel) -> IngestReport:
            return eng.ingest(wanted, progress=progress, cancel=cancel)

        worker = self.tasks.run(self.tasks.writer, run, on_progress=self._on_progress,
                                on_result=self._on_ingest_done, on_error=self._on_ingest_error,
                                on_cancelled=lambda: self.ingestFinished.emit(IngestReport(cancelled=True)),
                                on_finished=lambda: self._on_ingest_finished(worker))
        self._ingests.append(worker)
        self.ingestStarted.emit(wanted)
        return worker

    def cancel_ingest(self) -> None:
        """Stop every running or queued batch; a half-read file is finished by the next ingest."""
        for w in self._ingests:
            w.stop()

    def _on_progress(self, p: Progress) -> None:
        if p.stage == "files" and p.path != self._current_file:
            self._current_file = p.path
            self.schedule_refresh()  # the previous file is done: show it as indexed
        self.ingestProgress.emit(p)

    def _on_ingest_done(self, report: IngestReport) -> None:
        self.ingestFinished.emit(report)

    def _on_ingest_error(self, exc: BaseException) -> None:
        self._on_error(exc)
        self.ingestFinished.emit(None)

    def _on_ingest_finished(self, worker: Worker) -> None:
        if worker in self._ingests:
            self._ingests.remove(worker)
        self._current_file = None
        self.refresh()

    # ------------------------------------------------------------------ remove / re-index
    def remove(self, paths: Sequence[str]) -> None:
        if self.engine is None or not paths:
            return
        eng = self.engine
        self.tasks.run(self.tasks.writer, eng.remove, list(paths), on_error=self._on_error,
                       on_finished=self.refresh)

    def reindex(self, paths: Sequence[str]) -> Worker | None:
        """Read documents again from scratch (an unchanged file would otherwise be skipped by its hash)."""
        if self.engine is None or not paths:
            return None
        eng = self.engine
        wanted = list(paths)

        def run(progress: Callable[[Progress], None], cancel) -> IngestReport:
            eng.remove(wanted)
            return eng.ingest(wanted, progress=progress, cancel=cancel)

        worker = self.tasks.run(self.tasks.writer, run, on_progress=self._on_progress,
                                on_result=self._on_ingest_done, on_error=self._on_ingest_error,
                                on_cancelled=lambda: self.ingestFinished.emit(IngestReport(cancelled=True)),
                                on_finished=lambda: self._on_ingest_finished(worker))
        self._ingests.append(worker)
        self.ingestStarted.emit(wanted)
        return worker

    # ------------------------------------------------------------------ errors
    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, EngineError):
            self.error.emit(str(exc))
        else:
            from ..crash import report_exception

            report_exception(exc)
