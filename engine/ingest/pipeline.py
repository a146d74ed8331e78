"""Ingesting a batch of paths: walk → hash → parse → embed → one transaction per document → vector index.

Each file is its own unit of work: a bad file is reported and the batch goes on, and a document is either
written completely (sections, chunks, FTS rows, embeddings and `indexed` status in one transaction) or left
`incomplete` for the next ingest to finish. The vector index is derived from the database and saved at the end
(and every few seconds during long batches); after a crash it is rebuilt from the stored embeddings.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..cancel import ProgressCallback, check, report
from ..errors import Cancelled, EngineError, IngestError
from ..index.vectors import VectorIndex, vectors_to_blob
from ..settings import IngestSettings
from ..store.library import LibraryStore
from ..types import FileReport, IngestReport, ParsedDocument
from .walk import WalkEntry, WalkSkip, walk

SAVE_EVERY_S = 20.0


class DocumentEmbedder(Protocol):
    name: str
    dim: int

    def count_tokens(self, texts: list[str]) -> list[int]: ...

    def embed(self, texts: list[str], *, cancel=None, progress=None) -> np.ndarray:
        """`progress` receives Progress(done, total) in chunks."""


@dataclass
class _Timer:
    parse: float = 0.0
    embed: float = 0.0
    index: float = 0.0
    pages: int = 0
    chunks: int = 0


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def embed_texts(parsed: ParsedDocument) -> list[str]:
    """What the embedder sees per chunk: a short context line (section or definition) before the text.

    The context makes a passage findable by where it sits ("Installation › Options") even when its own words
    differ from the question's; the stored text and citations stay exactly the document's words.
    """
    out = []
    for ch in parsed.chunks:
        ctx = getattr(ch, "context", "") or parsed.sections[ch.section].title
        out.append(f"{ctx}\n{ch.text}" if ctx else ch.text)
    return out


class IngestPipeline:
    """Runs one ingest call over a store, a vector index and an embedder."""

    def __init__(self, store: LibraryStore, vectors: VectorIndex, embedder: DocumentEmbedder,
                 settings: IngestSettings, save_vectors: Callable[[], None]):
        self.store = store
        self.vectors = vectors
        self.embedder = embedder
        self.settings = settings
        self.save_vectors = save_vectors

    def run(self, paths: list[str | Path], progress: ProgressCallback, cancelled: Callable[[], bool]) -> IngestReport:
        t0 = time.perf_counter()
        rep = IngestReport()
        timer = _Timer()
        report(progress, stage="scan", done=0, total=0, unit="files", message="Looking for files…")
        entries: list[WalkEntry | WalkSkip] = []
        try:
            for item in walk(paths, max_file_bytes=self.settings.max_file_bytes, cancel=cancelled):
                entries.append(item)
                if len(entries) % 500 == 0:
                    report(progress, stage="scan", done=len(entries), total=0, unit="files")
        except Cancelled:
            rep.cancelled = True
        files = [e for e in entries if isinstance(e, WalkEntry)]
        for skip in (e for e in entries if isinstance(e, WalkSkip)):
            rep.files.append(FileReport(path=str(skip.path), status="skipped", message=skip.reason))
        last_save = time.monotonic()
        dirty = False
        for i, entry in enumerate(files):
            if rep.cancelled or cancelled():
                rep.cancelled = True
                break
            report(progress, stage="files", done=i, total=len(files), unit="files", path=str(entry.path))
            try:
                fr, wrote = self._one(entry, progress, cancelled, timer)
            except Cancelled:
                rep.cancelled = True
                rep.files.append(FileReport(path=str(entry.path), status="incomplete", kind=entry.kind,
                                            message="Cancelled; it will be finished on the next ingest."))
                break
            rep.files.append(fr)
            dirty |= wrote
            if dirty and time.monotonic() - last_save > SAVE_EVERY_S:
                self.save_vectors()
                last_save, dirty = time.monotonic(), False
        if dirty:
            t = time.perf_counter()
            self.save_vectors()
            timer.index += time.perf_counter() - t
        report(progress, stage="files", done=len(files), total=len(files), unit="files")
        rep.seconds = time.perf_counter() - t0
        rep.timings = {"parse_s": timer.parse, "embed_s": timer.embed, "index_s": timer.index,
                       "pages": timer.pages, "chunks": timer.chunks}
        return rep

    # ------------------------------------------------------------------ one file
    def _one(self, entry: WalkEntry, progress: ProgressCallback, cancelled: Callable[[], bool],
             timer: _Timer) -> tuple[FileReport, bool]:
        path = Path(entry.path)
        spath = str(path)
        root = str(entry.root) if entry.root else None
        t0 = time.perf_counter()
        try:
            st = path.stat()
            existing = self.store.find(spath)
            if (existing is not None and existing.status == "indexed" and existing.sha256
                    and existing.size == st.st_size and existing.mtime == st.st_mtime):
                return self._unchanged(existing, spath, t0), False
            sha = file_sha256(path)
        except OSError as exc:
            msg = f"{path.name} cannot be read: {exc.strerror or exc}"
            self.store.mark_failed(spath, entry.kind, msg, root=root)
            return FileReport(path=spath, status="failed", kind=entry.kind, message=msg), False
        if existing is not None and existing.status == "indexed" and existing.sha256 == sha:
            return self._unchanged(existing, spath, t0), False
        doc_id = self.store.begin_document(spath, entry.kind, sha256=sha, size=st.st_size, mtime=st.st_mtime,
                                           root=root)
        try:
            parsed = self._parse(entry, progress, cancelled, timer)
            check(cancelled)
            te = time.perf_counter()
            texts = embed_texts(parsed)
            n_tokens = self.embedder.count_tokens([c.text for c in parsed.chunks])
            vecs = self.embedder.embed(texts, cancel=cancelled, progress=lambda p: report(
                progress, stage="embed", done=p.done, total=p.total, unit="chunks", path=spath))
            timer.embed += time.perf_counter() - te
            ti = time.perf_counter()
            new_ids, old_ids, _ = self.store.write_document(doc_id, parsed, vectors_to_blob(vecs), n_tokens)
            self.vectors.remove(old_ids)
            self.vectors.add(np.asarray(new_ids, dtype=np.int64), vecs)
            timer.index += time.perf_counter() - ti
        except Cancelled:
            raise
        except IngestError as exc:
            msg = str(exc)
            self.store.mark_failed(spath, entry.kind, msg, size=st.st_size, mtime=st.st_mtime, root=root)
            return FileReport(path=spath, status="failed", kind=entry.kind, message=msg,
                              seconds=time.perf_counter() - t0), False
        except EngineError:
            raise  # store / model problems are not the file's fault: stop the batch with that message
        except Exception as exc:  # noqa: BLE001 - an unexpected parser failure must not stop the batch
            msg = f"{path.name} could not be read ({type(exc).__name__}: {exc})"
            self.store.mark_failed(spath, entry.kind, msg, size=st.st_size, mtime=st.st_mtime, root=root)
            return FileReport(path=spath, status="failed", kind=entry.kind, message=msg,
                              seconds=time.perf_counter() - t0), False
        timer.pages += parsed.page_count or 0
        timer.chunks += len(parsed.chunks)
        msg = "; ".join(parsed.warnings)
        return FileReport(path=spath, status="indexed", kind=parsed.kind, pages=parsed.page_count,
                          lines=parsed.line_count, chunks=len(parsed.chunks), message=msg,
                          seconds=time.perf_counter() - t0), True

    def _unchanged(self, existing, spath: str, t0: float) -> FileReport:
        return FileReport(path=spath, status="unchanged", kind=existing.kind, pages=existing.page_count,
                          lines=existing.line_count, message="Already indexed and unchanged.",
                          seconds=time.perf_counter() - t0)

    def _parse(self, entry: WalkEntry, progress: ProgressCallback, cancelled: Callable[[], bool],
               timer: _Timer) -> ParsedDocument:
        t = time.perf_counter()
        st = self.settings
        common = {"count_tokens": self.embedder.count_tokens, "chunk_tokens": st.chunk_tokens}
        spath = str(entry.path)
        if entry.kind == "pdf":
            from .pdf import parse_pdf

            parsed = parse_pdf(entry.path, ocr=st.ocr, ocr_language=st.ocr_language, cancel=cancelled,
                               progress=lambda d, n: report(progress, stage="parse", done=d, total=n, unit="pages",
                                                            path=spath), **common)
        elif entry.kind == "code":
            from .code import parse_code

            parsed = parse_code(entry.path, root=entry.root, **common)
        else:
            from .text import parse_text

            parsed = parse_text(entry.path, root=entry.root, **common)
        timer.parse += time.perf_counter() - t
        return parsed

