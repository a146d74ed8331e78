"""Find in the open document: a slim bar under the reader (Ctrl+F opens it, Esc closes it)."""
from __future__ import annotations

from .. import icons
from ..qt import QHBoxLayout, QKeyEvent, QLabel, QLineEdit, QPalette, Qt, QTimer, QToolButton, QWidget, Signal


class FindBar(QWidget):
    """Signals:
        searchChanged(str): the text to find changed (debounced while typing).
        nextRequested(): Enter or the down arrow.
        previousRequested(): Shift+Enter or the up arrow.
        closed(): Esc or the close button.
    """

    searchChanged = Signal(str)
    nextRequested = Signal()
    previousRequested = Signal()
    closed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Find in document")
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumWidth(220)
        self.edit.installEventFilter(self)
        self.count = QLabel()
        self.count.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.count.setMinimumWidth(90)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(lambda: self.searchChanged.emit(self.edit.text().strip()))
        self.edit.textChanged.connect(lambda _t: self._debounce.start())
        self.edit.returnPressed.connect(self._on_return)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.edit)
        for name, tip, sig in (("up", "Previous match (Shift+Enter)", self.previousRequested),
                               ("down", "Next match (Enter)", self.nextRequested)):
            b = QToolButton()
            b.setIcon(icons.icon(name))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(sig)
            lay.addWidget(b)
        lay.addWidget(self.count)
        lay.addStretch(1)
        close = QToolButton()
        close.setIcon(icons.icon("close"))
        close.setToolTip("Close (Esc)")
        close.setAutoRaise(True)
        close.clicked.connect(self.close_bar)
        lay.addWidget(close)

    def open_bar(self, text: str = "") -> None:
        self.show()
        if text:
            self.edit.setText(text)
        self.edit.setFocus()
        self.edit.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.closed.emit()

    def set_result(self, current: int, total: int, searching: bool = False) -> None:
        if searching:
            self.count.setText("Searching…")
        elif not self.edit.text().strip():
            self.count.setText("")
        elif total == 0:
            self.count.setText("No matches")
        else:
            self.count.setText(f"{current + 1 if current >= 0 else 0} of {total:,}")

    def _on_return(self) -> None:
        if self._debounce.isActive():  # Enter before the pause: search now, then step
            self._debounce.stop()
            self.searchChanged.emit(self.edit.text().strip())
            return
        shift = bool(self.edit.property("shift"))
        (self.previousRequested if shift else self.nextRequested).emit()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.edit and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.edit.setProperty("shift", bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        return super().eventFilter(obj, event)
