"""The first-start welcome: what an empty library shows in the reader's place, until the first document arrives.

A new user meets two questions before any other: what can I give it, and why are the answers so plain? The
library sidebar already offers the drop target; this note says what to drop and where a bigger model is chosen.
"""
from __future__ import annotations

from .. import icons
from ..qt import (QHBoxLayout, QLabel, QPalette, QPushButton, QSizePolicy, Qt, QVBoxLayout, QWidget,
                  Signal)


class FirstStartNote(QWidget):
    """A short welcome for an empty library.

    Signals:
        modelSettingsRequested(): the reader clicked "Choose a model…" (open Settings → Model).
    """

    modelSettingsRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("firstStartNote")
        # Word-wrapped labels get their height from the width they are given, so the column has a width of its own
        # (up to 560 px, centred by the stretches) instead of centring each label at its preferred size.
        column = QWidget()
        column.setMaximumWidth(560)
        column.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(24, 0, 24, 0)
        outer.addStretch(1)
        outer.addWidget(column, 10)
        outer.addStretch(1)
        lay = QVBoxLayout(column)
        lay.setContentsMargins(0, 0, 0, 0)
        pic = QLabel()
        pic.setPixmap(icons.app_icon().pixmap(72, 72))
        pic.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel("Welcome to Lectern")
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setWeight(f.Weight.DemiBold)
        self.title.setFont(f)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_text = QLabel(
            "Drop PDFs or a folder of code anywhere on this window, or use Add files… and Add folder… on the "
            "left. Lectern indexes them on this computer; then ask a question on the right, and click a "
            "citation like [1] to see the quoted words on the page.")
        self.model_text = QLabel(
            "Answers come from a small built-in model, so they are short and plain. For better answers pick a "
            "bigger GGUF model in Settings → Model: it lists the GGUF files found on this computer, or "
            "browse to one.")
        for label in (self.drop_text, self.model_text):
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.model_button = QPushButton(icons.icon("settings"), "Choose a model…")
        self.model_button.setToolTip("Settings → Model: the GGUF models found on this computer")
        self.model_button.clicked.connect(self.modelSettingsRequested)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.model_button)
        button_row.addStretch(1)
        lay.addWidget(pic)
        lay.addSpacing(8)
        lay.addWidget(self.title)
        lay.addSpacing(6)
        for label in (self.drop_text, self.model_text):
            lay.addWidget(label)
            lay.addSpacing(6)
        lay.addLayout(button_row)
