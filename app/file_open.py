"""Files the operating system asks the running app to open (macOS Finder's "Open With", a drop on the Dock icon).

On macOS a bundle does not get those files as command-line arguments: they arrive as QFileOpenEvents sent to the
QApplication, one event per file, also after the app has started. This filter gathers the events that arrive
together into one list, so that selecting ten PDFs and choosing "Open With Lectern" is one ingest with one report,
not ten. app/main.py installs it on macOS only: a filter on the QApplication sees every event of every object,
and elsewhere files come in argv (the Linux desktop entry's %F).
"""
from __future__ import annotations

from collections.abc import Callable

from .qt import QEvent, QObject, QTimer

GATHER_MS = 150  # events for one Finder selection arrive within a few milliseconds of each other


class FileOpenForwarder(QObject):
    """Installed on the QApplication; calls `open_paths` with the local paths of file-open events, in order."""

    def __init__(self, open_paths: Callable[[list[str]], None], parent: QObject | None = None,
                 gather_ms: int = GATHER_MS):
        super().__init__(parent)
        self._open_paths = open_paths
        self._pending: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(gather_ms)
        self._timer.timeout.connect(self._flush)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.FileOpen:
            return False
        path = event.file() or event.url().toLocalFile()
        if path and path not in self._pending:
            self._pending.append(path)
            self._timer.start()
        return True  # handled: Qt has nothing else to do with it

    def _flush(self) -> None:
        paths, self._pending = self._pending, []
        if paths:
            self._open_paths(paths)
