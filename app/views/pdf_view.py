"""PDF pages in a continuous, zoomable scroll, rendered lazily at the screen's resolution.

The scene is laid out in PDF points (one scene unit = one point, origin at each page's top-left), so the engine's
rectangles (quotes, find hits) map onto pages without conversion; zoom is the view's transform. Pages are white frames
until they come into view, then the engine renders them at zoom × device pixel ratio and the image is scaled back
into the frame, which is one image pixel per device pixel: sharp on HiDPI screens.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from ..qt import (QBrush, QColor, QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene, QGraphicsView, QImage,
                  QPainter, QPen, QPixmap, QPointF, QRectF, Qt, QTimer, QTransform, QWheelEvent, Signal)
from . import style

PAGE_GAP = 12.0  # points between pages
MARGIN = 14.0  # points around the pages
MIN_ZOOM, MAX_ZOOM = 0.1, 8.0
MAX_RENDER_PIXELS = 40_000_000  # one page image at most (a poster page at high zoom would need gigabytes)
KEEP_AROUND = 3  # rendered pages kept beyond the visible ones, so scrolling back is instant
Rect = tuple[float, float, float, float]


class PdfView(QGraphicsView):
    """Signals:
        renderRequested(str, int, float): draw page (1-based) of path at scale (device pixels per point).
        wantedChanged(object): the set of (path, page, scale) renders still useful now.
        pageChanged(int): the page the reader is looking at changed (1-based).
        zoomChanged(float): the zoom (1.0 = 72 dpi at 100%) changed.
    """

    renderRequested = Signal(str, int, float)
    wantedChanged = Signal(object)
    pageChanged = Signal(int)
    zoomChanged = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.setBackgroundBrush(style.viewer_background(self.palette()))
        self.path: str | None = None
        self.sizes: list[tuple[float, float]] = []
        self._tops: list[float] = []
        self._frames: list[QGraphicsRectItem] = []
        self._images: dict[int, tuple[QGraphicsPixmapItem, float]] = {}
        self._highlights: dict[str, list[QGraphicsRectItem]] = {}
        self._zoom = 1.0
        self.fit_mode: str | None = "width"  # "width" | "page" | None (a chosen zoom)
        self._page = 0
        self._update_timer = QTimer(self)
        self._update_timer.setSingleShot(True)
        self._update_timer.setInterval(30)
        self._update_timer.timeout.connect(self._update_visible)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.horizontalScrollBar().valueChanged.connect(self._on_scrolled)

    # ------------------------------------------------------------------ document
    @property
    def page_count(self) -> int:
        return len(self.sizes)

    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def current_page(self) -> int:
        return self._page

    def set_document(self, path: str, sizes: Sequence[tuple[float, float]]) -> None:
        """Lay out the pages of `path` (sizes in points) and show the first one."""
        self.clear()
        self.path = path
        self.sizes = [(float(w), float(h)) for w, h in sizes]
        widest = max((w for w, _ in self.sizes), default=595.0)
        y = MARGIN
        page_brush = QBrush(QColor("white"))  # paper is white in dark mode too: the PDF's own colours assume it
        edge = QPen(QColor(0, 0, 0, 60))
        edge.setCosmetic(True)
        for w, h in self.sizes:
            frame = QGraphicsRectItem(0, 0, w, h)
            frame.setPos(MARGIN + (widest - w) / 2, y)
            frame.setBrush(page_brush)
            frame.setPen(edge)
            self.scene().addItem(frame)
            self._frames.append(frame)
            self._tops.append(y)
            y += h + PAGE_GAP
        self.scene().setSceneRect(0, 0, widest + 2 * MARGIN, y - PAGE_GAP + MARGIN)
        self._page = 0
        self._apply_fit()
        self.verticalScrollBar().setValue(self.verticalScrollBar().minimum())
        self._update_visible()

    def clear(self) -> None:
        self.scene().clear()
        self.path = None
        self.sizes, self._tops, self._frames = [], [], []
        self._images.clear()
        self._highlights.clear()
        self._page = 0

    # ------------------------------------------------------------------ zoom
    def set_zoom(self, zoom: float, anchor: QPointF | None = None, fit: str | None = None) -> None:
        """Zoom to `zoom`, keeping the scene point under `anchor` (viewport coordinates; default: the centre) still."""
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        self.fit_mode = fit
        if abs(zoom - self._zoom) < 1e-4 and abs(self.transform().m11() - zoom) < 1e-4:
            return
        anchor = anchor if anchor is not None else QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor.toPoint())
        self._zoom = zoom
        self.setTransform(QTransform.fromScale(zoom, zoom))
        after = self.mapFromScene(before)
        delta = after - anchor.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())
        self.zoomChanged.emit(zoom)
        self._schedule_update()

    def fit_width(self) -> None:
        self.fit_mode = "width"
        self._apply_fit()

    def fit_page(self) -> None:
        self.fit_mode = "page"
        self._apply_fit()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self._zoom * factor, anchor)

    def _fit_zoom(self, mode: str) -> float:
        rect = self.scene().sceneRect()
        if rect.width() <= 0:
            return self._zoom
        avail_w = max(50, self.viewport().width() - 2)
        z = avail_w / rect.width()
        if mode == "page" and self.sizes:
            tallest = max(h for _, h in self.sizes)
            z = min(z, max(50, self.viewport().height() - 4) / (tallest + 2 * PAGE_GAP))
        return z

    def _apply_fit(self) -> None:
        if self.fit_mode is None:
            self.set_zoom(self._zoom, fit=None)
            return
        page = self._page or 1
        self.set_zoom(self._fit_zoom(self.fit_mode), fit=self.fit_mode)
        if self.sizes:
            self.go_to_page(page)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fit_mode is not None and self.sizes:
            page = self._page or 1
            self.set_zoom(self._fit_zoom(self.fit_mode), fit=self.fit_mode)
            self.go_to_page(page)
        self._schedule_update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.zoom_by(1.15 ** steps, event.position())
            event.accept()
            return
        super().wheelEvent(event)

    # ------------------------------------------------------------------ navigation
    def go_to_page(self, page: int, y: float | None = None) -> None:
        """Scroll so `page` (1-based) — or the point `y` points down it — is at the top of the view."""
        if not self.sizes:
            return
        page = max(1, min(page, len(self.sizes)))
        top = self._tops[page - 1] + (y if y is not None else 0.0) - (PAGE_GAP / 2 if y is None else 24 / self._zoom)
        self.verticalScrollBar().setValue(round(top * self._zoom))
        self._update_visible()

    def page_at(self, scene_y: float) -> int:
        if not self._tops:
            return 0
        return max(1, bisect.bisect_right(self._tops, scene_y))

    def visible_pages(self) -> range:
        if not self._tops:
            return range(0)
        area = self.mapToScene(self.viewport().rect()).boundingRect()
        first = self.page_at(area.top())
        last = self.page_at(area.bottom())
        return range(first, last + 1)

    def _on_scrolled(self) -> None:
        self._schedule_update()
        area = self.mapToScene(self.viewport().rect()).boundingRect()
        page = self.page_at(area.top() + area.height() * 0.3)
        if page and page != self._page:
            self._page = page
            self.pageChanged.emit(page)

    def _schedule_update(self) -> None:
        if not self._update_timer.isActive():
            self._update_timer.start()

    # ------------------------------------------------------------------ rendering
    def render_scale(self, page: int) -> float:
        """Device pixels per point for a page at the current zoom, capped to keep one image within bounds."""
        s = self._zoom * self.viewport().devicePixelRatioF()
        w, h = self.sizes[page - 1]
        if w * h * s * s > MAX_RENDER_PIXELS:
            s = (MAX_RENDER_PIXELS / (w * h)) ** 0.5
        return round(s, 4)

    def _update_visible(self) -> None:
        if not self.path or not self.sizes:
            return
        visible = self.visible_pages()
        if not visible:
            return
        if not self._page:
            self._page = visible.start
            self.pageChanged.emit(self._page)
        keep = range(max(1, visible.start - KEEP_AROUND), min(len(self.sizes), visible.stop - 1 + KEEP_AROUND) + 1)
        for page in [p for p in self._images if p not in keep]:
            item, _ = self._images.pop(page)
            self.scene().removeItem(item)
        wanted = set()
        # the pages in view first, then one on each side so the next page is ready when scrolled to
        order = list(visible) + [p for p in (visible.start - 1, visible.stop) if 1 <= p <= len(self.sizes)]
        for page in order:
            scale = self.render_scale(page)
            wanted.add((self.path, page, scale))
            have = self._images.get(page)
            if have is None or abs(have[1] - scale) > 1e-3:
                self.renderRequested.emit(self.path, page, scale)
        self.wantedChanged.emit(wanted)

    def set_page_image(self, path: str, page: int, scale: float, image: QImage) -> None:
        """A rendered page arrived; show it unless the reader moved on to another document or zoom."""
        if path != self.path or not (1 <= page <= len(self.sizes)):
            return
        want = self.render_scale(page)
        have = self._images.get(page)
        if have is not None and abs(have[1] - want) <= abs(scale - want):
            return
        if have is not None:
            self.scene().removeItem(have[0])
        item = QGraphicsPixmapItem(QPixmap.fromImage(image), self._frames[page - 1])
        item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        item.setScale(1.0 / scale)
        item.setZValue(0)
        self._images[page] = (item, scale)

    def rendered_pages(self) -> dict[int, float]:
        """Pages with an image, and the scale each was drawn at."""
        return {p: s for p, (_, s) in self._images.items()}

    # ------------------------------------------------------------------ highlights
    def show_highlights(self, kind: str, hits: Iterable[tuple[int, Rect]], *, fill: QColor, outline: QColor | None = None,
                        scroll_to: int | None = None) -> list[QGraphicsRectItem]:
        """Draw translucent rectangles (PDF points, 1-based pages) replacing earlier ones of the same kind.

        Args:
            scroll_to: index of the hit to bring into view, or None to leave the scroll position alone.
        Returns:
            The rectangle items, in the order of `hits`.
        """
        self.clear_highlights(kind)
        items: list[QGraphicsRectItem] = []
        pen = QPen(outline) if outline is not None else QPen(Qt.PenStyle.NoPen)
        pen.setCosmetic(True)
        for page, (x0, y0, x1, y1) in hits:
            if not (1 <= page <= len(self._frames)):
                continue
            item = QGraphicsRectItem(QRectF(x0, y0, x1 - x0, y1 - y0), self._frames[page - 1])
            item.setBrush(QBrush(fill))
            item.setPen(pen)
            item.setZValue(2 if kind == "citation" else 1)
            item.setData(0, (page, (x0, y0, x1, y1)))
            items.append(item)
        self._highlights[kind] = items
        if scroll_to is not None and 0 <= scroll_to < len(items):
            self._reveal(items, scroll_to)
        return items

    def highlights(self, kind: str) -> list[QGraphicsRectItem]:
        return list(self._highlights.get(kind, []))

    def clear_highlights(self, kind: str) -> None:
        for item in self._highlights.pop(kind, []):
            if item.scene() is not None:
                self.scene().removeItem(item)

    def _reveal(self, items: list[QGraphicsRectItem], index: int) -> None:
        """Bring the hit (and the others on its page, when they fit) into view, a little below the top."""
        target = items[index]
        page_items = [i for i in items if i.parentItem() is target.parentItem()]
        area = QRectF()
        for i in page_items:
            area = area.united(i.sceneBoundingRect())
        view_h = self.viewport().height() / self._zoom
        if area.height() > view_h * 0.8:
            area = target.sceneBoundingRect()
        top = max(0.0, area.top() - view_h * 0.25)
        self.verticalScrollBar().setValue(round(top * self._zoom))
        view_w = self.viewport().width() / self._zoom
        if area.right() > self.mapToScene(self.viewport().rect()).boundingRect().right() or \
                area.left() < self.mapToScene(self.viewport().rect()).boundingRect().left():
            self.horizontalScrollBar().setValue(round(max(0.0, area.left() - view_w * 0.1) * self._zoom))
        self._update_visible()
