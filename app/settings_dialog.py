"""The settings panel: every library setting, built from `Settings.describe()`, with a live memory estimate.

The same settings file the CLI reads: Apply saves it through `Engine.save_settings` and, when the model settings
changed, loads the model with them in the background.
"""
from __future__ import annotations

from pathlib import Path

from engine import Settings, SettingsError

from . import icons
from .controllers.models import ModelReport, SettingsController
from .controllers.probe import ProbeController
from .qt import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QFrame, QHBoxLayout, QLabel,
                 QPalette, QScrollArea, QSizePolicy, QTabWidget, Qt, QTimer, QVBoxLayout, QWidget, Signal)
from .views import style
from .views.probe_panel import ProbePanel
from .views.settings_fields import ContextLengthEditor, FieldEditor, make_editor, note_label, rope_plan

TABS = (
    ("Model && context", ["llm.backend", "llm.model_path", "llm.base_url", "llm.api_key", "llm.remote_model",
                         "llm.request_timeout", "llm.n_ctx", "llm.rope_mode", "llm.rope_freq_base", "llm.type_k",
                         "llm.type_v", "llm.flash_attn", "llm.budget", "llm.n_gpu_layers", "llm.n_threads"]),
    ("Answering", ["llm.max_answer_tokens", "llm.temperature", "llm.seed", "llm.abstain", "llm.history_turns",
                   "llm.memory_cache_entries", "llm.disk_cache_mb", "llm.effective_context"]),
    ("Search", ["retrieval."]),
    ("Indexing", ["ingest.", "embedder."]),
)
REMOTE_ONLY = {"llm.base_url", "llm.api_key", "llm.remote_model", "llm.request_timeout"}
LOCAL_ONLY = {"llm.model_path", "llm.n_ctx", "llm.rope_mode", "llm.rope_freq_base", "llm.type_k", "llm.type_v",
              "llm.flash_attn", "llm.n_gpu_layers", "llm.n_threads"}
BROWSE = "\x00browse"
SECTIONS = {"llm.backend": "Model", "llm.n_ctx": "Context and KV cache", "llm.n_gpu_layers": "Hardware",
            "llm.max_answer_tokens": "Generation", "llm.history_turns": "Follow-up questions",
            "ingest.chunk_tokens": "Reading files", "embedder.model_path": "Embedding model"}
NO_GPU = ("This build of llama-cpp-python cannot offload to a GPU. Reinstall it with GPU support, e.g. "
          "CMAKE_ARGS=\"-DGGML_CUDA=on\" (or -DGGML_METAL=on, -DGGML_VULKAN=on) pip install llama-cpp-python.")


class ModelPicker(QWidget):
    """The packaged default, the GGUF files found on this machine, and Browse…

    Signals: valueChanged(str): the model path ("" = the packaged default).
    """

    valueChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(28)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.addItem(icons.icon("check"), "Packaged default: SmolLM2-135M-Instruct", "")
        self.combo.addItem("Browse for a GGUF file…", BROWSE)
        self._last = ""
        self.combo.activated.connect(self._on_activated)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.combo, 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_models(self, models: list) -> None:
        current = self.value()
        self.combo.blockSignals(True)
        while self.combo.count() > 2:
            self.combo.removeItem(1)
        for m in models:
            if getattr(m, "source", "") == "packaged":
                continue
            size = getattr(m, "size", 0)
            label = f"{m.name} — {size / 1e9:.1f} GB · {getattr(m, 'source', '')}".rstrip(" ·")
            self.combo.insertItem(self.combo.count() - 1, label, str(m.path))
            self.combo.setItemData(self.combo.count() - 2, str(m.path), Qt.ItemDataRole.ToolTipRole)
        self.combo.blockSignals(False)
        self.set_value(current)

    def value(self) -> str:
        data = self.combo.currentData()
        return self._last if data == BROWSE else (data or "")

    def set_value(self, path: str) -> None:
        path = str(path or "")
        i = self.combo.findData(path)
        if i < 0:
            self.combo.insertItem(self.combo.count() - 1, Path(path).name, path)
            self.combo.setItemData(self.combo.count() - 2, path, Qt.ItemDataRole.ToolTipRole)
            i = self.combo.count() - 2
        self.combo.setCurrentIndex(i)
        self._last = path

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt's name
        super().setToolTip(tip)
        self.combo.setToolTip(tip)

    def _on_activated(self, index: int) -> None:
        if self.combo.itemData(index) == BROWSE:
            start = str(Path(self._last).parent) if self._last else str(Path.home())
            path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", start,
                                                  "GGUF models (*.gguf);;All files (*)")
            self.set_value(path or self._last)
        self._last = self.value()
        self.valueChanged.emit(self._last)


class SettingsDialog(QDialog):
    """Edit the open library's settings; OK/Apply save them, Cancel forgets the edits."""

    def __init__(self, controller: SettingsController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumSize(640, 560)
        self.resize(760, 720)
        self.controller = controller
        eng = controller.engine
        self.original = eng.settings.copy() if eng is not None else Settings()
        self.editors: dict[str, FieldEditor] = {}
        self.rows: dict[str, tuple[QLabel, QWidget]] = {}
        self.report: ModelReport | None = None
        self._request = 0
        self._estimate_timer = QTimer(self)
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(200)
        self._estimate_timer.timeout.connect(self._request_report)

        described = Settings.describe()
        self.tabs = QTabWidget()
        for title, wanted in TABS:
            metas = [m for m in described if any(m["name"] == w or (w.endswith(".") and m["name"].startswith(w))
                                                  for w in wanted)]
            metas.sort(key=lambda m: next(i for i, w in enumerate(wanted)
                                          if m["name"] == w or (w.endswith(".") and m["name"].startswith(w))))
            self.tabs.addTab(self._page(title, metas), title)
        # The probe measures the edited settings, so it lives beside them; closing the dialog stops it.
        self.probe_controller = ProbeController(controller.tasks, lambda: controller.engine, self)
        self.probe_panel = ProbePanel(self.probe_controller, self._current_for_estimate)
        self.probe_panel.useBudget.connect(lambda n: self.editors["llm.budget"].set_value(n))
        self.tabs.addTab(self.probe_panel, "Effective context")
        self.finished.connect(lambda _result: self.probe_panel.stop())

        # The estimate stays in view under the tabs: it answers "will this fit?" while any model setting changes.
        self.memory = QLabel()
        self.memory.setWordWrap(True)
        self.memory.setTextFormat(Qt.TextFormat.RichText)
        self.memory.setFrameShape(QFrame.Shape.StyledPanel)
        self.memory.setMargin(8)
        self.memory.setAutoFillBackground(True)
        self.memory.setToolTip("Memory the model needs with these settings (weights, KV cache and working "
                               "buffers), compared with the memory free now")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.Apply
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setToolTip("Save the settings for this library; a changed model is loaded in the background")
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).setToolTip("Put every setting back to its "
                                                                                   "default (not saved until Apply)")
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(self.apply)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self._on_defaults)

        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.memory)
        lay.addWidget(self.message)
        lay.addWidget(buttons)

        controller.reportReady.connect(self._on_report)
        controller.modelsFound.connect(self.model_picker.set_models)
        controller.applied.connect(self._on_applied)
        controller.modelLoaded.connect(self._on_model_loaded)
        controller.error.connect(self._on_error)
        self.load(self.original)
        controller.discover()
        self._request_report()

    # ------------------------------------------------------------------ building
    def _page(self, title: str, metas: list[dict]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        form.setContentsMargins(16, 14, 16, 14)
        for meta in metas:
            name = meta["name"]
            if name in SECTIONS:
                form.addRow(_section(SECTIONS[name], first=form.rowCount() == 0))
            if name == "llm.model_path":
                self.model_picker = ModelPicker()
                editor = FieldEditor(meta, self.model_picker, self)
            elif name == "llm.n_ctx":
                self.ctx_editor = ContextLengthEditor(meta)
                editor = FieldEditor(meta, self.ctx_editor, self)
            else:
                editor = make_editor(meta, page)
            editor.changed.connect(self._on_changed)
            label = QLabel(meta.get("title", name) + ":")
            label.setToolTip(editor.widget.toolTip())
            form.addRow(label, editor.widget)
            self.editors[name] = editor
            self.rows[name] = (label, editor.widget)
            if name == "llm.model_path":
                self.model_facts = note_label()
                form.addRow("", self.model_facts)
            elif name == "llm.n_ctx":
                self.rope_note = note_label()
                form.addRow("", self.rope_note)
            elif name == "llm.type_v":
                self.kv_note = note_label()
                self.kv_note.setText("On CPU a quantized cache saves memory but makes reading long documents much "
                                     "slower.")
                form.addRow("", self.kv_note)
            elif name == "llm.n_gpu_layers":
                self.gpu_note = note_label()
                self.gpu_note.hide()
                form.addRow("", self.gpu_note)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        return scroll

    # ------------------------------------------------------------------ values
    def load(self, settings: Settings) -> None:
        for name, editor in self.editors.items():
            editor.blockSignals(True)
            editor.widget.blockSignals(True)
            try:
                editor.set_value(settings.get(name))
            finally:
                editor.widget.blockSignals(False)
                editor.blockSignals(False)
        if hasattr(self, "ctx_editor"):
            self.ctx_editor.slider.set_tokens(settings.llm.n_ctx)
        self._update_visibility()
        self._update_notes()

    def settings(self) -> Settings:
        """The edited settings. Raises `SettingsError` naming a setting whose value is impossible."""
        out = self.original.copy()
        for name, editor in self.editors.items():
            out.set(name, editor.value())
        out.validate()
        return out

    def _on_changed(self, name: str) -> None:
        self.message.hide()
        if name == "llm.backend":
            self._update_visibility()
        self._update_notes()
        if name.startswith("llm."):
            self._estimate_timer.start()

    def _on_defaults(self) -> None:
        self.load(Settings())
        self._estimate_timer.start()

    def _update_visibility(self) -> None:
        local = self.editors["llm.backend"].value() == "llama"
        for name, (label, widget) in self.rows.items():
            show = not ((name in REMOTE_ONLY and local) or (name in LOCAL_ONLY and not local))
            label.setVisible(show)
            widget.setVisible(show)
        for w in ("model_facts", "rope_note", "kv_note", "memory"):
            if hasattr(self, w):
                getattr(self, w).setVisible(local)
        if hasattr(self, "gpu_note"):
            self.gpu_note.setVisible(local and not self.gpu_note.text() == "")

    # ------------------------------------------------------------------ model facts and memory
    def _request_report(self) -> None:
        try:
            s = self._current_for_estimate()
        except SettingsError:
            return
        self._request = self.controller.request_report(s)
        self.probe_panel.refresh()

    def _current_for_estimate(self) -> Settings:
        out = self.original.copy()
        for name, editor in self.editors.items():
            if name.startswith("llm."):
                out.set(name, editor.value())
        return out

    def _on_report(self, report: ModelReport, request: int) -> None:
        if request != self._request:
            return  # an answer to settings the reader has since changed
        self.report = report
        self._update_notes()

    def _update_notes(self) -> None:
        rep = self.report
        info = rep.info if rep is not None else None
        trained = getattr(info, "trained_ctx", None) if info is not None else None
        if hasattr(self, "ctx_editor"):
            self.ctx_editor.set_trained(trained)
            n_ctx = self.editors["llm.n_ctx"].value()
            plan = rep.plan if rep is not None else None
            if plan is not None and getattr(plan, "n_ctx", None) == n_ctx:
                text, warn = _plan_text(plan, trained)
            else:
                text, warn = rope_plan(n_ctx, trained, self.editors["llm.rope_mode"].value())
            self._set_note(self.rope_note, text, warn)
        if hasattr(self, "model_facts"):
            if rep is not None and rep.error and info is None:
                self._set_note(self.model_facts, rep.error, True)
            elif info is not None:
                self._set_note(self.model_facts, _facts(info), False)
            else:
                self._set_note(self.model_facts, " ".join(rep.notes) if rep else "Reading the model…", False)
        if hasattr(self, "gpu_note"):
            gpu = self.rows["llm.n_gpu_layers"][1]
            unsupported = rep is not None and rep.gpu_offload is False
            gpu.setEnabled(not unsupported)
            self.gpu_note.setText(NO_GPU if unsupported else "")
            self.gpu_note.setVisible(unsupported and self.editors["llm.backend"].value() == "llama")
        if hasattr(self, "memory"):
            self._show_memory(rep)

    def _show_memory(self, rep: ModelReport | None) -> None:
        pal = self.memory.palette()
        est = rep.estimate if rep is not None else None
        fits: bool | None = None
        if est is None and rep is not None and rep.error:
            text = f"<b>Memory: will not load.</b> {_esc(rep.error)}"
            bg, fg, fits = style.error_background(self.palette()), style.error_color(self.palette()), False
        elif est is None:
            text = ("Memory needed: estimating…" if rep is None else
                    "Memory needed: this engine cannot estimate it yet.")
            bg, fg = style.card_background(self.palette()), style.secondary_color(self.palette())
        else:
            fits = bool(est.fits)
            gb = _size
            kv = f" + KV cache {gb(est.kv_bytes)}"
            extra = getattr(est, "compute_bytes", 0) + getattr(est, "overhead_bytes", 0)
            work = f" + buffers {gb(extra)}" if extra else ""
            need = getattr(est, "ram_bytes", est.total_bytes)
            head = "Memory: fits" if est.fits else "Memory: does not fit"
            text = (f"<b>{head}:</b> weights {gb(est.weights_bytes)}{kv}{work} = <b>{gb(est.total_bytes)}</b>"
                    f"{' (' + gb(need) + ' in RAM)' if need != est.total_bytes else ''}; "
                    f"{gb(est.free_bytes)} free now.")
            if not est.fits and est.advice:
                text += f"<br>{_esc(est.advice)}"
            bg = style.card_background(self.palette()) if est.fits else style.error_background(self.palette())
            fg = self.palette().color(QPalette.ColorRole.WindowText) if est.fits else style.error_color(self.palette())
        pal.setColor(QPalette.ColorRole.Window, bg)
        pal.setColor(QPalette.ColorRole.WindowText, fg)
        self.memory.setPalette(pal)
        self.memory.setText(text)
        self.memory.setProperty("fits", fits)

    @staticmethod
    def _set_note(label: QLabel, text: str, warn: bool) -> None:
        pal = label.palette()
        pal.setColor(QPalette.ColorRole.WindowText, style.error_color(pal) if warn else style.secondary_color(pal))
        label.setPalette(pal)
        label.setText(text)
        label.setProperty("warning", warn)

    # ------------------------------------------------------------------ saving
    def apply(self) -> bool:
        """Validate and save; returns False (and says why, naming the setting) if a value is impossible."""
        try:
            new = self.settings()
        except SettingsError as exc:
            self._on_error(str(exc))
            if exc.setting in self.rows:
                self.rows[exc.setting][1].setFocus()
            return False
        self.message.hide()
        self.apply_button.setEnabled(False)
        self.controller.apply(new)
        self.original = new.copy()
        return True

    def _on_ok(self) -> None:
        if self.apply():
            self.accept()

    def _on_applied(self, _settings: Settings) -> None:
        self.apply_button.setEnabled(True)
        self._show_message("Saved for this library.", ok=True)

    def _on_model_loaded(self, what: str) -> None:
        self._show_message(f"Saved; {what} is loaded with the new settings.", ok=True)

    def _on_error(self, message: str) -> None:
        self.apply_button.setEnabled(True)
        self._show_message(message, ok=False)

    def _show_message(self, text: str, ok: bool) -> None:
        pal = self.message.palette()
        pal.setColor(QPalette.ColorRole.WindowText, style.ok_color(pal) if ok else style.error_color(pal))
        self.message.setPalette(pal)
        self.message.setText(text)
        self.message.show()


def _plan_text(plan, trained: int | None) -> tuple[str, bool]:
    """The RoPE line from the engine's own context plan (what it will really do), with its warnings."""
    mode, factor = str(getattr(plan, "rope_mode", "")), float(getattr(plan, "rope_factor", 1.0) or 1.0)
    names = {"yarn": "YaRN", "linear": "Linear", "model": "The model's own"}
    if mode == "none" or factor <= 1.0:
        text = f"Within the trained {trained:,} tokens: no RoPE scaling." if trained else "No RoPE scaling."
    else:
        text = f"{names.get(mode, mode)} scaling ×{factor:.2g}" + (f" past the trained {trained:,} tokens."
                                                                  if trained else ".")
    warnings = [str(w) for w in getattr(plan, "warnings", ()) or ()]
    return " ".join([text, *warnings]), bool(warnings)


def _section(title: str, first: bool) -> QLabel:
    label = QLabel(title)
    f = label.font()
    f.setWeight(f.Weight.DemiBold)
    label.setFont(f)
    label.setContentsMargins(0, 0 if first else 10, 0, 2)
    return label


def _size(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _facts(info) -> str:
    """"SmolLM2 135M Instruct · Q4_1 · 135M parameters · 105 MB · trained context 8,192 tokens"."""
    bits = [str(getattr(info, "name", "") or Path(str(getattr(info, "path", ""))).name)]
    quant = getattr(info, "quantization", None)
    if quant:
        bits.append(str(quant))
    params = getattr(info, "parameter_count", None)
    if params:
        bits.append(f"{params / 1e9:.1f}B parameters" if params >= 1e9 else f"{params / 1e6:.0f}M parameters")
    size = getattr(info, "file_size", None)
    if size:
        bits.append(_size(size))
    trained = getattr(info, "trained_ctx", None)
    if trained:
        bits.append(f"trained context {trained:,} tokens")
    if getattr(info, "has_chat_template", True) is False:
        bits.append("no chat template: not usable for chat")
    return " · ".join(bits)

