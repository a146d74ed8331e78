"""Plain data passed between the engine's layers and to its callers.

Two families live here:
- what an ingester produces (`ParsedDocument` with `ParsedSection` / `ParsedChunk` / `LineBox`) before it is stored;
- what the facade returns (`Source`, `Citation`, `Answer`, `IngestReport`, `Progress`, stream events).

All are frozen or plain dataclasses without behaviour beyond small conversions, so the app can hold them freely.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

DocKind = Literal["pdf", "code", "text"]
Rect = tuple[float, float, float, float]


# --------------------------------------------------------------------------- ingestion output
@dataclass(frozen=True)
class LineBox:
    """One visual line of a PDF page: where its text sits inside the chunk text and where it sits on the page.

    `start`/`end` are character offsets into the owning chunk's `text`; `rect` is (x0, y0, x1, y1) in PDF points,
    origin top-left (PyMuPDF's convention), on 1-based `page`.
    """

    page: int
    start: int
    end: int
    rect: Rect


@dataclass
class ParsedSection:
    """A node of a document's section tree. `parent` indexes the document's section list (None for a root)."""

    title: str
    level: int
    parent: int | None = None
    page_start: int | None = None
    page_end: int | None = None
    line_start: int | None = None
    line_end: int | None = None


@dataclass
class ParsedChunk:
    """An embedder-sized run of text inside one section.

    PDFs fill `page`/`page_end` and `boxes`; code and text files fill `line_start`/`line_end` (1-based, inclusive).
    `char_start`/`char_end` locate the chunk in the section's text as the ingester joined it.
    `context` is a short locator that is not part of the source text ("src/app.py · class Foo · def bar",
    "README.md · Install · Linux"); retrieval indexes it together with `text` so a chunk is findable by its file and
    definition/heading names, while `text` stays exactly what the cited lines hold.
    """

    section: int
    text: str
    page: int | None = None
    page_end: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    char_start: int = 0
    char_end: int = 0
    boxes: list[LineBox] = field(default_factory=list)
    context: str = ""


@dataclass
class ParsedDocument:
    """Everything an ingester learned about one file, ready to be stored."""

    kind: DocKind
    title: str
    sections: list[ParsedSection]
    chunks: list[ParsedChunk]
    page_count: int | None = None
    line_count: int | None = None
    pages_without_text: int = 0
    warnings: list[str] = field(default_factory=list)
    language: str | None = None


# --------------------------------------------------------------------------- facade results
@dataclass(frozen=True)
class Progress:
    """A progress report. `done`/`total` count `unit`s ("files", "pages", "chunks"); `total` may be 0 if unknown."""

    stage: str
    done: int
    total: int
    unit: str = ""
    path: str | None = None
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class FileReport:
    """The outcome of ingesting one file: status is indexed | unchanged | failed | skipped | incomplete."""

    path: str
    status: str
    kind: str | None = None
    pages: int | None = None
    lines: int | None = None
    chunks: int = 0
    message: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class IngestReport:
    """Per-file outcomes of one ingest call; a bad file never stops the batch."""

    files: list[FileReport] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    def to_json(self) -> dict:
        return {"files": [f.to_json() for f in self.files], "seconds": round(self.seconds, 3),
                "cancelled": self.cancelled, "timings": {k: round(v, 3) for k, v in self.timings.items()},
                "counts": self.counts()}

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out


@dataclass(frozen=True)
class DocumentInfo:
    """A document as listed by `Engine.documents()`."""

    id: int
    path: str
    kind: str
    title: str
    status: str
    error: str | None
    pages: int | None
    lines: int | None
    chunks: int
    size: int
    pages_without_text: int = 0
    root: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SectionInfo:
    """A node of a document's outline as the reader shows it."""

    id: int
    parent_id: int | None
    level: int
    title: str
    page_start: int | None
    page_end: int | None
    line_start: int | None
    line_end: int | None


@dataclass(frozen=True)
class Source:
    """A passage retrieved for a query. `page` is 1-based; `lines` is a 1-based inclusive range for code/text."""

    rank: int
    path: str
    page: int | None
    lines: tuple[int, int] | None
    score: float
    text: str
    rects: tuple[Rect, ...] = ()
    chunk_id: int = 0
    doc_id: int = 0
    section: str = ""
    page_end: int | None = None

    def to_json(self) -> dict:
        return {"rank": self.rank, "path": self.path, "page": self.page,
                "lines": list(self.lines) if self.lines else None, "score": round(self.score, 6),
                "text": self.text, "rects": [[round(v, 2) for v in r] for r in self.rects],
                "section": self.section}


@dataclass(frozen=True)
class Citation:
    """A verified pointer from an answer to the exact words that support it."""

    id: int
    path: str
    page: int | None
    lines: tuple[int, int] | None
    quote: str
    rects: tuple[Rect, ...] = ()
    source_rank: int = 0
    score: float = 0.0

    def to_json(self) -> dict:
        return {"id": self.id, "path": self.path, "page": self.page,
                "lines": list(self.lines) if self.lines else None, "quote": self.quote,
                "rects": [[round(v, 2) for v in r] for r in self.rects]}


@dataclass
class Answer:
    """A finished answer: text with `[n]` markers, the citations those markers resolve to, and what was read."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    sources: list[Source]
    timings: dict[str, float | int | bool] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)
    context: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"question": self.question, "answer": self.answer, "abstained": self.abstained,
                "citations": [c.to_json() for c in self.citations],
                "sources": [s.to_json() for s in self.sources],
                "timings": dict(self.timings), "settings": dict(self.settings), "context": dict(self.context)}


# --------------------------------------------------------------------------- answer stream events
@dataclass(frozen=True)
class TokenEvent:
    """A piece of generated text, in order."""

    text: str


@dataclass(frozen=True)
class SourcesEvent:
    """The passages the model is about to read (sent before the first token) and how the context was planned."""

    sources: tuple[Source, ...]
    context: dict


@dataclass(frozen=True)
class CitationEvent:
    """A citation verified after generation."""

    citation: Citation


@dataclass(frozen=True)
class DoneEvent:
    """The end of a stream: the final, verified answer."""

    answer: Answer


StreamEvent = TokenEvent | SourcesEvent | CitationEvent | DoneEvent
