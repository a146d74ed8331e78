"""Python's cycle collector runs on the GUI thread only.

The collector runs in whichever thread happens to cross its allocation threshold. When that is a worker thread
(an ingest allocating SQLAlchemy objects), it finalises whatever cyclic garbage exists at that moment, including Qt
objects and PyMuPDF documents the GUI thread created: Qt objects must be destroyed in the thread that owns them and
MuPDF is not thread-safe, so that is a segmentation fault (seen once in the test suite: "Garbage-collecting" in
the ingest worker while the GUI thread ran its event loop). The remedy Qt applications use (calibre, pyqtgraph):
switch automatic collection off and let a timer on the GUI thread collect, generation by generation, when the
same thresholds are crossed. Reference counting still frees everything that is not in a cycle, in any thread.
"""
from __future__ import annotations

import gc

from .qt import QObject, QTimer

INTERVAL_MS = 500


_running: set[int] = set()  # ids of the collectors started and not stopped (windows can overlap in tests)
_enabled_before = True


class MainThreadGarbageCollector(QObject):
    """While it runs, cycles are collected only by its timer, on the thread that owns it (the GUI thread)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        global _enabled_before
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        if not _running:
            _enabled_before = gc.isenabled()
        _running.add(id(self))
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose counts passed the thresholds automatic collection would use."""
        g0, g1, g2 = gc.get_count()
        if g0 > self.threshold[0]:
            gc.collect(0)
            if g1 > self.threshold[1]:
                gc.collect(1)
                if g2 > self.threshold[2]:
                    gc.collect(2)

    def stop(self) -> None:
        """Back to automatic collection (call it once the workers are done), after one full collection here."""
        self.timer.stop()
        gc.collect()
        _running.discard(id(self))
        if not _running and _enabled_before:
            gc.enable()
