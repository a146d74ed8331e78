"""The main window: library on the left, the reader in the middle, the ask panel on the right.

It wires views to controllers and owns the menus, shortcuts and drag-and-drop; the work itself happens in the
controllers' workers.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from engine import Citation, DocumentInfo, Engine, EngineError, IngestReport, Source

from . import icons
from .controllers.ask import AskController
from .controllers.library import EngineFactory, LibraryController
from .controllers.models import SettingsController
from .controllers.reader import ReaderController
from .gc_guard import MainThreadGarbageCollector
from .qt import (QAction, QDragEnterEvent, QDropEvent, QFileDialog, QKeySequence, QLabel, QMainWindow, QMenu,
                 QMessageBox, QShortcut, QSplitter, Qt)
from .settings_dialog import SettingsDialog
from .state import AppState
from .views.ask_panel import AskPanel
from .views.drop_overlay import DropOverlay
from .views.library_panel import LibraryPanel
from .views.reader import ReaderView, Target
from .workers import Tasks

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Lectern's window over one library folder at a time."""

    def __init__(self, library_dir: str | os.PathLike | None = None, *, engine_factory: EngineFactory = Engine.open,
                 state: AppState | None = None):
        super().__init__()
        # before any worker starts: cycles (Qt objects, PyMuPDF documents among them) are freed on this thread only
        self.gc_guard = MainThreadGarbageCollector(self)
        self.setWindowIcon(icons.app_icon())
        self.state = state or AppState()
        self.tasks = Tasks(self)
        self.library = LibraryController(self.tasks, engine_factory, self)
        engine = lambda: self.library.engine  # noqa: E731 - the controllers follow library switches
        self.reader_controller = ReaderController(self.tasks, engine, self)
        self.ask_controller = AskController(self.tasks, engine, self)
        self.settings_controller = SettingsController(self.tasks, engine, self)
        self.settings_dialog: SettingsDialog | None = None
        self.last_error = ""
        self._error_box: QMessageBox | None = None

        self.library_panel = LibraryPanel()
        self.reader = ReaderView(self.reader_controller)
        self.ask_panel = AskPanel(self.ask_controller)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        for w in (self.library_panel, self.reader, self.ask_panel):
            self.split.addWidget(w)
        self.split.setStretchFactor(0, 0)
        self.split.setStretchFactor(1, 1)
        self.split.setStretchFactor(2, 0)
        self.split.setSizes([290, 760, 430])
        self.split.setChildrenCollapsible(False)
        self.library_panel.setMinimumWidth(220)
        self.ask_panel.setMinimumWidth(320)
        self.setCentralWidget(self.split)
        self.overlay = DropOverlay(self.split)
        self.setAcceptDrops(True)
        self.library_label = QLabel()
        self.statusBar().addPermanentWidget(self.library_label)
        self.statusBar().setSizeGripEnabled(True)

        self._build_menus()
        self._build_shortcuts()
        self._connect()
        self.resize(1480, 900)
        self._restore_layout()
        self.open_library(library_dir if library_dir is not None else self.state.last_library())

    # ------------------------------------------------------------------ building
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.add_files_action = self._action(file, "Add files…", self.add_files, QKeySequence.StandardKey.Open,
                                             "add-file")
        self._action(file, "Add folder…", self.add_folder, QKeySequence("Ctrl+Shift+O"), "add-folder")
        file.addSeparator()
        self._action(file, "Open library folder…", self.choose_library, None, "library")
        self.recent_menu = file.addMenu("Recent libraries")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        self._action(file, "Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        self._action(edit, "Find in document", self.reader.open_find, QKeySequence.StandardKey.Find, "find")
        self._action(edit, "Ask a question", self.ask_panel.focus_question, QKeySequence("Ctrl+L"), "ask")
        self._action(edit, "Copy answer as Markdown", self.ask_panel.copy_answer, QKeySequence("Ctrl+Shift+C"),
                     "copy")
        edit.addSeparator()
        self.settings_action = self._action(edit, "Settings…", self.open_settings, QKeySequence("Ctrl+,"),
                                            "settings")
        view = bar.addMenu("&View")
        self._action(view, "Zoom in", lambda: self.reader.step_zoom(1), QKeySequence.StandardKey.ZoomIn, "zoom-in")
        self._action(view, "Zoom out", lambda: self.reader.step_zoom(-1), QKeySequence.StandardKey.ZoomOut,
                     "zoom-out")
        self._action(view, "Fit width", self.reader.pdf.fit_width, QKeySequence("Ctrl+0"), "fit-width")
        self._action(view, "Fit page", self.reader.pdf.fit_page, None, "fit-page")
        view.addSeparator()
        self._action(view, "Outline", self.reader.outline_button.toggle, QKeySequence("Ctrl+Shift+T"), "outline")
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Open log folder", self._open_log_folder)
        self._action(help_menu, "About Lectern", self._about)

    def _action(self, menu: QMenu, text: str, slot, shortcut=None, icon: str | None = None) -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(icons.icon(icon))
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _build_shortcuts(self) -> None:
        esc = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        esc.setContext(Qt.ShortcutContext.WindowShortcut)
        esc.activated.connect(self._on_escape)

    def _connect(self) -> None:
        lib, panel = self.library, self.library_panel
        lib.libraryOpened.connect(self._on_library_opened)
        lib.documentsChanged.connect(self._on_documents_changed)
        lib.ingestStarted.connect(lambda _paths: panel.ingest_started())
        lib.ingestProgress.connect(panel.ingest_progress)
        lib.ingestFinished.connect(self._on_ingest_finished)
        lib.error.connect(self.show_error)
        panel.openRequested.connect(self.open_document)
        panel.addFilesRequested.connect(self.add_files)
        panel.addFolderRequested.connect(self.add_folder)
        panel.removeRequested.connect(self._on_remove_requested)
        panel.reindexRequested.connect(lib.reindex)
        panel.cancelRequested.connect(lib.cancel_ingest)
        panel.selectionChanged.connect(self.ask_panel.set_selection)
        self.reader.documentShown.connect(self.ask_panel.set_open_document)
        self.reader_controller.error.connect(self.show_error)
        self.ask_panel.targetActivated.connect(self.show_target)
        self.reader.welcome.first_start.modelSettingsRequested.connect(self.open_settings)

    # ------------------------------------------------------------------ library
    def open_library(self, library_dir: str | os.PathLike | None) -> bool:
        try:
            self.library.open(library_dir)
        except EngineError as exc:
            self.show_error(f"The library could not be opened. {exc}")
            return False
        return True

    def _on_library_opened(self, path: str) -> None:
        self.state.add_recent(path)
        self.ask_controller.open_library(path)
        self.reader.close_document()
        self.ask_panel.set_open_document(None)
        self.ask_panel.render()
        self.setWindowTitle(f"Lectern — {Path(path).name}")
        self.library_label.setText(path)
        self.library_label.setToolTip("The library folder: its index, settings and conversation history")

    def choose_library(self) -> None:
        start = str(self.library.library_dir or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open or create a library folder", start)
        if folder:
            self.open_library(folder)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.state.recent_libraries():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_library(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent libraries").setEnabled(False)

    def _on_documents_changed(self, docs: list[DocumentInfo]) -> None:
        self.library_panel.set_documents(docs)
        self.reader.welcome.set_library_empty(not docs)
        shown = self.reader.path
        if shown is not None and not any(d.path == shown for d in docs):
            self.reader.close_document()
            self.ask_panel.set_open_document(None)

    # ------------------------------------------------------------------ adding
    def add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add files to the library", str(Path.home()),
            "Documents and code (*.pdf *.md *.txt *.rst *.py *.js *.ts *.c *.h *.cpp *.java *.go *.rs *.rb);;"
            "PDF documents (*.pdf);;All files (*)")
        if files:
            self.add_paths(files)

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder (documents or a code repository)",
                                                  str(Path.home()))
        if folder:
            self.add_paths([folder])

    def add_paths(self, paths: list[str]) -> None:
        if self.library.engine is None:
            self.show_error("No library is open: open a library folder first (File → Open library folder…).")
            return
        self.library.ingest(paths)
        self.statusBar().showMessage(f"Adding {len(paths)} item{'s' if len(paths) != 1 else ''}…", 4000)

    def _on_ingest_finished(self, report: IngestReport | None) -> None:
        self.library_panel.ingest_finished(report)
        if report is None:
            return
        counts = report.counts()
        bits = [f"{counts[k]} {label}" for k, label in (("indexed", "added"), ("unchanged", "unchanged"),
                                                          ("failed", "failed"), ("skipped", "skipped"))
                if counts.get(k)]
        msg = ("Stopped. " if report.cancelled else "Done: ") + (", ".join(bits) if bits else "nothing new")
        self.statusBar().showMessage(msg, 8000)

    def _on_remove_requested(self, paths: list[str]) -> None:
        names = ", ".join(Path(p).name for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3
                                                               else "")
        answer = QMessageBox.question(self, "Remove from library",
                                      f"Remove {names} from the library?\n\nThe files themselves stay where they "
                                      f"are; only Lectern's index of them is removed.")
        if answer == QMessageBox.StandardButton.Yes:
            self.library.remove(paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
            self.overlay.show_over()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self.overlay.hide()

    def dropEvent(self, event: QDropEvent) -> None:
        self.overlay.hide()
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # ------------------------------------------------------------------ reading and citations
    def open_document(self, doc: DocumentInfo, target: Target | None = None) -> None:
        self.reader.open_document(doc, target)
        self.ask_panel.set_open_document(doc.path)

    def show_target(self, item: Citation | Source) -> None:
        """Open what a citation or source points at, with the quoted words highlighted."""
        doc = self.library.document(item.path)
        if doc is None:  # asked before the list arrived, or restored from history: let the reader find out
            kind = "pdf" if item.page else "text"
            doc = DocumentInfo(id=0, path=item.path, kind=kind, title=Path(item.path).name, status="indexed",
                               error=None, pages=None, lines=None, chunks=0, size=0)
        if not Path(item.path).exists():
            self.show_error(f"{item.path} is no longer there; it was moved or deleted after it was added.")
            return
        quote = item.quote if isinstance(item, Citation) else ""
        target = Target(page=item.page, rects=tuple(tuple(r) for r in item.rects), lines=item.lines, quote=quote)
        self.open_document(doc, target)

    # ------------------------------------------------------------------ settings
    def open_settings(self) -> None:
        if self.library.engine is None:
            self.show_error("Open a library first: settings belong to a library.")
            return
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            return
        self.settings_dialog = SettingsDialog(self.settings_controller, self)
        self.settings_dialog.open()

    # ------------------------------------------------------------------ keys, errors, lifecycle
    def _on_escape(self) -> None:
        if self.ask_controller.busy:
            self.ask_controller.stop()
        elif self.reader.find_bar.isVisible():
            self.reader.find_bar.close_bar()

    def show_error(self, message: str) -> None:
        """An engine error in words: the status bar, and a dialog that does not block the window."""
        self.last_error = message
        log.info("shown to the reader: %s", message)
        self.statusBar().showMessage(message, 10_000)
        if self._error_box is not None and self._error_box.isVisible():
            self._error_box.setText(message)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Lectern", message, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.show()
        self._error_box = box

    def _open_log_folder(self) -> None:
        from .crash import log_dir
        from .views.library_panel import reveal

        reveal(str(log_dir() / "lectern.log"))

    def _about(self) -> None:
        QMessageBox.about(self, "About Lectern",
                          "<b>Lectern</b><br>A local reader for long PDFs and code that answers questions with "
                          "citations you can check. Everything runs on this computer.")

    def _restore_layout(self) -> None:
        geometry = self.state.bytes("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        split = self.state.bytes("window/split")
        if split is not None:
            self.split.restoreState(split)

    def closeEvent(self, event) -> None:
        self.state.set_bytes("window/geometry", self.saveGeometry())
        self.state.set_bytes("window/split", self.split.saveState())
        self.state.sync()
        self.library.close()
        self.gc_guard.stop()
        super().closeEvent(event)

