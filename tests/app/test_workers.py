"""The generic worker: results and errors reach the GUI thread, `finished` always comes last, cancel is quiet."""
from __future__ import annotations

import threading
import time

import pytest

from app.qt import QApplication, QThread
from app.workers import Tasks, Worker
from engine import Cancelled, EngineError


@pytest.fixture
def tasks(qtbot):
    t = Tasks()
    yield t
    t.stop_all()
    assert t.wait(10_000)


def record(worker: Worker) -> list[tuple]:
    events: list[tuple] = []
    s = worker.signals
    s.progress.connect(lambda v: events.append(("progress", v)))
    s.result.connect(lambda v: events.append(("result", v)))
    s.error.connect(lambda e: events.append(("error", type(e).__name__, str(e))))
    s.cancelled.connect(lambda: events.append(("cancelled",)))
    s.finished.connect(lambda: events.append(("finished", QThread.currentThread() is QApplication.instance().thread())))
    return events


def test_result_progress_then_finished_on_the_gui_thread(qtbot, tasks):
    def work(progress):
        progress(1)
        progress(2)
        return "done"

    worker = Worker(work)
    events = record(worker)
    on_gui = []
    worker.signals.result.connect(lambda _v: on_gui.append(QThread.currentThread() is QApplication.instance().thread()))
    with qtbot.waitSignal(worker.signals.finished, timeout=5000):
        tasks.reads.start(worker)
    assert events == [("progress", 1), ("progress", 2), ("result", "done"), ("finished", True)]
    assert on_gui == [True]


def test_a_failing_task_reports_the_error_and_still_finishes(qtbot, tasks):
    def boom():
        raise EngineError("The PDF is encrypted.")

    worker = Worker(boom)
    events = record(worker)
    with qtbot.waitSignal(worker.signals.finished, timeout=5000):
        tasks.reads.start(worker)
    assert events == [("error", "EngineError", "The PDF is encrypted."), ("finished", True)]


def test_an_unexpected_exception_is_an_error_too(qtbot, tasks, caplog):
    worker = Worker(lambda: 1 / 0)
    events = record(worker)
    with qtbot.waitSignal(worker.signals.finished, timeout=5000):
        tasks.reads.start(worker)
    assert events[0][:2] == ("error", "ZeroDivisionError")
    assert events[-1][0] == "finished"
    assert "ZeroDivisionError" in caplog.text  # with its traceback, for the log file


def test_stop_sets_the_cancel_event_and_cancelled_is_quiet(qtbot, tasks):
    started = threading.Event()

    def slow(cancel):
        started.set()
        while not cancel.is_set():
            time.sleep(0.01)
        raise Cancelled("stopped")

    worker = Worker(slow)
    events = record(worker)
    tasks.writer.start(worker)
    assert started.wait(5)
    with qtbot.waitSignal(worker.signals.finished, timeout=5000):
        worker.stop()
    assert [e[0] for e in events] == ["cancelled", "finished"]


def test_the_inference_executor_runs_one_task_at_a_time(qtbot, tasks):
    running, overlap = [0], [False]
    lock = threading.Lock()

    def task():
        with lock:
            running[0] += 1
            overlap[0] |= running[0] > 1
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    workers = [tasks.run(tasks.inference, task) for _ in range(4)]
    qtbot.waitUntil(lambda: not tasks.busy, timeout=5000)
    assert len(workers) == 4 and not overlap[0]
