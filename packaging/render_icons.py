"""Render resources/lectern.svg to the PNG sizes a desktop wants (and a Windows .ico): run after changing the SVG.

`.venv/bin/python packaging/render_icons.py` writes resources/icons/lectern-<size>.png and resources/lectern.ico;
commit them, so a build needs neither Qt's SVG renderer on a server nor rsvg-convert.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_contents as bc  # noqa: E402

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, out_dir: Path) -> list[Path]:
    """One PNG per size in bc.ICON_SIZES, drawn straight from the vector (no downscaling blur), plus the .ico."""
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QPainter needs an application
    renderer = QSvgRenderer(QByteArray(svg.read_bytes()))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not an SVG Qt can draw")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for size in bc.ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"lectern-{size}.png"
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"cannot write {path}")
        written.append(path)
    written.append(_write_ico([p for p in written if int(p.stem.split("-")[1]) in ICO_SIZES],
                              svg.parent / "lectern.ico"))
    return written


def _write_ico(pngs: list[Path], path: Path) -> Path:
    """An .ico holding PNG images (Windows Vista and later read those), written by hand: Qt's ICO writer is a plugin
    that not every PySide6 wheel carries."""
    import struct

    blobs = [p.read_bytes() for p in pngs]
    sizes = [int(p.stem.split("-")[1]) for p in pngs]
    header = struct.pack("<HHH", 0, 1, len(blobs))
    offset = 6 + 16 * len(blobs)
    entries = b""
    for size, blob in zip(sizes, blobs):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    path.write_bytes(header + entries + b"".join(blobs))
    return path


if __name__ == "__main__":
    for p in render(bc.ICON_SVG, bc.ROOT / "resources" / "icons"):
        print(f"wrote {p} ({p.stat().st_size} bytes)")
