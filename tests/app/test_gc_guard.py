"""Cyclic garbage is freed on the GUI thread, never in a worker that happens to cross the collector's threshold
(Qt objects and PyMuPDF documents freed from another thread crash the process)."""
from __future__ import annotations

import gc
import threading


class _Cycle:
    """Part of a reference cycle; records the thread its finaliser ran on."""

    def __init__(self, seen: list[str]):
        self.seen = seen
        self.me = self

    def __del__(self):
        self.seen.append(threading.current_thread().name)


def _allocate_a_lot() -> None:
    junk = []
    for i in range(200_000):  # far past generation 0's threshold (700 allocations)
        junk.append([i])
    del junk


def test_cycles_are_collected_on_the_gui_thread_while_the_window_is_open(qtbot, window):
    assert not gc.isenabled()
    seen: list[str] = []
    _Cycle(seen)  # unreachable at once, but only the cycle collector can free it
    worker = threading.Thread(target=_allocate_a_lot, name="worker")
    worker.start()
    worker.join()
    assert seen == []  # the worker's allocations did not run a collection
    qtbot.waitUntil(lambda: seen == [threading.main_thread().name], timeout=5000)


def test_closing_the_window_turns_automatic_collection_back_on(qtbot, window):
    assert not gc.isenabled()
    window.close()
    assert gc.isenabled()
