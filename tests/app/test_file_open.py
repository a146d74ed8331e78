"""Files the operating system hands the running app (macOS "Open With", Dock drops): app/file_open.py."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.file_open import FileOpenForwarder
from app.qt import QApplication, QFileOpenEvent, QUrl

from .conftest import BOILER_PAGES, make_pdf


def send_open(target) -> bool:
    """Deliver a file-open event (a path or a QUrl) to the application object, as macOS does; True when handled."""
    arg = target if isinstance(target, QUrl) else str(target)
    return QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(arg))


@contextmanager
def installed(opener: FileOpenForwarder) -> Iterator[FileOpenForwarder]:
    """The forwarder as app/main.py installs it (on the application), removed afterwards."""
    app = QApplication.instance()
    app.installEventFilter(opener)
    try:
        yield opener
    finally:
        app.removeEventFilter(opener)


def test_events_arriving_together_become_one_call_in_order_without_repeats(qtbot, tmp_path):
    calls: list[list[str]] = []
    with installed(FileOpenForwarder(calls.append, gather_ms=50)):
        a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
        assert send_open(a) and send_open(b) and send_open(a)
        qtbot.waitUntil(lambda: bool(calls), timeout=2000)
        assert calls == [[str(a), str(b)]]
        assert send_open(b)  # a later "Open With" is a new batch
        qtbot.waitUntil(lambda: len(calls) == 2, timeout=2000)
        assert calls[1] == [str(b)]


def test_a_url_event_opens_its_local_file(qtbot, tmp_path):
    calls: list[list[str]] = []
    with installed(FileOpenForwarder(calls.append, gather_ms=10)):
        target = tmp_path / "report.pdf"
        send_open(QUrl.fromLocalFile(str(target)))
        qtbot.waitUntil(lambda: bool(calls), timeout=2000)
        assert calls == [[str(target)]]


def test_open_with_adds_the_pdf_to_the_library(qtbot, window, tmp_path):
    # The wiring app/main.py makes: the window's add_paths behind the application's event filter.
    with installed(FileOpenForwarder(window.add_paths, window, gather_ms=10)):
        pdf = make_pdf(tmp_path / "opened-from-finder.pdf", BOILER_PAGES)
        with qtbot.waitSignal(window.library.ingestFinished, timeout=60_000) as finished:
            send_open(pdf)
        assert [(f.path, f.status) for f in finished.args[0].files] == [(str(pdf), "indexed")]
