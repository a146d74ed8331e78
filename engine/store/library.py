"""Reads and writes of the library's rows, each write one transaction.

The ingest rule lives here: `begin_document` commits the document as `incomplete` before any parsing, and
`write_document` replaces its sections and chunks and marks it `indexed` in a single transaction. A process
killed in between leaves a library that opens, with that document visibly incomplete; the next ingest sees
the status and finishes it.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select, text, update

from ..types import DocumentInfo, ParsedDocument, SectionInfo
from .db import Database
from .models import Chunk, Document, Section

GENERATION_KEY = "vectors_generation"


class LibraryStore:
    """Repository over the library database."""

    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------------ generation of the vector data
    def generation(self) -> int:
        return int(self.db.meta(GENERATION_KEY, "0") or 0)

    def _bump_generation(self, s) -> int:
        gen = int(s.execute(text("SELECT value FROM meta WHERE key=:k"), {"k": GENERATION_KEY}).scalar() or 0) + 1
        Database.set_meta(s, GENERATION_KEY, str(gen))
        return gen

    # ------------------------------------------------------------------ documents
    def find(self, path: str) -> Document | None:
        with self.db.read() as s:
            return s.execute(select(Document).where(Document.path == path)).scalar_one_or_none()

    def get(self, doc_id: int) -> Document | None:
        with self.db.read() as s:
            return s.get(Document, doc_id)

    def begin_document(self, path: str, kind: str, *, sha256: str | None, size: int, mtime: float,
                       root: str | None) -> int:
        """Create or mark the document `incomplete` (committed) before its content is parsed."""
        with self.db.session() as s:
            doc = s.execute(select(Document).where(Document.path == path)).scalar_one_or_none()
            if doc is None:
                doc = Document(path=path, kind=kind, title="", added_at=time.time())
                s.add(doc)
            doc.kind, doc.root, doc.size, doc.mtime = kind, root, size, mtime
            doc.sha256 = sha256
            # an indexed document being redone keeps its old content searchable until the new one commits
            doc.status = "incomplete"
            doc.error = None
            s.flush()
            return doc.id

    def write_document(self, doc_id: int, parsed: ParsedDocument, embeddings: Sequence[bytes] | None,
                       n_tokens: Sequence[int] | None = None) -> tuple[list[int], list[int], int]:
        """Replace the document's sections and chunks in one transaction and mark it indexed.

        Returns (new chunk ids, removed chunk ids, new vector generation).
        """
        with self.db.session() as s:
            old_ids = list(s.execute(select(Chunk.id).where(Chunk.document_id == doc_id)).scalars())
            s.execute(delete(Chunk).where(Chunk.document_id == doc_id))
            s.execute(delete(Section).where(Section.document_id == doc_id))
            section_ids: list[int] = []
            for i, sec in enumerate(parsed.sections):
                row = Section(document_id=doc_id, ordinal=i, level=sec.level, title=sec.title[:500],
                              parent_id=section_ids[sec.parent] if sec.parent is not None else None,
                              page_start=sec.page_start, page_end=sec.page_end,
                              line_start=sec.line_start, line_end=sec.line_end)
                s.add(row)
                s.flush()  # parents precede children, so the parent's id exists when a child needs it
                section_ids.append(row.id)
            rows = []
            for i, ch in enumerate(parsed.chunks):
                rows.append(Chunk(
                    document_id=doc_id, section_id=section_ids[ch.section], ordinal=i, text=ch.text,
                    context=(ch.context or "")[:1000],
                    page=ch.page, page_end=ch.page_end, char_start=ch.char_start, char_end=ch.char_end,
                    line_start=ch.line_start, line_end=ch.line_end,
                    boxes=json.dumps([[b.page, b.start, b.end, *(round(v, 2) for v in b.rect)] for b in ch.boxes],
                                     separators=(",", ":")),
                    n_tokens=n_tokens[i] if n_tokens else 0,
                    embedding=embeddings[i] if embeddings is not None else None))
            s.add_all(rows)
            s.flush()
            new_ids = [r.id for r in rows]
            s.execute(update(Document).where(Document.id == doc_id).values(
                status="indexed", error=None, title=parsed.title[:500], page_count=parsed.page_count,
                line_count=parsed.line_count, pages_without_text=parsed.pages_without_text,
                language=parsed.language, indexed_at=time.time()))
            gen = self._bump_generation(s)
        return new_ids, old_ids, gen

    def mark_failed(self, path: str, kind: str | None, message: str, *, size: int = 0, mtime: float = 0.0,
                    root: str | None = None) -> None:
        """Record why a file failed. A document that was indexed before keeps its content and gets the message."""
        with self.db.session() as s:
            doc = s.execute(select(Document).where(Document.path == path)).scalar_one_or_none()
            if doc is None:
                s.add(Document(path=path, kind=kind or "text", title="", status="failed", error=message,
                               size=size, mtime=mtime, root=root, added_at=time.time()))
                return
            has_content = s.execute(select(func.count()).select_from(Chunk)
                                    .where(Chunk.document_id == doc.id)).scalar()
            doc.status = "indexed" if has_content else "failed"
            doc.error = message if not has_content else f"Re-indexing failed, the previous version is kept: {message}"
            # the hash must not claim the new content was indexed
            if has_content:
                doc.sha256 = None

    def remove(self, doc_ids: Iterable[int]) -> tuple[list[int], int]:
        """Delete documents (cascading to sections, chunks, FTS rows). Returns (removed chunk ids, generation)."""
        ids = list(doc_ids)
        with self.db.session() as s:
            chunk_ids = list(s.execute(select(Chunk.id).where(Chunk.document_id.in_(ids))).scalars())
            s.execute(delete(Chunk).where(Chunk.document_id.in_(ids)))
            s.execute(delete(Section).where(Section.document_id.in_(ids)))
            s.execute(delete(Document).where(Document.id.in_(ids)))
            gen = self._bump_generation(s)
        return chunk_ids, gen

    def documents(self) -> list[DocumentInfo]:
        with self.db.read() as s:
            counts = dict(s.execute(select(Chunk.document_id, func.count()).group_by(Chunk.document_id)).all())
            docs = s.execute(select(Document).order_by(Document.path)).scalars().all()
        return [DocumentInfo(id=d.id, path=d.path, kind=d.kind, title=d.title, status=d.status, error=d.error,
                             pages=d.page_count, lines=d.line_count, chunks=counts.get(d.id, 0), size=d.size,
                             pages_without_text=d.pages_without_text, root=d.root) for d in docs]

    def documents_under(self, path: str) -> list[Document]:
        """Documents whose path is `path` or lies inside the folder `path`."""
        prefix = path.rstrip("/") + "/"
        with self.db.read() as s:
            return list(s.execute(select(Document).where(
                (Document.path == path) | (Document.path.startswith(prefix, autoescape=True)))).scalars())

    def sections(self, doc_id: int) -> list[SectionInfo]:
        with self.db.read() as s:
            rows = s.execute(select(Section).where(Section.document_id == doc_id).order_by(Section.ordinal)).scalars()
            return [SectionInfo(id=r.id, parent_id=r.parent_id, level=r.level, title=r.title,
                                page_start=r.page_start, page_end=r.page_end, line_start=r.line_start,
                                line_end=r.line_end) for r in rows]

    def all_embeddings(self, batch: int = 50_000):
        """Yield (ids, float16 blobs) of every embedded chunk, in id order, for rebuilding the vector index."""
        last = 0
        while True:
            with self.db.read() as s:
                rows = s.execute(select(Chunk.id, Chunk.embedding).where(Chunk.id > last,
                                                                          Chunk.embedding.is_not(None))
                                 .order_by(Chunk.id).limit(batch)).all()
            if not rows:
                return
            yield [r[0] for r in rows], [r[1] for r in rows]
            last = rows[-1][0]
