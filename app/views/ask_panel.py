"""The ask panel: scope, question box, the streamed answer with clickable [n] markers, sources, and what was read."""
from __future__ import annotations

from pathlib import Path

from engine import Source, SourcesEvent

from .. import icons
from ..controllers.ask import AskController, citation_for
from engine import Turn
from ..qt import (QAbstractItemView, QApplication, QComboBox, QHBoxLayout, QHeaderView, QKeyEvent, QLabel,
                  QPalette, QPlainTextEdit, QPushButton, QSplitter, Qt, QTextBrowser, QTimer, QToolButton,
                  QTreeWidget, QTreeWidgetItem, QUrl, QVBoxLayout, QWidget, Signal)
from . import answer_format as fmt

SCOPE_LIBRARY, SCOPE_DOCUMENT, SCOPE_SELECTION = "library", "document", "selection"


class QuestionEdit(QPlainTextEdit):
    """A question box: Enter asks, Shift+Enter starts a new line.

    Signals:
        submitted(): Enter was pressed.
    """

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(False)
        self.setTabChangesFocus(True)
        self.setPlaceholderText("Ask a question about your documents…")
        lines = 3
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 16)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class AskPanel(QWidget):
    """Signals:
        targetActivated(object): a `Citation` or `Source` the reader should show (from a [n] or a source).
    """

    targetActivated = Signal(object)

    def __init__(self, controller: AskController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._open_path: str | None = None
        self._selection: list[str] = []
        self._live: Turn | None = None
        self._shown: Turn | None = None  # the turn whose sources and context are listed
        self._failed_note = ""  # a refusal before any turn started (the engine cannot answer at all)
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(60)  # tokens arrive faster than anyone reads; repaint at ~16 fps
        self._render_timer.timeout.connect(self.render)

        title = QLabel("Ask")
        f = title.font()
        f.setWeight(f.Weight.DemiBold)
        title.setFont(f)
        self.scope = QComboBox()
        self.scope.setToolTip("What the answer may draw on: the document open in the reader, the documents selected "
                              "in the library, or the whole library")
        self.scope.addItem(icons.icon("library"), "Whole library", SCOPE_LIBRARY)
        self.scope.addItem(icons.icon("pdf"), "Open document", SCOPE_DOCUMENT)
        self.scope.addItem(icons.icon("folder"), "Selected documents", SCOPE_SELECTION)
        self.scope.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.new_button = self._tool("new-chat", "Start a new conversation (follow-ups no longer see earlier "
                                                 "questions)")
        self.new_button.clicked.connect(self._on_new_conversation)
        self.copy_button = self._tool("copy", "Copy the last answer as Markdown, with its citations")
        self.copy_button.clicked.connect(self.copy_answer)
        header = QHBoxLayout()
        header.setContentsMargins(10, 8, 6, 4)
        header.addWidget(title)
        header.addSpacing(6)
        header.addWidget(self.scope)
        header.addStretch(1)
        header.addWidget(self.new_button)
        header.addWidget(self.copy_button)

        self.transcript = QTextBrowser()
        self.transcript.setOpenLinks(False)
        self.transcript.setAcceptDrops(False)
        self.transcript.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.transcript.anchorClicked.connect(self._on_anchor)
        self.transcript.document().setDocumentMargin(10)

        self.sources = QTreeWidget()
        self.sources.setColumnCount(3)
        self.sources.setHeaderLabels(["Source", "Where", "Score"])
        self.sources.setRootIsDecorated(False)
        self.sources.setFrameShape(QTreeWidget.Shape.NoFrame)
        self.sources.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sources.setToolTip("The passages the model read for this answer; click one to open it")
        self.sources.header().setStretchLastSection(False)
        self.sources.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.sources.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.sources.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.sources.itemClicked.connect(self._on_source_clicked)
        self.sources_label = QLabel("Sources")
        self.sources_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.sources_box = sources_box = QWidget()
        sl = QVBoxLayout(sources_box)
        sl.setContentsMargins(10, 4, 6, 0)
        sl.setSpacing(2)
        sl.addWidget(self.sources_label)
        sl.addWidget(self.sources)

        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.transcript)
        self.split.addWidget(sources_box)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([520, 110])
        self.split.setChildrenCollapsible(False)

        self.context = QLabel()
        self.context.setWordWrap(True)
        self.context.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.context.setToolTip("How much of the model's context this answer used, whether documents were read in "
                                "full or passages retrieved, and whether a cached reading was reused")

        self.question = QuestionEdit()
        self.question.submitted.connect(self.ask)
        self.ask_button = QPushButton(self._button_icon("send"), "Ask")
        self.ask_button.setToolTip("Ask (Enter)")
        self.ask_button.setDefault(True)
        self.ask_button.clicked.connect(self._on_ask_button)
        self.ask_button.setMinimumWidth(84)
        self.ask_button.setObjectName("primary")
        # The one primary action in the window: drawn in the palette's accent colour (light and dark alike).
        self.ask_button.setStyleSheet(
            "QPushButton#primary { background: palette(highlight); color: palette(highlighted-text); border: none;"
            " border-radius: 5px; padding: 7px 14px; font-weight: 600; }"
            "QPushButton#primary:hover { background: palette(link); }"
            "QPushButton#primary:disabled { background: palette(mid); }")
        row = QHBoxLayout()
        row.setContentsMargins(10, 0, 10, 0)
        row.addWidget(self.question, 1)
        row.addWidget(self.ask_button, 0, Qt.AlignmentFlag.AlignBottom)
        hint = QLabel("Enter asks · Shift+Enter new line · Esc stops")
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        f = hint.font()
        f.setPointSizeF(f.pointSizeF() * 0.9)
        hint.setFont(f)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 8)
        lay.setSpacing(6)
        lay.addLayout(header)
        lay.addWidget(self.split, 1)
        ctx_row = QHBoxLayout()
        ctx_row.setContentsMargins(10, 0, 10, 0)
        ctx_row.addWidget(self.context)
        lay.addLayout(ctx_row)
        lay.addLayout(row)
        hint_row = QHBoxLayout()
        hint_row.setContentsMargins(12, 0, 10, 0)
        hint_row.addWidget(hint)
        lay.addLayout(hint_row)

        c = controller
        c.started.connect(self._on_started)
        c.sourcesReady.connect(self._on_sources)
        c.token.connect(self._on_token)
        c.citation.connect(self._on_token)
        c.answered.connect(self._on_answered)
        c.stopped.connect(self._on_stopped)
        c.failed.connect(self._on_failed)
        c.busyChanged.connect(self._on_busy)
        self.set_open_document(None)
        self._fill_sources(None)
        self.render()

    def _button_icon(self, name: str):
        return icons.icon(name, self.palette().color(QPalette.ColorRole.HighlightedText))

    def _tool(self, name: str, tip: str) -> QToolButton:
        b = QToolButton()
        b.setIcon(icons.icon(name))
        b.setToolTip(tip)
        b.setAutoRaise(True)
        return b

    # ------------------------------------------------------------------ scope
    def set_open_document(self, path: str | None) -> None:
        self._open_path = path
        i = self.scope.findData(SCOPE_DOCUMENT)
        self.scope.setItemText(i, f"This document: {Path(path).name}" if path else "Open document")
        if path and self.scope.currentData() == SCOPE_LIBRARY and not self.controller.turns:
            self.scope.setCurrentIndex(i)  # reading one document, the first question is usually about it

    def set_selection(self, paths: list[str]) -> None:
        self._selection = list(paths)
        i = self.scope.findData(SCOPE_SELECTION)
        n = len(paths)
        self.scope.setItemText(i, f"Selected documents ({n})" if n else "Selected documents")

    def scope_docs(self) -> tuple[list[str] | None, str]:
        """The `docs=` for the engine and a label, from the scope chosen (falling back to the whole library)."""
        mode = self.scope.currentData()
        if mode == SCOPE_DOCUMENT and self._open_path:
            return [self._open_path], Path(self._open_path).name
        if mode == SCOPE_SELECTION and self._selection:
            return list(self._selection), f"{len(self._selection)} selected"
        return None, "whole library"

    # ------------------------------------------------------------------ asking
    def focus_question(self) -> None:
        self.question.setFocus()
        self.question.selectAll()

    def ask(self) -> None:
        text = self.question.toPlainText().strip()
        if not text or self.controller.busy:
            return
        docs, label = self.scope_docs()
        if self.controller.ask(text, docs, scope=label):
            self.question.clear()

    def _on_ask_button(self) -> None:
        if self.controller.busy:
            self.controller.stop()
        else:
            self.ask()

    def stop(self) -> None:
        self.controller.stop()

    def _on_busy(self, busy: bool) -> None:
        self.ask_button.setText("Stop" if busy else "Ask")
        self.ask_button.setIcon(self._button_icon("stop" if busy else "send"))
        self.ask_button.setToolTip("Stop generating (Esc)" if busy else "Ask (Enter)")
        self.new_button.setEnabled(not busy)
        self.scope.setEnabled(not busy)

    def _on_started(self, turn: Turn) -> None:
        self._live = turn
        self._shown = turn
        self._fill_sources(turn)
        self.render()

    def _on_sources(self, event: SourcesEvent) -> None:
        if self._live is not None:
            self._fill_sources(self._live)
        self._schedule_render()

    def _on_token(self, *_args) -> None:
        self._schedule_render()

    def _on_answered(self, turn: Turn) -> None:
        self._live = None
        self._shown = turn
        self._fill_sources(turn)
        self.render()

    def _on_stopped(self, turn: Turn) -> None:
        self._live = None
        self._shown = turn
        self.render()

    def _on_failed(self, message: str) -> None:
        live = self._live
        self._live = None
        if live is None:  # it never started (no engine support): show the message as a turn of its own
            self._failed_note = message
        self.render()

    def _on_new_conversation(self) -> None:
        self.controller.new_conversation()
        self._shown = None
        self._fill_sources(None)
        self.render()

    def _schedule_render(self) -> None:
        if not self._render_timer.isActive():
            self._render_timer.start()

    # ------------------------------------------------------------------ transcript
    def turns(self) -> list[Turn]:
        """The turns shown: the conversation so far and the one being answered."""
        turns = list(self.controller.turns)
        if self._live is not None and not any(t is self._live for t in turns):
            turns.append(self._live)
        return turns

    def render(self) -> None:
        colours = fmt.Colours.from_palette(self.palette())
        turns = self.turns()
        bar = self.transcript.verticalScrollBar()
        position = bar.value()
        at_bottom = position >= bar.maximum() - 4
        if not turns:
            html = fmt.welcome_html(colours)
        else:
            html = "".join(fmt.turn_html(t, i, colours, streaming=t is self._live) +
                           "<p style='margin:0px'>&nbsp;</p>" for i, t in enumerate(turns))
        if self._failed_note:
            html += (f"<table width='100%' cellpadding='10'><tr><td style='background-color:{colours.error_bg}'>"
                     f"{fmt.html.escape(self._failed_note)}</td></tr></table>")
            self._failed_note = ""
        self.transcript.setHtml(html)
        # Follow the answer as it grows, unless the reader scrolled up to read something else.
        bar.setValue(bar.maximum() if at_bottom else position)
        shown = self._shown or (turns[-1] if turns else None)
        self.context.setText(fmt.context_line(shown) if shown is not None else "")
        self.context.setVisible(bool(self.context.text()))
        self.copy_button.setEnabled(any(t.answer.strip() for t in turns))

    def _fill_sources(self, turn: Turn | None) -> None:
        self.sources.clear()
        self.sources_box.setVisible(turn is not None and bool(turn.sources))
        if turn is None:
            self.sources_label.setText("Sources")
            return
        for s in turn.sources:
            item = QTreeWidgetItem([f"{s.rank}. {Path(s.path).name}", fmt.where(s).split(", ", 1)[-1]
                                    if (s.page or s.lines) else "", f"{s.score:.2f}"])
            item.setToolTip(0, f"{s.path}\n\n{' '.join(s.text.split())[:400]}")
            item.setData(0, Qt.ItemDataRole.UserRole, s)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight)
            self.sources.addTopLevelItem(item)
        n = len(turn.sources)
        self.sources_label.setText(f"Sources · {n} passage{'s' if n != 1 else ''} read" if n else "Sources")

    # ------------------------------------------------------------------ clicks
    def _on_anchor(self, url: QUrl) -> None:
        kind, _, rest = url.toString().partition(":")
        try:
            turn_s, n_s = rest.split(":")
            turn, n = int(turn_s), int(n_s)
        except ValueError:
            return
        turns = self.turns()
        if not 0 <= turn < len(turns):
            return
        t = turns[turn]
        if self._shown is not t:
            self._shown = t
            self._fill_sources(t)
            self.context.setText(fmt.context_line(t))
        target = citation_for(t, n) if kind == "cite" else next((s for s in t.sources if s.rank == n), None)
        if target is not None:
            self.targetActivated.emit(target)

    def _on_source_clicked(self, item: QTreeWidgetItem, _col: int) -> None:
        src = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(src, Source):
            self.targetActivated.emit(src)

    def activate_citation(self, turn: int, n: int) -> None:
        """Click marker [n] of a turn programmatically (tests, scripts)."""
        self._on_anchor(QUrl(f"cite:{turn}:{n}"))

    def copy_answer(self) -> str:
        turns = [t for t in self.turns() if t.answer.strip() or t.abstained]
        if not turns:
            return ""
        text = fmt.turn_markdown(turns[-1])
        QApplication.clipboard().setText(text)
        return text

