"""What the app remembers between runs that is not a library setting: recent libraries and window layout."""
from __future__ import annotations

import os
from pathlib import Path

from .qt import QByteArray, QSettings

MAX_RECENT = 8


class AppState:
    """A small INI file in the platform's config folder (or at `path`, for tests)."""

    def __init__(self, path: str | os.PathLike | None = None):
        if path is not None:
            self._qs = QSettings(str(path), QSettings.Format.IniFormat)
        else:
            self._qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Lectern", "lectern-app")

    def recent_libraries(self) -> list[str]:
        value = self._qs.value("recent_libraries", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or [] if v]

    def add_recent(self, library_dir: str | os.PathLike) -> None:
        path = str(Path(library_dir))
        recent = [path] + [p for p in self.recent_libraries() if p != path]
        self._qs.setValue("recent_libraries", recent[:MAX_RECENT])
        self._qs.sync()

    def last_library(self) -> str | None:
        recent = self.recent_libraries()
        return recent[0] if recent else None

    def bytes(self, key: str) -> QByteArray | None:
        value = self._qs.value(key)
        return value if isinstance(value, QByteArray) else None

    def set_bytes(self, key: str, value: QByteArray) -> None:
        self._qs.setValue(key, value)

    def sync(self) -> None:
        self._qs.sync()
