"""Icons drawn from the SVGs in `app/resources/`, tinted with the palette so they follow light and dark mode.

The SVGs are stroked with `currentColor`; Qt's SVG renderer does not resolve that, so we substitute the colour and
render crisp pixmaps per size (and device pixel ratio) ourselves.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .qt import QApplication, QByteArray, QColor, QIcon, QPainter, QPalette, QPixmap, QSvgRenderer, Qt

RESOURCES = Path(__file__).resolve().parent / "resources"
SIZES = (16, 20, 24, 32, 48, 64)


def icon(name: str, color: QColor | str | None = None) -> QIcon:
    """The named icon in `color` (default: the palette's button text colour; disabled state dimmed)."""
    pal = QApplication.palette()
    normal = QColor(color) if color is not None else pal.color(QPalette.ColorRole.ButtonText)
    disabled = pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    return _icon(name, normal.name(QColor.NameFormat.HexArgb), disabled.name(QColor.NameFormat.HexArgb))


@lru_cache(maxsize=256)
def _icon(name: str, normal: str, disabled: str) -> QIcon:
    svg = (RESOURCES / f"{name}.svg").read_text(encoding="utf-8")
    out = QIcon()
    for mode, colour in ((QIcon.Mode.Normal, normal), (QIcon.Mode.Disabled, disabled)):
        renderer = QSvgRenderer(QByteArray(_tint(svg, colour).encode()))
        for size in SIZES:
            for ratio in (1, 2):
                out.addPixmap(_render(renderer, size, ratio), mode)
    return out


def pixmap(name: str, size: int, color: QColor | str | None = None, ratio: float = 1.0) -> QPixmap:
    """A single rendered pixmap (for labels, e.g. the empty-library picture)."""
    pal = QApplication.palette()
    colour = QColor(color) if color is not None else pal.color(QPalette.ColorRole.WindowText)
    svg = (RESOURCES / f"{name}.svg").read_text(encoding="utf-8")
    return _render(QSvgRenderer(QByteArray(_tint(svg, colour.name(QColor.NameFormat.HexArgb)).encode())),
                   size, ratio)


def app_icon() -> QIcon:
    return QIcon(str(RESOURCES / "lectern.svg"))


def _tint(svg: str, argb: str) -> str:
    # #AARRGGBB is not SVG; split alpha into an opacity attribute.
    rgb, alpha = "#" + argb[3:], int(argb[1:3], 16) / 255
    svg = svg.replace("currentColor", rgb)
    if alpha < 1:
        svg = svg.replace("<svg ", f'<svg opacity="{alpha:.2f}" ', 1)
    return svg


def _render(renderer: QSvgRenderer, size: int, ratio: float) -> QPixmap:
    px = QPixmap(int(size * ratio), int(size * ratio))
    px.fill(Qt.GlobalColor.transparent)
    painter = QPainter(px)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    px.setDevicePixelRatio(ratio)
    return px
