"""Fixtures for the app's tests: offscreen Qt, a temporary library per test, generated PDFs.

The shared real embedder (`embedder`) comes from tests/conftest.py.
"""
from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported anywhere

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from engine import Engine  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _qt_test_mode() -> None:
    """Keep QSettings/QStandardPaths away from the developer's real config and log folders."""
    from app.qt import QStandardPaths

    QStandardPaths.setTestModeEnabled(True)


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF with the given lines of text on each page (Helvetica 11 pt, one line every 16 pt from the top)."""
    import pymupdf

    doc = pymupdf.open()
    for lines in pages:
        page = doc.new_page(width=595, height=842)
        y = 90.0
        for i, line in enumerate(lines):
            page.insert_text((72, y), line, fontsize=18 if i == 0 else 11)
            y += 28 if i == 0 else 16
    doc.set_toc([[1, lines[0], n + 1] for n, lines in enumerate(pages)])
    doc.save(path)
    doc.close()
    return path


BOILER_PAGES = [
    ["Introduction", "This manual describes the Vulcan steam boiler and its safe operation.",
     "Read every chapter before lighting the burner for the first time."],
    ["Pressure limits", "The working pressure of the boiler must stay below 6 bar at all times.",
     "A safety valve opens at 6.5 bar and vents steam through the roof pipe."],
    ["Maintenance", "Drain the sediment from the mud drum every Monday morning.",
     "Inspect the gauge glass weekly and replace it when it turns cloudy."],
]


@pytest.fixture
def boiler_pdf(tmp_path) -> Path:
    return make_pdf(tmp_path / "boiler-manual.pdf", BOILER_PAGES)


@pytest.fixture
def library_dir(tmp_path) -> Path:
    return tmp_path / "library"


@pytest.fixture
def engine_factory(embedder):
    def factory(library_dir):
        return Engine.open(library_dir, embedder=embedder)

    return factory


@pytest.fixture
def window(qtbot, library_dir, engine_factory, tmp_path):
    """The real main window over a fresh library."""
    from app.main_window import MainWindow
    from app.state import AppState

    win = MainWindow(library_dir, engine_factory=engine_factory, state=AppState(tmp_path / "app.ini"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


# Messages of the offscreen platform plugin itself, not of Lectern: it cannot pass window size hints to a
# window system it does not have. Every other Qt warning still fails a test (qt_log_level_fail = WARNING).
OFFSCREEN_NOISE = [r"This plugin does not support propagateSizeHints\(\)"]


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/app" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))
