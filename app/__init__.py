"""Lectern's desktop app (PySide6). It reaches the engine only through its facade: `from engine import Engine ...`."""
