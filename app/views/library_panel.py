"""The library sidebar: documents and code folders with their status, an empty-state drop target, and ingest progress."""
from __future__ import annotations

import os
from pathlib import Path

from engine import DocumentInfo, IngestReport, Progress

from .. import icons
from ..qt import (QAbstractItemView, QAction, QColor, QDesktopServices, QHBoxLayout, QLabel, QLineEdit, QMenu,
                  QModelIndex, QPainter, QPalette, QPoint, QPushButton, QSize, QStackedWidget, QStyle,
                  QStyledItemDelegate, QStyleOptionViewItem, Qt, QToolButton, QTreeWidget, QTreeWidgetItem, QUrl,
                  QVBoxLayout, QWidget, Signal)
from .ingest_status import IngestStatus
from .style import error_color, secondary_color

DOC_ROLE = Qt.ItemDataRole.UserRole
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
SUBTITLE_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3  # "ok" | "failed" | "busy" | "warn"
KIND_NAMES = {"pdf": "PDF", "code": "Code", "text": "Text"}


def describe(doc: DocumentInfo) -> tuple[str, str]:
    """The subtitle and state of a document as the sidebar shows it."""
    if doc.status == "failed":
        return f"Failed: {doc.error or 'it could not be read.'}", "failed"
    parts = [KIND_NAMES.get(doc.kind, doc.kind.title())]
    if doc.pages:
        parts.append(f"{doc.pages:,} page{'s' if doc.pages != 1 else ''}")
    elif doc.lines:
        parts.append(f"{doc.lines:,} line{'s' if doc.lines != 1 else ''}")
    if doc.status == "incomplete":
        parts.append("incomplete: finishes on the next ingest")
        return " · ".join(parts), "busy"
    if doc.pages_without_text:
        parts.append(f"{doc.pages_without_text} page{'s' if doc.pages_without_text != 1 else ''} without text")
        return " · ".join(parts), "warn"
    return " · ".join(parts), "ok"


class DocumentDelegate(QStyledItemDelegate):
    """Two lines per entry: the title, and a quieter line with kind, size and status (red when it failed)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        fm = option.fontMetrics
        return QSize(200, fm.height() * 2 + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else None
        title, subtitle = opt.text, index.data(SUBTITLE_ROLE) or ""
        opt.text = ""
        opt.icon = type(opt.icon)()
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = opt.rect.adjusted(6, 5, -6, -5)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if icon is not None:
            size = 22
            icon.paint(painter, rect.left(), rect.top() + (rect.height() - size) // 2, size, size)
            rect.setLeft(rect.left() + size + 8)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        pal = opt.palette
        painter.save()
        font = opt.font
        font.setWeight(font.Weight.DemiBold)
        painter.setFont(font)
        fm = painter.fontMetrics()
        painter.setPen(pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        line = fm.height()
        painter.drawText(rect.left(), rect.top(), rect.width(), line, Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(title, Qt.TextElideMode.ElideMiddle, rect.width()))
        font.setWeight(font.Weight.Normal)
        painter.setFont(font)
        fm = painter.fontMetrics()
        state = index.data(STATE_ROLE)
        if selected:
            colour = pal.color(QPalette.ColorRole.HighlightedText)
        elif state == "failed":
            colour = error_color(pal)
        else:
            colour = secondary_color(pal)
        painter.setPen(colour)
        painter.drawText(rect.left(), rect.top() + line + 2, rect.width(), line, Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(subtitle, Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()


class EmptyLibrary(QWidget):
    """What an empty library shows: a friendly drop target instead of grey nothingness.

    Signals:
        addFilesRequested(): the reader clicked "Add files…".
        addFolderRequested(): the reader clicked "Add folder…".
    """

    addFilesRequested = Signal()
    addFolderRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("emptyLibrary")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 24, 18, 24)
        lay.addStretch(1)
        picture = QLabel()
        picture.setPixmap(icons.pixmap("drop", 56, secondary_color(self.palette()), self.devicePixelRatioF()))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Your library is empty")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        f = title.font()
        f.setPointSizeF(f.pointSizeF() * 1.25)
        f.setWeight(f.Weight.DemiBold)
        title.setFont(f)
        text = QLabel("Drop PDFs, code folders or text files anywhere on this window. Lectern reads them here, "
                      "on your computer, and answers with citations you can check.")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        add_files = QPushButton(icons.icon("add-file"), "Add files…")
        add_folder = QPushButton(icons.icon("add-folder"), "Add folder…")
        add_files.clicked.connect(self.addFilesRequested)
        add_folder.clicked.connect(self.addFolderRequested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(add_files)
        buttons.addWidget(add_folder)
        buttons.addStretch(1)
        for w in (picture, title, text):
            lay.addWidget(w)
            lay.addSpacing(6)
        lay.addSpacing(8)
        lay.addLayout(buttons)
        lay.addStretch(2)

    def paintEvent(self, event) -> None:  # a dashed frame says "drop here"
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = painter.pen()
        colour = QColor(secondary_color(self.palette()))
        colour.setAlpha(110)
        pen.setColor(colour)
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setWidthF(1.5)
        painter.setPen(pen)
        painter.drawRoundedRect(self.rect().adjusted(8, 8, -8, -8), 12, 12)


class LibraryPanel(QWidget):
    """The sidebar.

    Signals:
        openRequested(object): a `DocumentInfo` to show in the reader.
        addFilesRequested(): "Add files…".
        addFolderRequested(): "Add folder…".
        removeRequested(list): paths to remove from the library.
        reindexRequested(list): paths to read again.
        cancelRequested(): stop the running ingest.
        selectionChanged(list): the paths now selected (documents, or folders of code).
    """

    openRequested = Signal(object)
    addFilesRequested = Signal()
    addFolderRequested = Signal()
    removeRequested = Signal(list)
    reindexRequested = Signal(list)
    cancelRequested = Signal()
    selectionChanged = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._activity: dict[str, str] = {}
        self._docs: list[DocumentInfo] = []

        header = QHBoxLayout()
        header.setContentsMargins(10, 8, 6, 4)
        title = QLabel("Library")
        f = title.font()
        f.setWeight(f.Weight.DemiBold)
        title.setFont(f)
        self.count_label = QLabel()
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        header.addWidget(title)
        header.addWidget(self.count_label)
        header.addStretch(1)
        for name, tip, sig in (("add-file", "Add files… (Ctrl+O)", self.addFilesRequested),
                               ("add-folder", "Add a folder of documents or code…", self.addFolderRequested)):
            b = QToolButton()
            b.setIcon(icons.icon(name))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(sig)
            header.addWidget(b)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter documents")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter_changed)

        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setItemDelegate(DocumentDelegate(self.tree))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setIndentation(14)
        self.tree.setFrameShape(self.tree.Shape.NoFrame)
        self.tree.setUniformRowHeights(True)
        self.tree.setAcceptDrops(False)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)
        self.tree.itemActivated.connect(self._on_item_activated)
        self.tree.itemClicked.connect(self._on_item_activated)
        self.tree.itemSelectionChanged.connect(self._on_selection_changed)

        listing = QWidget()
        ll = QVBoxLayout(listing)
        ll.setContentsMargins(6, 0, 6, 0)
        ll.setSpacing(6)
        ll.addWidget(self.filter)
        ll.addWidget(self.tree)

        self.empty = EmptyLibrary()
        self.empty.addFilesRequested.connect(self.addFilesRequested)
        self.empty.addFolderRequested.connect(self.addFolderRequested)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(listing)

        self.status = IngestStatus()
        self.status.cancelRequested.connect(self.cancelRequested)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 6)
        lay.setSpacing(4)
        lay.addLayout(header)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.status)
        self.set_documents([])

    # ------------------------------------------------------------------ content
    @property
    def documents(self) -> list[DocumentInfo]:
        return self._docs

    def item(self, path: str) -> QTreeWidgetItem | None:
        return self._items.get(path)

    def set_documents(self, docs: list[DocumentInfo]) -> None:
        selected = set(self.selected_paths())
        expanded = {p for p, it in self._items.items() if it.childCount() and it.isExpanded()}
        first_fill = not self._items
        self._docs = list(docs)
        self.tree.clear()
        self._items = {}
        folders: dict[str, QTreeWidgetItem] = {}
        for doc in sorted(docs, key=lambda d: (d.root is None or d.root == d.path, Path(d.path).name.lower())):
            parent = None
            if doc.root and doc.root != doc.path:
                parent = folders.get(doc.root)
                if parent is None:
                    parent = QTreeWidgetItem(self.tree)
                    parent.setText(0, Path(doc.root).name or doc.root)
                    parent.setIcon(0, icons.icon("folder"))
                    parent.setData(0, PATH_ROLE, doc.root)
                    parent.setToolTip(0, doc.root)
                    folders[doc.root] = parent
                    self._items[doc.root] = parent
            item = QTreeWidgetItem(parent or self.tree)
            item.setData(0, DOC_ROLE, doc)
            item.setData(0, PATH_ROLE, doc.path)
            # The file name is what the reader recognises; the engine's title (often the first heading) goes in
            # the tooltip.
            item.setText(0, Path(doc.path).name)
            tip = doc.path if not doc.title or doc.title == Path(doc.path).stem else f"{doc.title}\n{doc.path}"
            item.setToolTip(0, tip if doc.status != "failed" else f"{tip}\n\n{doc.error or ''}")
            self._items[doc.path] = item
            self._decorate(item)
        for root, folder in folders.items():
            children = [folder.child(i).data(0, DOC_ROLE) for i in range(folder.childCount())]
            failed = sum(1 for c in children if c.status == "failed")
            text = f"{len(children):,} file{'s' if len(children) != 1 else ''}"
            if failed:
                text += f" · {failed} failed"
            folder.setData(0, SUBTITLE_ROLE, text)
            folder.setData(0, STATE_ROLE, "failed" if failed else "ok")
            folder.setExpanded(root in expanded and not first_fill)
        for path, activity in self._activity.items():
            self._show_activity(path, activity)
        for p in selected:
            if p in self._items:
                self._items[p].setSelected(True)
        n = len(docs)
        self.count_label.setText(f"{n:,}" if n else "")
        self.stack.setCurrentIndex(1 if n or self._activity else 0)
        self._on_filter_changed(self.filter.text())

    def _decorate(self, item: QTreeWidgetItem) -> None:
        doc: DocumentInfo = item.data(0, DOC_ROLE)
        subtitle, state = describe(doc)
        item.setData(0, SUBTITLE_ROLE, subtitle)
        item.setData(0, STATE_ROLE, state)
        if state == "failed":
            item.setIcon(0, icons.icon("error", error_color(self.palette())))
        elif state == "busy":
            item.setIcon(0, icons.icon("pending"))
        elif state == "warn":
            item.setIcon(0, icons.icon("warning"))
        else:
            item.setIcon(0, icons.icon({"pdf": "pdf", "code": "code"}.get(doc.kind, "text")))

    # ------------------------------------------------------------------ ingest progress
    def ingest_started(self) -> None:
        self.status.start()

    def ingest_progress(self, p: Progress) -> None:
        self.status.update_progress(p)
        if p.path and p.stage in ("parse", "embed", "files"):
            done = self.status.file_fraction
            self._activity = {p.path: f"Indexing {round(done * 100)}%"}
            self._show_activity(p.path, self._activity[p.path])

    def ingest_finished(self, report: IngestReport | None) -> None:
        self._activity = {}
        self.status.finish(report)
        self.set_documents(self._docs)

    def _show_activity(self, path: str, text: str) -> None:
        item = self._items.get(path)
        if item is None:  # a new file: not in the library until its first transaction
            item = QTreeWidgetItem(self.tree)
            item.setText(0, Path(path).name)
            item.setData(0, PATH_ROLE, path)
            item.setIcon(0, icons.icon("pending"))
            self._items[path] = item
            self.stack.setCurrentIndex(1)
        item.setData(0, SUBTITLE_ROLE, text)
        item.setData(0, STATE_ROLE, "busy")

    # ------------------------------------------------------------------ selection and actions
    def selected_paths(self) -> list[str]:
        return [it.data(0, PATH_ROLE) for it in self.tree.selectedItems() if it.data(0, PATH_ROLE)]

    def _on_selection_changed(self) -> None:
        self.selectionChanged.emit(self.selected_paths())

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        doc = item.data(0, DOC_ROLE)
        if isinstance(doc, DocumentInfo):
            self.openRequested.emit(doc)

    def _on_filter_changed(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            any_child = False
            for j in range(top.childCount()):
                child = top.child(j)
                hit = not needle or needle in child.text(0).lower()
                child.setHidden(not hit)
                any_child |= hit
            top.setHidden(bool(needle) and not (needle in top.text(0).lower() or any_child))

    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        paths = self.selected_paths() or [item.data(0, PATH_ROLE)]
        doc = item.data(0, DOC_ROLE)
        menu = QMenu(self)
        if isinstance(doc, DocumentInfo):
            menu.addAction(icons.icon("pdf" if doc.kind == "pdf" else "text"), "Open",
                           lambda: self.openRequested.emit(doc))
        menu.addAction(icons.icon("reindex"), "Re-index", lambda: self.reindexRequested.emit(paths))
        menu.addAction(icons.icon("reveal"), "Show in file manager", lambda: reveal(item.data(0, PATH_ROLE)))
        menu.addSeparator()
        remove = QAction(icons.icon("remove"), "Remove from library", menu)
        remove.triggered.connect(lambda: self.removeRequested.emit(paths))
        menu.addAction(remove)
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Delete and self.selected_paths():
            self.removeRequested.emit(self.selected_paths())
            return
        super().keyPressEvent(event)


def reveal(path: str) -> None:
    """Open the folder holding `path` in the platform's file manager."""
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    QDesktopServices.openUrl(QUrl.fromLocalFile(folder))
