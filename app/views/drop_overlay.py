"""A translucent sheet over the window while files are dragged over it: "Drop to add to your library"."""
from __future__ import annotations

from .. import icons
from ..qt import QColor, QEvent, QObject, QPainter, QPalette, QPen, QRectF, Qt, QWidget
from . import style


class DropOverlay(QWidget):
    """Covers its parent and ignores the mouse; the window handles the drop itself."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.hide()
        parent.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parent().rect())
        return False

    def show_over(self) -> None:
        self.setGeometry(self.parent().rect())
        self.raise_()
        self.show()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        accent = pal.color(QPalette.ColorRole.Highlight)
        sheet = QColor(pal.color(QPalette.ColorRole.Window))
        sheet.setAlpha(215)
        p.fillRect(self.rect(), sheet)
        pen = QPen(accent)
        pen.setWidthF(2.5)
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawRoundedRect(QRectF(self.rect()).adjusted(16, 16, -16, -16), 18, 18)
        size = 72
        pix = icons.pixmap("drop", size, accent, self.devicePixelRatioF())
        cx, cy = self.width() // 2, self.height() // 2
        p.drawPixmap(cx - size // 2, cy - size - 10, pix)
        f = self.font()
        f.setPointSizeF(f.pointSizeF() * 1.5)
        f.setWeight(f.Weight.DemiBold)
        p.setFont(f)
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        p.drawText(QRectF(0, cy + 4, self.width(), 40), Qt.AlignmentFlag.AlignCenter, "Drop to add to your library")
        f.setPointSizeF(self.font().pointSizeF())
        f.setWeight(f.Weight.Normal)
        p.setFont(f)
        p.setPen(style.secondary_color(pal))
        p.drawText(QRectF(0, cy + 44, self.width(), 30), Qt.AlignmentFlag.AlignCenter,
                   "PDFs, folders of code, Markdown and text files")
