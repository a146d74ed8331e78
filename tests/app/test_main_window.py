"""The main window end to end with the real engine: drop files, watch them index, see failures in words, cancel."""
from __future__ import annotations

from pathlib import Path

from app.qt import QAction, QApplication, QDragEnterEvent, QDropEvent, QMimeData, QPoint, Qt, QUrl
from app.views.library_panel import STATE_ROLE, SUBTITLE_ROLE

from .conftest import BOILER_PAGES, make_pdf

INGEST_TIMEOUT_MS = 60_000


def drop(window, paths: list[Path]) -> None:
    """Drag files from a file manager onto the window, as Qt delivers it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPoint(window.width() // 2, window.height() // 2)
    enter = QDragEnterEvent(pos.toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    assert window.overlay.isVisible()
    event = QDropEvent(pos.toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)


def wait_for_documents(qtbot, window, n: int) -> None:
    qtbot.waitUntil(lambda: len(window.library_panel.documents) == n and not window.library.ingesting
                    and all(d.status != "incomplete" for d in window.library_panel.documents),
                    timeout=INGEST_TIMEOUT_MS)


def test_empty_library_shows_a_drop_target(window):
    panel = window.library_panel
    assert panel.stack.currentWidget() is panel.empty
    assert window.windowTitle() == "Lectern — library"


def test_dropping_a_pdf_indexes_it_and_lists_it(qtbot, window, boiler_pdf):
    with qtbot.waitSignal(window.library.ingestFinished, timeout=INGEST_TIMEOUT_MS) as finished:
        drop(window, [boiler_pdf])
    report = finished.args[0]
    assert [f.status for f in report.files] == ["indexed"]
    assert not window.overlay.isVisible()
    wait_for_documents(qtbot, window, 1)
    panel = window.library_panel
    assert panel.stack.currentIndex() == 1
    item = panel.item(str(boiler_pdf))
    assert item is not None
    assert item.data(0, STATE_ROLE) == "ok"
    assert item.data(0, SUBTITLE_ROLE).startswith("PDF · 3 pages")
    assert not panel.status.isVisible()  # no problems to report, no progress left behind


def test_a_corrupt_pdf_is_listed_as_failed_in_words(qtbot, window, tmp_path, boiler_pdf):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"this is not really a pdf\n" * 50)
    with qtbot.waitSignal(window.library.ingestFinished, timeout=INGEST_TIMEOUT_MS):
        drop(window, [broken, boiler_pdf])
    wait_for_documents(qtbot, window, 2)
    panel = window.library_panel
    failed = panel.item(str(broken))
    assert failed.data(0, STATE_ROLE) == "failed"
    subtitle = failed.data(0, SUBTITLE_ROLE)
    assert subtitle.startswith("Failed: ") and "broken.pdf" in subtitle
    assert "Traceback" not in subtitle
    assert "broken.pdf" in panel.status.problem_summary  # listed under the library after the batch
    assert panel.item(str(boiler_pdf)).data(0, STATE_ROLE) == "ok"  # the rest of the batch went on


def test_cancel_stops_the_batch(qtbot, window, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(12):
        make_pdf(folder / f"manual-{i:02d}.pdf", BOILER_PAGES * 4)
    lib = window.library
    lib.ingestProgress.connect(lambda p: p.stage == "files" and p.done >= 1 and window.library_panel.status
                               .cancel.isEnabled() and window.library_panel.status.cancel.click())
    with qtbot.waitSignal(lib.ingestFinished, timeout=INGEST_TIMEOUT_MS) as finished:
        window.add_paths([str(folder)])
    report = finished.args[0]
    assert report.cancelled
    indexed = [f for f in report.files if f.status == "indexed"]
    assert 1 <= len(indexed) < 12
    qtbot.waitUntil(lambda: not lib.ingesting)
    assert "Stopped" in window.library_panel.status.problem_summary
    assert window.library_panel.status.cancel.text() == "Stopping…"  # and the strip no longer shows progress
    assert not window.library_panel.status.progress.isVisible()


def test_remove_takes_a_document_out_of_the_list(qtbot, window, boiler_pdf):
    with qtbot.waitSignal(window.library.ingestFinished, timeout=INGEST_TIMEOUT_MS):
        window.add_paths([str(boiler_pdf)])
    wait_for_documents(qtbot, window, 1)
    with qtbot.waitSignal(window.library.documentsChanged, timeout=10_000,
                          check_params_cb=lambda docs: docs == []):
        window.library.remove([str(boiler_pdf)])
    assert window.library_panel.stack.currentWidget() is window.library_panel.empty


def test_reindex_reads_a_document_again(qtbot, window, boiler_pdf):
    with qtbot.waitSignal(window.library.ingestFinished, timeout=INGEST_TIMEOUT_MS):
        window.add_paths([str(boiler_pdf)])
    wait_for_documents(qtbot, window, 1)
    with qtbot.waitSignal(window.library.ingestFinished, timeout=INGEST_TIMEOUT_MS) as finished:
        window.library_panel.reindexRequested.emit([str(boiler_pdf)])
    assert [f.status for f in finished.args[0].files] == ["indexed"]  # read again, not skipped as unchanged
    wait_for_documents(qtbot, window, 1)
    assert window.library_panel.item(str(boiler_pdf)).data(0, STATE_ROLE) == "ok"


def test_opening_a_document_from_the_library_shows_it_with_its_outline(qtbot, window, boiler_pdf):
    with qtbot.waitSignal(window.library.ingestFinished, timeout=INGEST_TIMEOUT_MS):
        window.add_paths([str(boiler_pdf)])
    wait_for_documents(qtbot, window, 1)
    item = window.library_panel.item(str(boiler_pdf))
    with qtbot.waitSignal(window.reader.documentShown, timeout=10_000):
        window.library_panel.tree.itemClicked.emit(item, 0)
    outline = window.reader.outline
    titles = [outline.topLevelItem(i).text(0) for i in range(outline.topLevelItemCount())]
    assert titles == ["Introduction", "Pressure limits", "Maintenance"]
    window.reader._on_outline_clicked(outline.topLevelItem(2))
    qtbot.waitUntil(lambda: window.reader.pdf.current_page == 3, timeout=5000)
    assert window.ask_panel.scope_docs() == ([str(boiler_pdf)], "boiler-manual.pdf")


def test_keyboard_shortcuts(qtbot, window):
    shortcuts = {a.text(): a.shortcut().toString() for a in window.findChildren(QAction)}
    assert shortcuts["Add files…"] == "Ctrl+O"
    assert shortcuts["Find in document"] == "Ctrl+F"
    assert shortcuts["Ask a question"] == "Ctrl+L"
    assert shortcuts["Settings…"] == "Ctrl+,"
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.ask_panel.question.hasFocus(), timeout=2000)
