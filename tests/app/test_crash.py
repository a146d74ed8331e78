"""Unexpected exceptions go to the log file with their traceback and to a dialog; the app keeps running."""
from __future__ import annotations

import logging
import sys

from app import crash
from app.qt import QApplication, QMessageBox


def test_an_uncaught_exception_is_logged_and_shown(qtbot, tmp_path):
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = crash.setup_logging(tmp_path / "log")
        try:
            raise ValueError("the gauge glass is cloudy")
        except ValueError:
            crash.report(*sys.exc_info())
        for h in root.handlers:
            h.flush()
        text = path.read_text(encoding="utf-8")
        assert "Traceback" in text and "ValueError: the gauge glass is cloudy" in text
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        assert boxes and "the gauge glass is cloudy" in boxes[-1].informativeText()
        assert "Traceback" in boxes[-1].detailedText()
        for b in boxes:
            b.close()
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
                h.close()
