"""The reader: a PDF or a code/text file, its outline, page and zoom controls, find, and citation highlights."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine import DocumentInfo, SectionInfo

from .. import icons
from ..controllers.reader import LoadedDocument, ReaderController
from ..qt import (QComboBox, QHBoxLayout, QLabel, QPalette, QSpinBox, QSplitter, QStackedWidget, Qt, QToolButton,
                  QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget, Signal)
from . import style
from .find_bar import FindBar
from .pdf_view import PdfView
from .text_view import CodeView
from .welcome import FirstStartNote

ZOOM_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
Rect = tuple[float, float, float, float]


@dataclass
class Target:
    """Where to take the reader once a document is shown: a page with highlighted rectangles, or a line range."""

    page: int | None = None
    rects: tuple[Rect, ...] = ()
    lines: tuple[int, int] | None = None
    quote: str = ""


class ReaderView(QWidget):
    """Signals:
        documentShown(str): a document is on screen (its path).
        citationShown(str): a citation or source target was applied to the shown document (its path).
    """

    documentShown = Signal(str)
    citationShown = Signal(str)

    def __init__(self, controller: ReaderController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.doc: LoadedDocument | None = None
        self._loading: str | None = None
        self._pending: Target | None = None
        self._hits: list[tuple[int, Rect]] = []
        self._hit = -1

        self.pdf = PdfView()
        self.code = CodeView()
        self.welcome = _Welcome()
        self.loading = QLabel("Opening…")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.pages = QStackedWidget()
        for w in (self.welcome, self.loading, self.pdf, self.code):
            self.pages.addWidget(w)

        self.outline = QTreeWidget()
        self.outline.setHeaderHidden(True)
        self.outline.setFrameShape(QTreeWidget.Shape.NoFrame)
        self.outline.setIndentation(12)
        self.outline.itemClicked.connect(self._on_outline_clicked)
        self.outline.itemActivated.connect(self._on_outline_clicked)
        self.outline.setMinimumWidth(140)
        self.outline.setStyleSheet("QTreeView::item { padding: 3px 0px; }")  # room to aim a click at an entry
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.outline)
        self.split.addWidget(self.pages)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([190, 700])
        self.split.setChildrenCollapsible(False)

        self.find_bar = FindBar()
        self.find_bar.hide()
        self.find_bar.searchChanged.connect(self._on_find_changed)
        self.find_bar.nextRequested.connect(lambda: self._step_find(True))
        self.find_bar.previousRequested.connect(lambda: self._step_find(False))
        self.find_bar.closed.connect(self._on_find_closed)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.toolbar = self._toolbar()
        lay.addWidget(self.toolbar)
        lay.addWidget(self.split, 1)
        lay.addWidget(self.find_bar)

        controller.documentLoaded.connect(self._on_loaded)
        controller.pageRendered.connect(self.pdf.set_page_image)
        controller.findFinished.connect(self._on_find_finished)
        controller.quoteLocated.connect(self._on_quote_located)
        self.pdf.renderRequested.connect(controller.render)
        self.pdf.wantedChanged.connect(controller.want_pages)
        self.pdf.pageChanged.connect(self._on_page_changed)
        self.pdf.zoomChanged.connect(self._on_zoom_changed)
        self._show_state("welcome")

    # ------------------------------------------------------------------ toolbar
    def _toolbar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("readerToolbar")
        lay = QHBoxLayout(bar)
        lay.setContentsMargins(6, 4, 8, 4)
        lay.setSpacing(4)
        self.outline_button = self._tool("outline", "Show or hide the outline", checkable=True)
        self.outline_button.setChecked(True)
        self.outline_button.toggled.connect(self.outline.setVisible)
        self.title = QLabel()
        f = self.title.font()
        f.setWeight(f.Weight.DemiBold)
        self.title.setFont(f)
        self.title.setMinimumWidth(60)
        self.page_box = QSpinBox()
        self.page_box.setKeyboardTracking(False)
        self.page_box.setToolTip("Page number: type one and press Enter to go there")
        self.page_box.valueChanged.connect(self._on_page_box)
        self.page_total = QLabel()
        self.page_total.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.zoom_out = self._tool("zoom-out", "Zoom out (Ctrl+-)")
        self.zoom_out.clicked.connect(lambda: self.step_zoom(-1))
        self.zoom_box = QComboBox()
        self.zoom_box.setToolTip("Zoom: fit the width, fit the whole page, or a fixed size (Ctrl+wheel zooms too)")
        self.zoom_box.addItem("Fit width", "width")
        self.zoom_box.addItem("Fit page", "page")
        for z in ZOOM_STEPS:
            self.zoom_box.addItem(f"{round(z * 100)}%", z)
        self.zoom_box.addItem("", None)  # shows a zoom reached by Ctrl+wheel
        self.zoom_box.activated.connect(self._on_zoom_box)
        self.zoom_in = self._tool("zoom-in", "Zoom in (Ctrl++)")
        self.zoom_in.clicked.connect(lambda: self.step_zoom(1))
        self.find_button = self._tool("find", "Find in document (Ctrl+F)")
        self.find_button.clicked.connect(self.open_find)
        for w in (self.outline_button, self.title):
            lay.addWidget(w)
        lay.addStretch(1)
        self.pdf_controls = [self.page_box, self.page_total, self.zoom_out, self.zoom_box, self.zoom_in]
        for w in self.pdf_controls:
            lay.addWidget(w)
        lay.addSpacing(6)
        lay.addWidget(self.find_button)
        return bar

    def _tool(self, name: str, tip: str, checkable: bool = False) -> QToolButton:
        b = QToolButton()
        b.setIcon(icons.icon(name))
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.setCheckable(checkable)
        return b

    def _show_state(self, state: str) -> None:
        page = {"welcome": self.welcome, "loading": self.loading, "pdf": self.pdf, "code": self.code}[state]
        self.pages.setCurrentWidget(page)
        is_pdf = state == "pdf"
        for w in self.pdf_controls:
            w.setVisible(is_pdf)
        has_doc = state in ("pdf", "code")
        self.toolbar.setVisible(state != "welcome")
        self.find_button.setEnabled(has_doc)
        self.outline_button.setEnabled(has_doc)
        self.outline.setVisible(has_doc and self.outline_button.isChecked() and self.outline.topLevelItemCount() > 0)

    # ------------------------------------------------------------------ opening
    @property
    def path(self) -> str | None:
        return self.doc.path if self.doc is not None else None

    def open_document(self, info: DocumentInfo, target: Target | None = None) -> None:
        """Show a document (loading it in the background unless it is already shown), then go to `target`."""
        self._pending = target
        if self.doc is not None and self.doc.path == info.path and self._loading is None:
            if target is not None:
                self._apply_target()
            return
        self._loading = info.path
        self.title.setText(Path(info.path).name)
        self.title.setToolTip(info.path)
        self._show_state("loading")
        self.controller.load(info)

    def _on_loaded(self, doc: LoadedDocument) -> None:
        if doc.path != self._loading:
            return
        self._loading = None
        self.doc = doc
        self._hits, self._hit = [], -1
        self._fill_outline(doc.sections, doc.is_pdf)
        if doc.is_pdf:
            self.code.setPlainText("")
            self.page_box.blockSignals(True)
            self.page_box.setRange(1, max(1, len(doc.page_sizes)))
            self.page_box.setValue(1)
            self.page_box.blockSignals(False)
            self.page_total.setText(f"of {len(doc.page_sizes):,}")
            self._show_state("pdf")
            self.pdf.set_document(doc.path, doc.page_sizes)
        else:
            self.pdf.clear()
            self.code.set_text(doc.path, doc.text or "")
            self._show_state("code")
        if self.find_bar.isVisible() and self.find_bar.edit.text().strip():
            self._on_find_changed(self.find_bar.edit.text().strip())
        self.documentShown.emit(doc.path)
        if self._pending is not None:
            self._apply_target()

    def close_document(self) -> None:
        self.doc = None
        self._loading = None
        self.pdf.clear()
        self.code.setPlainText("")
        self.outline.clear()
        self.title.setText("")
        self._show_state("welcome")

    # ------------------------------------------------------------------ citations
    def _apply_target(self) -> None:
        target, self._pending = self._pending, None
        if target is None or self.doc is None:
            return
        if self.doc.is_pdf and target.page:
            if target.rects:
                self.pdf.show_highlights("citation", [(target.page, r) for r in target.rects],
                                         fill=style.CITATION_HIGHLIGHT, outline=style.CITATION_OUTLINE, scroll_to=0)
            else:
                self.pdf.clear_highlights("citation")
                self.pdf.go_to_page(target.page)
                if target.quote:
                    self.controller.locate_quote(self.doc.path, target.page, target.quote)
        elif not self.doc.is_pdf and target.lines:
            self.code.show_lines(*target.lines)
        self.citationShown.emit(self.doc.path)

    def _on_quote_located(self, path: str, page: int, rects: list) -> None:
        if self.doc is not None and path == self.doc.path and rects:
            self.pdf.show_highlights("citation", [(page, tuple(r)) for r in rects],
                                     fill=style.CITATION_HIGHLIGHT, outline=style.CITATION_OUTLINE, scroll_to=0)

    # ------------------------------------------------------------------ outline
    def _fill_outline(self, sections: list[SectionInfo], is_pdf: bool) -> None:
        self.outline.clear()
        items: dict[int, QTreeWidgetItem] = {}
        for s in sections:
            if not s.title.strip():
                continue
            parent = items.get(s.parent_id) if s.parent_id is not None else None
            item = QTreeWidgetItem(parent or self.outline)
            item.setText(0, s.title)
            where = (s.page_start, None) if is_pdf else (None, s.line_start)
            item.setData(0, Qt.ItemDataRole.UserRole, where)
            tip = f"Page {s.page_start}" if is_pdf and s.page_start else (f"Line {s.line_start}" if s.line_start
                                                                          else "")
            item.setToolTip(0, f"{s.title}\n{tip}" if tip else s.title)
            items[s.id] = item
        self.outline.expandToDepth(0)

    def _on_outline_clicked(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        page, line = item.data(0, Qt.ItemDataRole.UserRole) or (None, None)
        if page:
            self.pdf.go_to_page(page)
        elif line:
            self.code.show_lines(line, line)

    # ------------------------------------------------------------------ pages and zoom
    def _on_page_changed(self, page: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(page)
        self.page_box.blockSignals(False)

    def _on_page_box(self, page: int) -> None:
        self.pdf.go_to_page(page)

    def _on_zoom_box(self, index: int) -> None:
        data = self.zoom_box.itemData(index)
        if data == "width":
            self.pdf.fit_width()
        elif data == "page":
            self.pdf.fit_page()
        elif isinstance(data, float):
            self.pdf.set_zoom(data)

    def _on_zoom_changed(self, zoom: float) -> None:
        mode = self.pdf.fit_mode
        index = self.zoom_box.findData(mode) if mode else self.zoom_box.findData(round(zoom, 2))
        if index < 0:
            index = self.zoom_box.count() - 1
            self.zoom_box.setItemText(index, f"{round(zoom * 100)}%")
        self.zoom_box.setCurrentIndex(index)

    def step_zoom(self, direction: int) -> None:
        z = self.pdf.zoom
        if direction > 0:
            nxt = next((s for s in ZOOM_STEPS if s > z + 1e-3), z * 1.25)
        else:
            nxt = next((s for s in reversed(ZOOM_STEPS) if s < z - 1e-3), z / 1.25)
        self.pdf.set_zoom(nxt)

    # ------------------------------------------------------------------ find
    def open_find(self) -> None:
        if self.doc is not None:
            self.find_bar.open_bar()

    def _on_find_changed(self, query: str) -> None:
        if self.doc is None:
            return
        self._hits, self._hit = [], -1
        if self.doc.is_pdf:
            self.pdf.clear_highlights("find")
            self.pdf.clear_highlights("find-current")
            if query:
                self.find_bar.set_result(-1, 0, searching=True)
                self.controller.find(self.doc.path, query)
            else:
                self.find_bar.set_result(-1, 0)
        else:
            n = self.code.find_all(query)
            idx = self.code.find_step(True) if n else -1
            self.find_bar.set_result(idx, n)

    def _on_find_finished(self, path: str, query: str, hits: list) -> None:
        if self.doc is None or path != self.doc.path or query != self.find_bar.edit.text().strip():
            return
        self._hits = [(int(p), tuple(r)) for p, r in hits]
        self.pdf.show_highlights("find", self._hits, fill=style.FIND_HIGHLIGHT)
        self._hit = -1
        if self._hits:
            self._step_find(True)
        else:
            self.find_bar.set_result(-1, 0)

    def _step_find(self, forward: bool) -> None:
        if self.doc is None:
            return
        if not self.doc.is_pdf:
            idx = self.code.find_step(forward)
            self.find_bar.set_result(idx, self.code.find_count)
            return
        if not self._hits:
            return
        self._hit = (self._hit + (1 if forward else -1)) % len(self._hits)
        self.pdf.show_highlights("find-current", [self._hits[self._hit]], fill=style.FIND_CURRENT, scroll_to=0)
        self.find_bar.set_result(self._hit, len(self._hits))

    def _on_find_closed(self) -> None:
        self.pdf.clear_highlights("find")
        self.pdf.clear_highlights("find-current")
        self.code.find_all("")
        self._hits, self._hit = [], -1


class _Welcome(QWidget):
    """The reader before a document is opened."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        pic = QLabel()
        pic.setPixmap(icons.pixmap("library", 64, style.secondary_color(self.palette()), self.devicePixelRatioF()))
        pic.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Nothing open yet")
        f = title.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setWeight(f.Weight.DemiBold)
        title.setFont(f)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel("Pick a document in the library to read it here.\n"
                      "Ask a question on the right; click a citation like [1] to jump to the quoted words.")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        text.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        for w in (pic, title, text):
            lay.addWidget(w)
        self._idle = (pic, title, text)
        self.first_start = FirstStartNote()  # an empty library: say what to drop and how to get better answers
        self.first_start.hide()
        lay.addWidget(self.first_start)
        lay.addStretch(2)

    def set_library_empty(self, empty: bool) -> None:
        """Show the first-start welcome instead of "Nothing open yet" while the library holds no document."""
        self.first_start.setVisible(empty)
        for w in self._idle:
            w.setVisible(not empty)
