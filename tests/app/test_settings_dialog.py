"""The settings panel: built from Settings.describe(), round-trips to the engine's settings, live memory estimate."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from app.qt import QDialogButtonBox, QPalette
from app.views import style
from engine import Settings


@dataclass(frozen=True)
class FakeInfo:
    path: Path
    name: str = "TinyModel-1B-Instruct"
    file_size: int = 700_000_000
    trained_ctx: int = 8192
    quantization: str = "Q4_K_M"
    parameter_count: int = 1_100_000_000
    has_chat_template: bool = True


@dataclass(frozen=True)
class FakeEstimate:
    weights_bytes: int
    kv_bytes: int
    total_bytes: int
    free_bytes: int
    fits: bool
    advice: str


def fake_model_facts(eng, free=4_000_000_000):
    """Model-facts calls on the engine instance (stand-ins until the facade has them; same names and fields)."""
    eng.model_info = lambda path=None: FakeInfo(Path(path or "/packaged/smol.gguf"))
    eng.gpu_offload_supported = lambda: False
    eng.plan_context = lambda settings: None  # the fake model has no llama.cpp plan; the estimate below stands in

    def estimate(settings):
        kv = settings.llm.n_ctx * 24_000 * (0.5 if settings.llm.type_k == "q8_0" else 1)
        total = int(700_000_000 + kv)
        fits = total <= free * 0.9
        return FakeEstimate(700_000_000, int(kv), total, free, fits,
                            "" if fits else "Choose llm.n_ctx 131,072 or less.")

    eng.estimate_memory = estimate


@pytest.fixture
def dialog(qtbot, window):
    fake_model_facts(window.library.engine)
    window.open_settings()
    dlg = window.settings_dialog
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=10_000)
    yield dlg
    dlg.close()


def test_every_setting_has_an_editor_with_its_help_as_tooltip(dialog):
    described = Settings.describe()
    assert set(dialog.editors) == {m["name"] for m in described}
    for meta in described:
        editor = dialog.editors[meta["name"]]
        assert meta["help"] in editor.widget.toolTip()
        assert dialog.rows[meta["name"]][0].text() == meta["title"] + ":"


def test_settings_round_trip_to_the_engine_and_the_file(qtbot, window, dialog, library_dir):
    dialog.editors["llm.n_ctx"].widget.set_value(16384)
    dialog.editors["llm.type_k"].set_value("q8_0")
    dialog.editors["retrieval.k"].set_value(8)
    dialog.editors["ingest.ocr"].set_value(False)
    dialog.editors["llm.temperature"].set_value(0.3)
    with qtbot.waitSignal(window.settings_controller.applied, timeout=10_000):
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    eng = window.library.engine
    assert (eng.settings.llm.n_ctx, eng.settings.llm.type_k, eng.settings.retrieval.k) == (16384, "q8_0", 8)
    assert eng.settings.ingest.ocr is False
    on_disk = Settings.load(library_dir)
    assert on_disk.to_dict() == eng.settings.to_dict()
    assert on_disk.llm.temperature == pytest.approx(0.3)
    # a new dialog shows what was saved
    window.open_settings()
    again = window.settings_dialog
    assert again.editors["llm.n_ctx"].value() == 16384
    assert again.editors["llm.type_k"].value() == "q8_0"
    again.close()


def test_memory_estimate_is_live_and_turns_red_when_it_would_not_fit(qtbot, dialog):
    assert dialog.memory.property("fits") is True
    assert "Memory: fits" in dialog.memory.text() and "4.0 GB free" in dialog.memory.text()
    dialog.editors["llm.n_ctx"].widget.set_value(262144)
    qtbot.waitUntil(lambda: dialog.memory.property("fits") is False, timeout=10_000)
    assert "Memory: does not fit" in dialog.memory.text()
    assert "131,072" in dialog.memory.text()
    red = dialog.memory.palette().color(QPalette.ColorRole.WindowText)
    assert red == style.error_color(dialog.palette())


def test_context_length_shows_the_trained_context_and_the_rope_mode(qtbot, dialog):
    assert dialog.ctx_editor.slider.trained == 8192
    dialog.editors["llm.n_ctx"].widget.set_value(32768)
    assert "YaRN scaling ×4" in dialog.rope_note.text()
    assert "measure it" in dialog.rope_note.text() and dialog.rope_note.property("warning") is True
    dialog.editors["llm.n_ctx"].widget.set_value(16384)
    assert "YaRN scaling ×2" in dialog.rope_note.text() and dialog.rope_note.property("warning") is False
    dialog.editors["llm.rope_mode"].set_value("none")
    assert dialog.rope_note.property("warning") is True
    dialog.editors["llm.n_ctx"].widget.set_value(4096)
    assert "no RoPE scaling" in dialog.rope_note.text()
    assert "TinyModel-1B-Instruct · Q4_K_M · 1.1B parameters" in dialog.model_facts.text()


def test_gpu_layers_are_disabled_with_an_explanation_without_gpu_support(dialog):
    assert not dialog.editors["llm.n_gpu_layers"].widget.isEnabled()
    assert "CMAKE_ARGS" in dialog.gpu_note.text()


