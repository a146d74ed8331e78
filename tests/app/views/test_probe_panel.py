"""The settings panel's "Effective context" page, driving the real packaged model over a tiny grid."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.controllers.models import SettingsController
from app.settings_dialog import SettingsDialog
from app.workers import Tasks
from engine import Engine, ProbeGrid

pytestmark = [pytest.mark.llm, pytest.mark.slow]

TINY = ProbeGrid(lengths=(512, 1024), depths=(0.5,), tasks=("single",))


@pytest.fixture
def dialog(qtbot, tmp_path):
    tasks = Tasks()
    eng = Engine.open(tmp_path / "library")
    dlg = SettingsDialog(SettingsController(tasks, lambda: eng))
    qtbot.addWidget(dlg)
    dlg.editors["llm.n_ctx"].set_value(1024)
    dlg.editors["llm.n_threads"].set_value(1)
    dlg.probe_controller.grid_for = lambda n_ctx: TINY
    yield dlg
    dlg.probe_panel.stop()
    tasks.wait(120_000)
    eng.close()


def test_measures_shows_the_heatmap_and_offers_the_budget(qtbot, dialog, tmp_path):
    panel = dialog.probe_panel
    dialog.tabs.setCurrentWidget(panel)
    with qtbot.waitSignal(dialog.probe_controller.resultReady, timeout=300_000) as got:
        panel.run_button.click()
        assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    result = got.args[0]
    assert [t["length"] for t in result.trials] == [512, 1024] and result.settings["n_ctx"] == 1024
    assert Path(result.json_path).parent == tmp_path / "library" / "probe"
    assert not panel.heatmap.pixmap().isNull()
    assert "Effective context" in panel.summary.text()
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=10_000)
    if result.suggested_budget:
        panel.use_button.click()
        assert dialog.editors["llm.budget"].value() == result.suggested_budget
    else:  # the tiny model missed the needle even at 512 tokens: nothing to suggest
        assert panel.use_button.isHidden()
    # the saved result is found again for the same settings
    with qtbot.waitSignal(dialog.probe_controller.savedFound, timeout=30_000) as found:
        panel.refresh()
    assert found.args[0] is not None and found.args[0].key == result.key


def test_cancel_stops_and_keeps_the_panel_usable(qtbot, dialog):
    panel = dialog.probe_panel
    ctl = dialog.probe_controller
    ctl.progress.connect(lambda _p: ctl.stop())  # stop as soon as the first trial starts
    with qtbot.waitSignal(ctl.cancelled, timeout=120_000):
        panel.run_button.click()
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=10_000)
    assert "Cancelled" in panel.status.text() and panel.bar.isHidden()
    # the partial result found afterwards (a settings change looks it up) does not hide that the run was cancelled
    with qtbot.waitSignal(ctl.savedFound, timeout=30_000) as found:
        panel.refresh()
    assert found.args[0] is not None and not found.args[0].complete
    assert "Cancelled" in panel.status.text()
