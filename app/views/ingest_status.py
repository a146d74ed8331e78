"""The ingest strip under the library: progress for the current file and overall, a cancel button, and afterwards a
list of what could not be added, in words."""
from __future__ import annotations

from pathlib import Path

from engine import IngestReport, Progress

from .. import icons
from ..qt import (QFrame, QHBoxLayout, QLabel, QPalette, QProgressBar, QPushButton, Qt, QToolButton, QVBoxLayout,
                  QWidget, Signal)
from .style import error_background, secondary_color

MAX_LISTED_PROBLEMS = 8


class IngestStatus(QFrame):
    """Signals:
        cancelRequested(): the reader pressed Cancel.
    """

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.file_fraction = 0.0

        self.title = QLabel()
        self.title.setWordWrap(False)
        self.detail = QLabel()
        self.detail.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.file_bar = QProgressBar()
        self.file_bar.setTextVisible(False)
        self.file_bar.setMaximumHeight(6)
        self.overall_bar = QProgressBar()
        self.overall_bar.setTextVisible(False)
        self.overall_bar.setMaximumHeight(6)
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop adding files; a half-read file is finished on the next ingest.")
        self.cancel.clicked.connect(self._on_cancel)

        self.progress = QWidget()
        pl = QVBoxLayout(self.progress)
        pl.setContentsMargins(10, 6, 10, 6)
        pl.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.cancel)
        pl.addLayout(top)
        pl.addWidget(self.file_bar)
        pl.addWidget(self.detail)
        pl.addWidget(self.overall_bar)

        self.problems = QFrame()
        self.problems.setObjectName("ingestProblems")
        self.problems.setAutoFillBackground(True)
        pal = self.problems.palette()
        pal.setColor(QPalette.ColorRole.Window, error_background(pal))
        self.problems.setPalette(pal)
        self.problem_text = QLabel()
        self.problem_text.setWordWrap(True)
        self.problem_text.setTextFormat(Qt.TextFormat.RichText)
        self.problem_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dismiss = QToolButton()
        dismiss.setIcon(icons.icon("close"))
        dismiss.setAutoRaise(True)
        dismiss.setToolTip("Dismiss")
        dismiss.clicked.connect(self.problems.hide)
        ql = QHBoxLayout(self.problems)
        ql.setContentsMargins(10, 8, 4, 8)
        ql.addWidget(self.problem_text, 1)
        ql.addWidget(dismiss, 0, Qt.AlignmentFlag.AlignTop)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 0, 6, 0)
        lay.setSpacing(4)
        lay.addWidget(self.problems)
        lay.addWidget(self.progress)
        self.progress.hide()
        self.problems.hide()
        self.hide()

    # ------------------------------------------------------------------ states
    def start(self) -> None:
        self.problems.hide()
        self.progress.show()
        self.show()
        self.cancel.setEnabled(True)
        self.cancel.setText("Cancel")
        self.title.setText("Adding to your library…")
        self.detail.setText("Looking for files…")
        self.file_bar.setRange(0, 0)  # busy until the first numbers arrive
        self.overall_bar.setRange(0, 0)
        self.file_fraction = 0.0

    def update_progress(self, p: Progress) -> None:
        if p.stage == "scan":
            self.detail.setText(f"Looking for files… {p.done:,} found" if p.done else "Looking for files…")
        elif p.stage == "load":
            self.detail.setText(p.message or "Loading the embedding model…")
        elif p.stage == "files":
            self.overall_bar.setRange(0, max(1, p.total))
            self.overall_bar.setValue(p.done)
            self.file_fraction = 0.0
            self.file_bar.setRange(0, 100)
            self.file_bar.setValue(0)
            if p.path:
                self.title.setText(f"Indexing {Path(p.path).name}")
                self.title.setToolTip(p.path)
            if p.total:
                self.detail.setText(f"File {min(p.done + 1, p.total):,} of {p.total:,}")
        elif p.stage in ("parse", "embed") and p.total:
            # Reading pages is roughly the first half of a file's work, embedding its chunks the second.
            part = p.done / p.total
            self.file_fraction = part * 0.5 if p.stage == "parse" else 0.5 + part * 0.5
            self.file_bar.setRange(0, 100)
            self.file_bar.setValue(round(self.file_fraction * 100))
            what = "Reading page" if p.stage == "parse" else "Embedding passage"
            overall = f"File {self.overall_bar.value() + 1:,} of {self.overall_bar.maximum():,} · " \
                if self.overall_bar.maximum() > 1 else ""
            self.detail.setText(f"{overall}{what} {p.done:,} of {p.total:,}")

    def _on_cancel(self) -> None:
        self.cancel.setEnabled(False)
        self.cancel.setText("Stopping…")
        self.cancelRequested.emit()

    def finish(self, report: IngestReport | None) -> None:
        self.progress.hide()
        problems = [f for f in (report.files if report else []) if f.status in ("failed", "skipped")]
        lines = []
        if report is not None and report.cancelled:
            lines.append("<b>Stopped.</b> Files not yet read were left out; add them again to finish.")
        if problems:
            n = len(problems)
            lines.append(f"<b>{n} file{'s' if n != 1 else ''} could not be added:</b>")
            colour = secondary_color(self.palette()).name()
            for f in problems[:MAX_LISTED_PROBLEMS]:
                lines.append(f"• {_esc(Path(f.path).name)} <span style='color:{colour}'>— "
                             f"{_esc(f.message or f.status)}</span>")
            if n > MAX_LISTED_PROBLEMS:
                lines.append(f"…and {n - MAX_LISTED_PROBLEMS} more.")
        if lines:
            self.problem_text.setText("<br>".join(lines))
            self.problems.show()
            self.show()
        else:
            self.problems.hide()
            self.hide()

    @property
    def problem_summary(self) -> str:
        """The problem list as plain text (for tests and accessibility)."""
        return self.problem_text.text() if self.problems.isVisibleTo(self) else ""


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
