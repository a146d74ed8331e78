"""The remote (OpenAI-compatible) backend in the app: its fields in the settings panel, and a server that is down
reported to the reader in words, both when the settings are applied and when a question is asked.
"""
from __future__ import annotations

import pytest

from app.controllers.ask import AskController
from app.controllers.models import SettingsController
from app.qt import QLineEdit
from app.settings_dialog import LOCAL_ONLY, REMOTE_ONLY, SettingsDialog
from app.workers import Tasks
from engine import Engine, Settings
from tests.engine.llm.fake_servers import free_port


@pytest.fixture
def tasks():
    tasks = Tasks()
    yield tasks
    for pool in (tasks.inference, tasks.reads, tasks.writer):
        pool.waitForDone(10_000)


def test_settings_panel_shows_the_remote_fields_and_reports_a_server_that_is_down(qtbot, tmp_path, tasks):
    library_dir = tmp_path / "library"
    eng = Engine.open(library_dir)  # an empty library: nothing here needs the embedder
    controller = SettingsController(tasks, lambda: eng)
    dlg = SettingsDialog(controller)
    qtbot.addWidget(dlg)
    dlg.show()
    assert all(dlg.rows[name][1].isHidden() for name in REMOTE_ONLY)  # the packaged local model by default
    dlg.editors["llm.backend"].set_value("openai")
    assert all(not dlg.rows[name][1].isHidden() for name in REMOTE_ONLY)
    assert all(dlg.rows[name][1].isHidden() for name in LOCAL_ONLY)
    assert dlg.memory.isHidden()  # no local memory to estimate
    assert dlg.editors["llm.api_key"].widget.echoMode() == QLineEdit.EchoMode.Password
    assert "plain text" in dlg.editors["llm.api_key"].widget.toolTip()

    assert dlg.apply() is False  # no server URL yet: refused, naming the setting
    assert "llm.base_url" in dlg.message.text()

    url = f"http://127.0.0.1:{free_port()}/v1"
    dlg.editors["llm.base_url"].set_value(url)
    with qtbot.waitSignal(controller.error, timeout=15_000) as sig:
        assert dlg.apply() is True
    assert sig.args[0] == (f"Cannot reach the inference server at {url}: connection refused. "
                           f"Is the server running? (llm.base_url)")
    assert dlg.message.text() == sig.args[0] and not dlg.message.isHidden()
    saved = Settings.load(library_dir).llm  # saved anyway: the server may be started later
    assert (saved.backend, saved.base_url) == ("openai", url)
    dlg.close()
    tasks.inference.waitForDone(10_000)
    tasks.reads.waitForDone(10_000)
    eng.close()


def test_a_question_with_the_server_down_fails_with_a_readable_message(qtbot, tmp_path, tasks):
    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = Settings()
    settings.llm.backend, settings.llm.base_url = "openai", url
    eng = Engine.open(tmp_path / "library", settings=settings)
    ctrl = AskController(tasks, lambda: eng)
    ctrl.open_library(str(eng.library_dir))
    try:
        with qtbot.waitSignal(ctrl.failed, timeout=15_000) as sig:
            assert ctrl.ask("When was the Kestrel lighthouse built?")
        assert sig.args[0].startswith(f"Cannot reach the inference server at {url}: connection refused")
        qtbot.waitUntil(lambda: not ctrl.busy, timeout=5_000)
        assert ctrl.turns[-1].error == sig.args[0]  # the question stays in the conversation with its error
    finally:
        tasks.inference.waitForDone(5_000)
        eng.close()
