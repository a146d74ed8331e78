"""The reader's engine calls: loading a document's layout and outline, rendering pages, finding text.

Page renders run on the read pool. Fast scrolling asks for many pages, so a render that is no longer wanted when
its turn comes is dropped before it costs anything.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine import Cancelled, DocumentInfo, Engine, EngineError, SectionInfo

from ..qt import QImage, QObject, Signal
from ..workers import Tasks

RenderKey = tuple[str, int, float]


@dataclass
class LoadedDocument:
    """What the reader needs to show a document: page sizes (PDF) or text (code, text), and the outline."""

    info: DocumentInfo
    page_sizes: list[tuple[float, float]] = field(default_factory=list)
    text: str | None = None
    sections: list[SectionInfo] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.info.path

    @property
    def is_pdf(self) -> bool:
        return self.info.kind == "pdf"


class ReaderController(QObject):
    """Signals:
        documentLoaded(object): a `LoadedDocument`.
        pageRendered(str, int, float, QImage): path, 1-based page, scale (zoom × device pixel ratio), the image.
        findFinished(str, str, list): path, query, hits as (page, rect) in PDF points.
        quoteLocated(str, int, list): path, page, rectangles of a quote on that page.
        error(str): a message for the reader.
    """

    documentLoaded = Signal(object)
    pageRendered = Signal(str, int, float, QImage)
    findFinished = Signal(str, str, list)
    quoteLocated = Signal(str, int, list)
    error = Signal(str)

    def __init__(self, tasks: Tasks, engine: Callable[[], Engine | None], parent: QObject | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self._engine = engine
        self._in_flight: set[RenderKey] = set()
        self._wanted: set[RenderKey] = set()
        self._load_serial = 0

    # ------------------------------------------------------------------ documents
    def load(self, info: DocumentInfo) -> None:
        eng = self._engine()
        if eng is None:
            return
        self._load_serial += 1
        serial = self._load_serial

        def run() -> LoadedDocument:
            doc = LoadedDocument(info)
            if info.kind == "pdf":
                n = eng.page_count(info.path)
                doc.page_sizes = [eng.page_size(info.path, p) for p in range(1, n + 1)]
            else:
                text = eng.read_text(info.path)
                # The facade promises str; tolerate the engine's SourceText (`.text`) until the two agree.
                doc.text = text if isinstance(text, str) else str(getattr(text, "text", text))
            try:
                doc.sections = eng.sections(info.path)
            except EngineError:
                doc.sections = []  # a document that failed to index has no outline, but can still be read
            return doc

        def done(doc: LoadedDocument) -> None:
            if serial == self._load_serial:  # the reader may have moved on to another document meanwhile
                self.documentLoaded.emit(doc)

        self.tasks.run(self.tasks.reads, run, on_result=done, on_error=self._on_error)

    # ------------------------------------------------------------------ pages
    def want_pages(self, keys: set[RenderKey]) -> None:
        """Declare which renders are still useful; queued renders outside this set are skipped."""
        self._wanted = set(keys)

    def render(self, path: str, page: int, scale: float) -> None:
        key = (path, page, round(scale, 4))
        if key in self._in_flight:
            return
        eng = self._engine()
        if eng is None:
            return
        self._wanted.add(key)
        self._in_flight.add(key)

        def run() -> QImage:
            if key not in self._wanted:
                raise Cancelled("The page scrolled out of view before it was drawn.")
            png, _, _ = eng.render_page(path, page, key[2])
            image = QImage.fromData(png, "PNG")
            if image.isNull():
                raise EngineError(f"Page {page} of {path} could not be drawn.")
            return image

        self.tasks.run(self.tasks.reads, run,
                       on_result=lambda img: self.pageRendered.emit(path, page, key[2], img),
                       on_error=self._on_error, on_finished=lambda: self._in_flight.discard(key))

    # ------------------------------------------------------------------ find and quotes
    def find(self, path: str, query: str) -> None:
        eng = self._engine()
        if eng is None or not query:
            self.findFinished.emit(path, query, [])
            return
        self.tasks.run(self.tasks.reads, eng.find_text, path, query,
                       on_result=lambda hits: self.findFinished.emit(path, query, list(hits)),
                       on_error=self._on_error)

    def locate_quote(self, path: str, page: int, quote: str) -> None:
        """Find the rectangles of `quote` on a page (for citations restored without rectangles)."""
        eng = self._engine()
        if eng is None:
            return
        self.tasks.run(self.tasks.reads, eng.quote_rects, path, page, quote,
                       on_result=lambda rects: self.quoteLocated.emit(path, page, list(rects)),
                       on_error=self._on_error)

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, EngineError):
            self.error.emit(str(exc))
        else:
            from ..crash import report_exception

            report_exception(exc)
