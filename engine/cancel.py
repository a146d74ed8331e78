"""Cancel tokens and progress callbacks as the engine accepts them.

Callers pass either a `threading.Event`, any object with `is_set()`, or a zero-argument callable returning True
to stop. Long operations call `check(cancel)` between units of work and raise `Cancelled`.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from .errors import Cancelled
from .types import Progress

log = logging.getLogger(__name__)


class _HasIsSet(Protocol):
    def is_set(self) -> bool: ...


CancelToken = threading.Event | _HasIsSet | Callable[[], bool] | None
ProgressCallback = Callable[[Progress], Any] | None


def as_predicate(cancel: CancelToken) -> Callable[[], bool]:
    """A zero-argument function that is True once the token asks to stop."""
    if cancel is None:
        return lambda: False
    if hasattr(cancel, "is_set"):
        return cancel.is_set  # type: ignore[union-attr]
    if callable(cancel):
        return cancel
    raise TypeError(f"cancel must be an Event, an object with is_set() or a callable, not {type(cancel).__name__}")


def check(cancelled: Callable[[], bool]) -> None:
    if cancelled():
        raise Cancelled("Cancelled.")


def report(progress: ProgressCallback, **fields: Any) -> None:
    """Call the progress callback, never letting a broken callback break the engine's work."""
    if progress is None:
        return
    try:
        progress(Progress(**fields))
    except Cancelled:
        raise  # a callback may cancel by raising
    except Exception:  # noqa: BLE001 - a broken UI callback must not abort an ingest
        log.exception("progress callback failed")
