"""A small progress display on stderr for the CLI: one redrawn line on a terminal, sparse log lines otherwise.

stdout stays clean for `--json`; everything here goes to stderr.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from typing import TextIO

from .types import Progress


class ProgressBar:
    """Callable as a progress callback. Shows the overall file count and the current file's pages/chunks."""

    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.min_interval = min_interval if self.tty else 5.0
        self._last = 0.0
        self._files = (0, 0)
        self._file = ""
        self._shown = False

    def __call__(self, p: Progress) -> None:
        if p.stage == "files":
            self._files = (p.done, p.total)
            if p.path:
                self._file = os.path.basename(p.path)
            self._draw(p, force=not self.tty and p.path is not None and p.done % 50 == 0)
        elif p.stage in ("parse", "embed", "scan", "load", "answer", "probe"):
            self._draw(p)

    def _draw(self, p: Progress, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.min_interval and not (p.total and p.done == p.total):
            return
        self._last = now
        fd, ft = self._files
        head = f"[{fd}/{ft} files] " if ft else ""
        if p.stage in ("parse", "embed") and p.total:
            width = 24
            filled = int(width * p.done / p.total)
            bar = "█" * filled + "░" * (width - filled)
            verb = "reading" if p.stage == "parse" else "embedding"
            line = f"{head}{self._file}: {verb} {bar} {p.done}/{p.total} {p.unit}"
        elif p.stage == "files" and ft:
            line = f"{head}{self._file}"
        else:
            line = p.message or f"{p.stage} {p.done}/{p.total or '?'} {p.unit}"
        if self.tty:
            cols = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r" + line[: cols - 1].ljust(cols - 1))
            self._shown = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._shown:
            cols = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r" + " " * (cols - 1) + "\r")
            self.stream.flush()
