"""Colours derived from the system palette, so every view reads well in light and dark mode.

Nothing here hard-codes a light background: each colour is the palette's, or a blend of the palette's, or an accent
picked for the palette's lightness.
"""
from __future__ import annotations

from ..qt import QApplication, QColor, QPalette


def palette() -> QPalette:
    return QApplication.palette()


def is_dark(pal: QPalette | None = None) -> bool:
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """`a` moved a fraction `t` towards `b`."""
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


def secondary_color(pal: QPalette | None = None) -> QColor:
    """Quieter text: subtitles, counts, the context line."""
    pal = pal or palette()
    return blend(pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base), 0.42)


def error_color(pal: QPalette | None = None) -> QColor:
    return QColor("#ff7b72") if is_dark(pal) else QColor("#c62828")


def ok_color(pal: QPalette | None = None) -> QColor:
    return QColor("#56d364") if is_dark(pal) else QColor("#2e7d32")


def link_color(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Link)


def info_background(pal: QPalette | None = None) -> QColor:
    """The tint of an informational box (an abstained answer)."""
    pal = pal or palette()
    accent = QColor("#4a90e2") if not is_dark(pal) else QColor("#58a6ff")
    return blend(pal.color(QPalette.ColorRole.Base), accent, 0.14)


def warn_background(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    return blend(pal.color(QPalette.ColorRole.Base), QColor("#e3a008"), 0.18)


def error_background(pal: QPalette | None = None) -> QColor:
    pal = pal or palette()
    return blend(pal.color(QPalette.ColorRole.Base), error_color(pal), 0.14)


def card_background(pal: QPalette | None = None) -> QColor:
    """A question bubble or a source card: the base colour nudged towards the text colour."""
    pal = pal or palette()
    return blend(pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text), 0.06)


# Highlights drawn over PDF pages: the pages are paper-white in both modes, so these are fixed translucent colours.
CITATION_HIGHLIGHT = QColor(255, 200, 0, 110)
CITATION_OUTLINE = QColor(230, 140, 0, 200)
FIND_HIGHLIGHT = QColor(80, 160, 255, 80)
FIND_CURRENT = QColor(255, 120, 0, 120)


def viewer_background(pal: QPalette | None = None) -> QColor:
    """Behind the PDF pages: a shade darker than the window, so white pages stand out in both modes."""
    pal = pal or palette()
    base = pal.color(QPalette.ColorRole.Window)
    return base.darker(135) if is_dark(pal) else base.darker(112)
