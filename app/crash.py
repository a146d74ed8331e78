"""Unexpected exceptions: written to the log with their traceback and shown in a dialog, never a silent exit.

`EngineError`s are expected (a bad file, a model that does not fit) and are shown as plain messages by the views;
everything else is a bug, and lands here.
"""
from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from .qt import QApplication, QDesktopServices, QMessageBox, QStandardPaths, Qt, QUrl

log = logging.getLogger("lectern.crash")
LOG_FILENAME = "lectern.log"
_log_dir: Path | None = None
_dialogs: list[QMessageBox] = []  # keeps parentless dialogs alive until they are closed


def log_dir() -> Path:
    """The platform's folder for application logs (e.g. ~/.local/state/Lectern/log on Linux)."""
    location = getattr(QStandardPaths.StandardLocation, "StateLocation", None)  # Qt ≥ 6.7
    if location is None:
        location = QStandardPaths.StandardLocation.AppLocalDataLocation
    return Path(QStandardPaths.writableLocation(location)) / "log"


def setup_logging(folder: Path | None = None, level: int = logging.INFO) -> Path:
    """Log to a rotating file under the log folder (and to stderr). Returns the log file's path."""
    global _log_dir
    _log_dir = folder or log_dir()
    _log_dir.mkdir(parents=True, exist_ok=True)
    path = _log_dir / LOG_FILENAME
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
               for h in root.handlers):
        root.addHandler(logging.StreamHandler())
    root.setLevel(level)
    return path


def install() -> None:
    """Route uncaught exceptions (GUI thread and plain threads) to `report`."""
    sys.excepthook = report
    threading.excepthook = lambda args: report(args.exc_type, args.exc_value, args.exc_traceback)


def report(exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> None:
    """Log an unexpected exception and, when a GUI is running, show the crash dialog."""
    if exc_type is KeyboardInterrupt:
        QApplication.quit()
        return
    log.critical("unexpected error", exc_info=(exc_type, exc, tb))
    app = QApplication.instance()
    if app is None or QApplication.closingDown():
        return
    from .qt import QThread

    if QThread.currentThread() is not app.thread():
        return  # only logged: widgets may not be touched from other threads; workers report through signals
    show_dialog("".join(traceback.format_exception(exc_type, exc, tb)), str(exc) or exc_type.__name__)


def report_exception(exc: BaseException) -> None:
    """Handle an exception a worker caught (it arrives on the GUI thread through the worker's error signal)."""
    report(type(exc), exc, exc.__traceback__)


def show_dialog(details: str, summary: str) -> QMessageBox:
    """A non-blocking dialog: the app keeps running, since most bugs leave it usable."""
    box = QMessageBox(QApplication.activeWindow())
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Lectern ran into a problem")
    box.setText("Something went wrong that Lectern did not expect.")
    where = f"<br>The details are in the log: <code>{_log_dir / LOG_FILENAME}</code>" if _log_dir else ""
    box.setInformativeText(f"{_escape(summary)}<br><br>You can keep working; if it happens again, please report it "
                           f"with the details below.{where}")
    box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    if _log_dir is not None:
        folder = box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole)
        folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(_log_dir))))
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _dialogs.append(box)
    box.finished.connect(lambda _r: _dialogs.remove(box) if box in _dialogs else None)
    box.show()
    return box


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
