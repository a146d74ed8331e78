"""Editors generated from `Settings.describe()`: one widget per setting, typed, ranged, with its help as tooltip.

napari-style: the settings model carries the title, description, choices and bounds, and the UI is built from it, so
a new setting appears in the panel without GUI code.
"""
from __future__ import annotations

import math
from typing import Any

from ..qt import (QCheckBox, QColor, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QObject, QPainter,
                  QPalette, QPen, QSizePolicy, QSlider, QSpinBox, QStyle, Qt, QWidget, Signal)
from . import style

INT_LIMIT = 2**31 - 1
EDITOR_WIDTH = 230  # one width for combo and spin boxes, so the form reads as a column
# Values with a meaning of their own, shown as words in the spin box.
SPECIAL_VALUES = {
    "llm.n_threads": "Automatic (physical cores)",
    "llm.n_gpu_layers": "All layers",
    "llm.rope_freq_base": "The model's own",
    "llm.disk_cache_mb": "Off",
    "llm.memory_cache_entries": "Off",
    "llm.effective_context": "Not measured",
    "retrieval.neighbours": "None",
    "llm.history_turns": "None (each question alone)",
}
CHOICE_LABELS = {
    "f16": "f16 — full precision", "q8_0": "q8_0 — half the memory", "q4_0": "q4_0 — a quarter of the memory",
    "auto": "Automatic", "none": "None", "linear": "Linear", "yarn": "YaRN", "on": "On", "off": "Off",
    "llama": "Local GGUF (llama.cpp)", "openai": "OpenAI-compatible server", "torch": "PyTorch",
    "openvino": "OpenVINO", "onnx": "ONNX Runtime",
}


class FieldEditor(QObject):
    """One setting's editor.

    Signals:
        changed(str): the value was edited (carries the dotted setting name).
    """

    changed = Signal(str)

    def __init__(self, meta: dict, widget: QWidget, parent: QObject | None = None):
        super().__init__(parent)
        self.meta = meta
        self.name: str = meta["name"]
        self.widget = widget
        tip = meta.get("help", "")
        if "minimum" in meta or "maximum" in meta:
            lo, hi = meta.get("minimum"), meta.get("maximum")
            tip += f" ({'from ' + format(lo, ',') if lo is not None else ''}" \
                   f"{' ' if lo is not None and hi is not None else ''}{'up to ' + format(hi, ',') if hi is not None else ''})"
        widget.setToolTip(f"<b>{meta.get('title', self.name)}</b><br>{tip}<br><i>{self.name}</i>")
        self._connect()

    def _connect(self) -> None:
        w = self.widget
        emit = lambda *_: self.changed.emit(self.name)  # noqa: E731
        if isinstance(w, QCheckBox):
            w.toggled.connect(emit)
        elif isinstance(w, QComboBox):
            w.currentIndexChanged.connect(emit)
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.valueChanged.connect(emit)
        elif isinstance(w, QLineEdit):
            w.textChanged.connect(emit)
        elif hasattr(w, "valueChanged"):
            w.valueChanged.connect(emit)

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        if isinstance(w, QLineEdit):
            return w.text().strip()
        return w.value()

    def set_value(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            i = w.findData(value)
            w.setCurrentIndex(i if i >= 0 else 0)
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(float(value))
        elif isinstance(w, QLineEdit):
            w.setText(str(value))
        else:
            w.set_value(value)


def make_editor(meta: dict, parent: QWidget | None = None) -> FieldEditor:
    """The right widget for a setting's type, choices and bounds."""
    kind, name = meta.get("type"), meta["name"]
    lo, hi = meta.get("minimum"), meta.get("maximum")
    widget: QWidget
    if "choices" in meta:
        widget = QComboBox(parent)
        widget.setMinimumWidth(EDITOR_WIDTH)
        for choice in meta["choices"]:
            widget.addItem(CHOICE_LABELS.get(choice, choice), choice)
    elif kind == "bool":
        widget = QCheckBox(parent)
    elif kind == "int":
        widget = QSpinBox(parent)
        widget.setMinimumWidth(EDITOR_WIDTH)
        widget.setRange(int(lo) if lo is not None else -INT_LIMIT, int(hi) if hi is not None else INT_LIMIT)
        widget.setGroupSeparatorShown(True)
        if name in SPECIAL_VALUES:
            widget.setSpecialValueText(SPECIAL_VALUES[name])
    elif kind == "float":
        widget = QDoubleSpinBox(parent)
        widget.setMinimumWidth(EDITOR_WIDTH)
        widget.setDecimals(2)
        widget.setRange(float(lo) if lo is not None else -1e12, float(hi) if hi is not None else 1e12)
        widget.setSingleStep(0.1 if hi is not None and hi <= 10 else 1.0)
        if name in SPECIAL_VALUES:
            widget.setSpecialValueText(SPECIAL_VALUES[name])
    else:
        widget = QLineEdit(parent)
        widget.setMinimumWidth(260)
        if "key" in name:
            widget.setEchoMode(QLineEdit.EchoMode.Password)
    return FieldEditor(meta, widget, parent)


class ContextSlider(QSlider):
    """A log-scale slider (powers of two) for n_ctx, with the model's trained context marked on the groove."""

    LOW, HIGH = 9, 20  # 512 … 1,048,576 tokens

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setRange(self.LOW * 4, self.HIGH * 4)  # quarter steps of log2
        self.trained: int | None = None
        self.setMinimumWidth(180)

    def set_tokens(self, n: int) -> None:
        self.blockSignals(True)
        self.setValue(round(math.log2(max(2 ** self.LOW, n)) * 4))
        self.blockSignals(False)

    def tokens(self) -> int:
        n = 2 ** (self.value() / 4)
        return int(round(n / 256) * 256)

    def set_trained(self, trained: int | None) -> None:
        self.trained = trained
        self.update()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self.trained:
            return
        pos = math.log2(self.trained) * 4
        span = self.maximum() - self.minimum()
        handle = self.style().pixelMetric(QStyle.PixelMetric.PM_SliderLength, None, self)
        x = handle / 2 + (pos - self.minimum()) / span * (self.width() - handle)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        pen = QPen(colour)
        pen.setWidthF(2)
        painter.setPen(pen)
        painter.drawLine(round(x), 1, round(x), 6)
        painter.drawLine(round(x), self.height() - 6, round(x), self.height() - 1)


class ContextLengthEditor(QWidget):
    """n_ctx: an exact spin box and a log-scale slider with the trained context marked.

    Signals:
        valueChanged(int): the context length changed.
    """

    valueChanged = Signal(int)

    def __init__(self, meta: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.spin = QSpinBox()
        self.spin.setRange(int(meta.get("minimum", 512)), int(meta.get("maximum", 1_048_576)))
        self.spin.setSingleStep(1024)
        self.spin.setGroupSeparatorShown(True)
        self.spin.setSuffix(" tokens")
        self.spin.setMinimumWidth(EDITOR_WIDTH)
        self.slider = ContextSlider()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.spin)
        lay.addWidget(self.slider, 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.spin.valueChanged.connect(self._on_spin)
        self.slider.valueChanged.connect(self._on_slider)

    def value(self) -> int:
        return self.spin.value()

    def set_value(self, value: int) -> None:
        self.spin.setValue(int(value))

    def set_trained(self, trained: int | None) -> None:
        self.slider.set_trained(trained)

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt's name
        super().setToolTip(tip)
        self.spin.setToolTip(tip)
        self.slider.setToolTip(tip)

    def _on_spin(self, n: int) -> None:
        self.slider.set_tokens(n)
        self.valueChanged.emit(n)

    def _on_slider(self, _pos: int) -> None:
        self.spin.setValue(max(self.spin.minimum(), self.slider.tokens()))


def rope_plan(n_ctx: int, trained: int | None, mode: str) -> tuple[str, bool]:
    """What RoPE scaling the engine will use (its `auto` rule), and whether that is a warning.

    Mirrors the engine's documented rule: auto → YaRN with factor n_ctx / trained when n_ctx exceeds the trained
    context, otherwise none.
    """
    if not trained:
        return "The model's trained context is not known yet.", False
    factor = n_ctx / trained
    within = n_ctx <= trained
    if mode == "auto":
        if within:
            return f"Within the trained {trained:,} tokens: no RoPE scaling.", False
        # Scaling applies to every prompt, short ones too: small models measured broken at x4 (docs/probe.md).
        return (f"Past the trained {trained:,} tokens: YaRN scaling ×{factor:.2g} will be used. Stretching "
                "changes answers even for short prompts; measure it on the Effective context tab first.",
                factor > 2)
    if mode == "none":
        if within:
            return f"Within the trained {trained:,} tokens: no RoPE scaling.", False
        return (f"Past the trained {trained:,} tokens without RoPE scaling: answers will degrade. "
                f"Choose Automatic or YaRN.", True)
    label = {"linear": "Linear", "yarn": "YaRN"}.get(mode, mode)
    if within:
        return f"{label} scaling forced although {n_ctx:,} is within the trained {trained:,} tokens.", False
    return (f"{label} scaling ×{factor:.2g} past the trained {trained:,} tokens; measure it on the Effective "
            "context tab first.", factor > 2)


def note_label(parent: QWidget | None = None) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.WindowText, style.secondary_color(pal))
    label.setPalette(pal)
    return label
