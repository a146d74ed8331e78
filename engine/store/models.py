"""The library's tables (SQLAlchemy 2.x declarative).

documents 1─* sections (a tree through parent_id) 1─* chunks. Chunk text is also indexed by the FTS5 table
`chunks_fts` (external content, kept in step by triggers, see migrations.py); chunk embeddings live in the
`embedding` column as float16 bytes so the FAISS index can always be rebuilt from the database alone.
"""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the library: schema version, embedder identity, vector generation."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String, unique=True)
    root: Mapped[str | None] = mapped_column(String, nullable=True)  # the folder it was ingested with, if any
    kind: Mapped[str] = mapped_column(String)  # pdf | code | text
    sha256: Mapped[str | None] = mapped_column(String, nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    mtime: Mapped[float] = mapped_column(Float, default=0.0)
    title: Mapped[str] = mapped_column(String, default="")
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    line_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # indexed | incomplete (ingest started, not finished) | failed
    status: Mapped[str] = mapped_column(String, default="incomplete")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    pages_without_text: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str | None] = mapped_column(String, nullable=True)
    added_at: Mapped[float] = mapped_column(Float, default=0.0)
    indexed_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    sections: Mapped[list["Section"]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                     passive_deletes=True)


class Section(Base):
    __tablename__ = "sections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), nullable=True)
    ordinal: Mapped[int] = mapped_column(Integer)  # position in document order
    level: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String)
    page_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    page_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    line_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    line_end: Mapped[int | None] = mapped_column(Integer, nullable=True)

    document: Mapped[Document] = relationship(back_populates="sections")


class Chunk(Base):
    __tablename__ = "chunks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)  # position in document order
    text: Mapped[str] = mapped_column(Text)
    # where the chunk sits, for search only ("src/app.py · class App · def run"; "" for PDFs): not source text
    context: Mapped[str] = mapped_column(Text, default="", server_default="")
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    page_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    char_start: Mapped[int] = mapped_column(Integer, default=0)
    char_end: Mapped[int] = mapped_column(Integer, default=0)
    line_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    line_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # JSON list of [page, start, end, x0, y0, x1, y1]: each visual line's offsets in `text` and its box in points
    boxes: Mapped[str] = mapped_column(Text, default="[]")
    n_tokens: Mapped[int] = mapped_column(Integer, default=0)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)

    __table_args__ = (Index("ix_chunks_doc_ordinal", "document_id", "ordinal"),)
