"""The settings panel's "Effective context" page: measure how much context the model really uses.

Runs the engine's probe (needle-in-a-haystack) for the settings being edited, shows its progress, the heatmap and
the effective context, and offers the suggested cache budget. The budget goes into the dialog's budget editor, so
it is saved only when the reader applies the settings.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from engine import Settings, SettingsError

from ..qt import (QHBoxLayout, QLabel, QPalette, QPixmap, QProgressBar, QPushButton, QScrollArea, QSizePolicy, Qt,
                  QVBoxLayout, QWidget, Signal)
from . import style

if TYPE_CHECKING:
    from ..controllers.probe import ProbeController

INTRO = ("A model's effective context is often much shorter than its context window. This measures it for the "
         "settings on the Model page: the model is asked to find numbers hidden at different depths of generated "
         "documents of growing length. The effective context is the longest length at which it still answers at "
         "least 85% as well as at the shortest one. On a CPU this takes a few minutes; Cancel keeps what is done, "
         "and the next run goes on from there.")


class ProbePanel(QWidget):
    """Signals:
        useBudget(int): the reader chose the suggested cache budget (tokens).
    """

    useBudget = Signal(int)

    def __init__(self, controller: "ProbeController", current: Callable[[], Settings], parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._current = current
        self.result = None
        self._cancelled = False  # the last run was cancelled: its message stays over the partial result

        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.run_button = QPushButton("Measure effective context…")
        self.run_button.setToolTip("Run the probe now for the settings being edited (they need not be applied)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current trial; finished trials are kept")
        self.cancel_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.use_button = QPushButton()
        self.use_button.setToolTip("Put the suggested budget in the Cache budget setting (saved with Apply)")
        self.use_button.hide()
        self.heatmap = QLabel()
        self.heatmap.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.heatmap.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.heatmap)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 14, 16, 14)
        lay.addWidget(intro)
        lay.addLayout(buttons)
        lay.addWidget(self.bar)
        lay.addWidget(self.status)
        lay.addWidget(self.summary)
        lay.addWidget(self.use_button, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(scroll, 1)

        self.run_button.clicked.connect(self._on_run)
        self.cancel_button.clicked.connect(self.controller.stop)
        self.use_button.clicked.connect(self._on_use)
        controller.progress.connect(self._on_progress)
        controller.resultReady.connect(self._on_result)
        controller.savedFound.connect(self._on_saved)
        controller.cancelled.connect(self._on_cancelled)
        controller.error.connect(self._on_error)
        controller.runningChanged.connect(self._on_running)

    # ------------------------------------------------------------------ actions
    def refresh(self) -> None:
        """Show the saved result for the settings being edited, if there is one."""
        try:
            self.controller.look_up(self._current())
        except SettingsError:
            self._on_saved(None)

    def stop(self) -> None:
        self.controller.stop()

    def _on_run(self) -> None:
        try:
            settings = self._current()
        except SettingsError as exc:
            self._say(str(exc), error=True)
            return
        self._cancelled = False
        self._say("Loading the model…")
        self.bar.setRange(0, 0)
        self.bar.show()
        self.controller.start(settings)

    def _on_use(self) -> None:
        if self.result is not None and self.result.suggested_budget:
            self.useBudget.emit(int(self.result.suggested_budget))
            self._say(f"Cache budget set to {self.result.suggested_budget:,} tokens; Apply saves it.")

    # ------------------------------------------------------------------ controller signals
    def _on_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if not running:
            self.bar.hide()

    def _on_progress(self, p) -> None:
        if getattr(p, "stage", "") != "probe":
            return
        self.bar.setRange(0, max(1, p.total))
        self.bar.setValue(p.done)
        self.bar.setFormat("%v of %m trials")
        self._say(p.message.split(" trials", 1)[-1].lstrip(" ·") if p.message else "")

    def _on_result(self, result) -> None:
        self._say("Measured.")
        self._show(result)

    def _on_saved(self, result) -> None:
        if self.controller.running:
            return
        if result is None:
            self.result = None
            self.summary.setText("Not measured for these settings yet.")
            self.use_button.hide()
            self.heatmap.clear()
        else:
            if result.complete:
                self._say(f"Measured on {result.created[:10]}." if result.created else "")
            elif not self._cancelled:  # after a cancel, its own message says more than the partial result's date
                self._say("Partly measured; measuring again goes on from there.")
            self._show(result)

    def _on_cancelled(self) -> None:
        self._cancelled = True
        self._say("Cancelled. Finished trials are kept; measuring again goes on from there.")

    def _on_error(self, message: str) -> None:
        self._say(message, error=True)

    # ------------------------------------------------------------------ display
    def _show(self, result) -> None:
        self.result = result
        eff, budget = result.effective_context, result.suggested_budget
        by_length = ", ".join(f"{n:,}: {a:.0%}" for n, a in result.by_length().items())
        if eff:
            more = " or more (every length measured held up)" if result.effective_is_lower_bound else ""
            head = f"<b>Effective context: {eff:,} tokens{more}</b>"
        else:
            head = "<b>Effective context: none</b> — the model misses the hidden numbers even in short documents"
        partial = "" if result.complete else " (interrupted: measure again to finish)"
        self.summary.setText(f"{head}{partial}<br>Accuracy by length: {by_length}.")
        if budget:
            self.use_button.setText(f"Use {budget:,} tokens as the cache budget")
            self.use_button.show()
        else:
            self.use_button.hide()
        pix = QPixmap(result.png_path) if result.png_path else QPixmap()
        if pix.isNull():
            self.heatmap.clear()
        else:
            self.heatmap.setPixmap(pix)

    def _say(self, text: str, error: bool = False) -> None:
        pal = self.status.palette()
        pal.setColor(QPalette.ColorRole.WindowText, style.error_color(pal) if error else style.secondary_color(pal))
        self.status.setPalette(pal)
        self.status.setText(text)
