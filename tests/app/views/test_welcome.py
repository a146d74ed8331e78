"""The first-start welcome: shown while the library is empty, gone once a document is in, and its model button."""
from __future__ import annotations

from ..test_main_window import INGEST_TIMEOUT_MS, wait_for_documents


def _welcome_shown(window) -> bool:
    note = window.reader.welcome.first_start
    return note.isVisibleTo(window) and window.reader.pages.currentWidget() is window.reader.welcome


def test_an_empty_library_shows_the_welcome_with_what_to_drop_and_how_to_pick_a_model(qtbot, window):
    qtbot.waitUntil(lambda: _welcome_shown(window), timeout=10_000)
    note = window.reader.welcome.first_start
    assert "PDFs or a folder of code" in note.drop_text.text()
    assert "Settings → Model" in note.model_text.text()
    assert not any(w.isVisibleTo(window) for w in window.reader.welcome._idle)  # not "Nothing open yet"


def test_the_welcome_goes_once_a_document_is_in_the_library(qtbot, window, boiler_pdf):
    qtbot.waitUntil(lambda: _welcome_shown(window), timeout=10_000)
    with qtbot.waitSignal(window.library.ingestFinished, timeout=INGEST_TIMEOUT_MS):
        window.add_paths([str(boiler_pdf)])
    wait_for_documents(qtbot, window, 1)
    assert not window.reader.welcome.first_start.isVisibleTo(window)
    assert all(w.isVisibleTo(window) for w in window.reader.welcome._idle)


def test_choose_a_model_opens_the_model_settings(qtbot, window):
    qtbot.waitUntil(lambda: _welcome_shown(window), timeout=10_000)
    window.reader.welcome.first_start.model_button.click()
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()).startswith("Model")
    assert dialog.model_picker is not None
    dialog.close()
