"""Code and text files: line numbers, syntax colour, cited line ranges highlighted, find-in-file.

The text is exactly what the engine read (`Engine.read_text`), so the line numbers here are the line numbers its
citations name. Markdown is shown as highlighted source rather than rendered, for the same reason.
"""
from __future__ import annotations

from ..qt import (QColor, QFontDatabase, QPainter, QPalette, QPlainTextEdit, QRect, QSize, Qt, QTextCursor,
                  QTextEdit, QTextFormat, QWidget)
from . import style
from .highlighter import SyntaxHighlighter, language_for


class _LineNumbers(QWidget):
    def __init__(self, editor: "CodeView"):
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.line_number_width(), 0)

    def paintEvent(self, event) -> None:
        self.editor.paint_line_numbers(event)


class CodeView(QPlainTextEdit):
    """A read-only source view with a line-number gutter."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.path: str | None = None
        self.highlighter: SyntaxHighlighter | None = None
        self._gutter = _LineNumbers(self)
        self._cited: tuple[int, int] | None = None
        self._find: list[QTextCursor] = []
        self._find_current = -1
        self.blockCountChanged.connect(self._on_block_count_changed)
        self.updateRequest.connect(self._on_update_request)
        self._on_block_count_changed()

    # ------------------------------------------------------------------ content
    def set_text(self, path: str, text: str) -> None:
        self.path = path
        self._cited = None
        self._find, self._find_current = [], -1
        if self.highlighter is not None:
            self.highlighter.setDocument(None)
        self.setPlainText(text)
        lang = language_for(path)
        self.highlighter = SyntaxHighlighter(self.document(), lang) if lang else None
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth if lang in (None, "markdown")
                             else QPlainTextEdit.LineWrapMode.NoWrap)
        self._refresh_selections()
        self.moveCursor(QTextCursor.MoveOperation.Start)

    @property
    def line_count(self) -> int:
        return self.blockCount()

    # ------------------------------------------------------------------ cited lines
    def show_lines(self, start: int, end: int | None = None) -> None:
        """Select and highlight lines `start`..`end` (1-based, inclusive) and scroll them into view."""
        end = end or start
        start = max(1, min(start, self.blockCount()))
        end = max(start, min(end, self.blockCount()))
        self._cited = (start, end)
        cursor = QTextCursor(self.document().findBlockByNumber(start - 1))
        last = self.document().findBlockByNumber(end - 1)
        cursor.setPosition(last.position() + max(0, last.length() - 1), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self._refresh_selections()
        # Put the range a little below the top rather than wherever ensureCursorVisible leaves it.
        self.verticalScrollBar().setValue(max(0, start - 4))

    @property
    def cited_lines(self) -> tuple[int, int] | None:
        return self._cited

    def clear_citation(self) -> None:
        self._cited = None
        self._refresh_selections()

    # ------------------------------------------------------------------ find
    def find_all(self, query: str) -> int:
        """Highlight every occurrence of `query` (case-insensitive); returns how many there are."""
        self._find, self._find_current = [], -1
        if query:
            cursor = QTextCursor(self.document())
            while True:
                cursor = self.document().find(query, cursor)
                if cursor.isNull():
                    break
                self._find.append(QTextCursor(cursor))
        self._refresh_selections()
        return len(self._find)

    @property
    def find_count(self) -> int:
        return len(self._find)

    def find_step(self, forward: bool = True) -> int:
        """Move to the next (or previous) hit; returns its 0-based index or -1."""
        if not self._find:
            return -1
        self._find_current = (self._find_current + (1 if forward else -1)) % len(self._find)
        self.setTextCursor(self._find[self._find_current])
        self.centerCursor()
        self._refresh_selections()
        return self._find_current

    def _refresh_selections(self) -> None:
        selections = []
        pal = self.palette()
        if self._cited is not None:
            sel = QTextEdit.ExtraSelection()
            colour = QColor(style.CITATION_HIGHLIGHT)
            colour.setAlpha(90 if not style.is_dark(pal) else 70)
            sel.format.setBackground(colour)
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            for line in range(self._cited[0], self._cited[1] + 1):
                s = QTextEdit.ExtraSelection()
                s.format = sel.format
                s.cursor = QTextCursor(self.document().findBlockByNumber(line - 1))
                selections.append(s)
        for i, cur in enumerate(self._find):
            s = QTextEdit.ExtraSelection()
            s.format.setBackground(style.FIND_CURRENT if i == self._find_current else style.FIND_HIGHLIGHT)
            s.cursor = cur
            selections.append(s)
        self.setExtraSelections(selections)

    # ------------------------------------------------------------------ gutter
    def line_number_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return 16 + self.fontMetrics().horizontalAdvance("9") * digits

    def _on_block_count_changed(self, _count: int = 0) -> None:
        self.setViewportMargins(self.line_number_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.line_number_width(), cr.height()))

    def paint_line_numbers(self, event) -> None:
        painter = QPainter(self._gutter)
        pal = self.palette()
        painter.fillRect(event.rect(), style.blend(pal.color(QPalette.ColorRole.Base),
                                                   pal.color(QPalette.ColorRole.Text), 0.04))
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        width = self._gutter.width() - 8
        quiet, strong = style.secondary_color(pal), pal.color(QPalette.ColorRole.Text)
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                line = number + 1
                cited = self._cited is not None and self._cited[0] <= line <= self._cited[1]
                painter.setPen(strong if cited else quiet)
                painter.drawText(0, top, width, self.fontMetrics().height(), Qt.AlignmentFlag.AlignRight, str(line))
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1

