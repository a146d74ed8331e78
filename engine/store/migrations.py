"""Schema versions and the steps between them.

Every released schema stays reachable: `MIGRATIONS[n]` upgrades version n to n + 1 inside one transaction, so a
library made by the first release opens in every later one. Never edit a released step; append a new one.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text

from .models import Base


def _v0_to_v1(conn: Connection) -> None:
    """The first schema: tables from models.py plus the FTS5 index over chunk text."""
    Base.metadata.create_all(conn)
    # External-content FTS5: the text lives once, in chunks; triggers keep the index in step, also on the
    # cascade deletes that removing a document causes. Porter stemming lets "configuring" find "configure".
    conn.execute(text(
        "CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5("
        "text, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"))
    conn.execute(text(
        "CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN "
        "INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text); END"))
    conn.execute(text(
        "CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN "
        "INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text); END"))
    conn.execute(text(
        "CREATE TRIGGER IF NOT EXISTS chunks_au AFTER UPDATE OF text ON chunks BEGIN "
        "INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text); "
        "INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text); END"))
    # The vocabulary of the index, for typo-tolerant queries ("Celeron" finds "Céloron").
    conn.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, row)"))
    # Section titles get their own small index: hierarchical retrieval scores sections by title too.
    conn.execute(text(
        "CREATE VIRTUAL TABLE IF NOT EXISTS sections_fts USING fts5("
        "title, content='sections', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"))
    conn.execute(text(
        "CREATE TRIGGER IF NOT EXISTS sections_ai AFTER INSERT ON sections BEGIN "
        "INSERT INTO sections_fts(rowid, title) VALUES (new.id, new.title); END"))
    conn.execute(text(
        "CREATE TRIGGER IF NOT EXISTS sections_ad AFTER DELETE ON sections BEGIN "
        "INSERT INTO sections_fts(sections_fts, rowid, title) VALUES ('delete', old.id, old.title); END"))


def _v1_to_v2(conn: Connection) -> None:
    """Chunk locators in the full-text index: `chunks.context` ("src/app.py · class App · def run") becomes a
    second FTS5 column, so BM25 finds a definition by its name or its file's even when the chunk is the middle
    of the body. Existing code and text documents get their locator from the stored section tree."""
    columns = {row[1] for row in conn.execute(text("PRAGMA table_info(chunks)"))}
    if "context" not in columns:  # a library made before v2; a new one got the column from models.py
        conn.execute(text("ALTER TABLE chunks ADD COLUMN context TEXT NOT NULL DEFAULT ''"))
        _fill_contexts(conn)
    for trigger in ("chunks_ai", "chunks_ad", "chunks_au"):
        conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
    conn.execute(text("DROP TABLE IF EXISTS chunks_vocab"))
    conn.execute(text("DROP TABLE IF EXISTS chunks_fts"))
    conn.execute(text(
        "CREATE VIRTUAL TABLE chunks_fts USING fts5("
        "text, context, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"))
    conn.execute(text(
        "CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN "
        "INSERT INTO chunks_fts(rowid, text, context) VALUES (new.id, new.text, new.context); END"))
    conn.execute(text(
        "CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN "
        "INSERT INTO chunks_fts(chunks_fts, rowid, text, context) VALUES ('delete', old.id, old.text, old.context); "
        "END"))
    conn.execute(text(
        "CREATE TRIGGER chunks_au AFTER UPDATE OF text, context ON chunks BEGIN "
        "INSERT INTO chunks_fts(chunks_fts, rowid, text, context) VALUES ('delete', old.id, old.text, old.context); "
        "INSERT INTO chunks_fts(rowid, text, context) VALUES (new.id, new.text, new.context); END"))
    conn.execute(text("CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, row)"))
    conn.execute(text("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')"))


def _fill_contexts(conn: Connection) -> None:
    """The locator ingest writes (ingest/code.py, ingest/text.py), rebuilt from the section tree: the titles from
    the file's section down to the chunk's (code: below the directory section; text: from the root)."""
    sections = {sid: (parent, level, title) for sid, parent, level, title in
                conn.execute(text("SELECT id, parent_id, level, title FROM sections"))}
    rows = conn.execute(text("SELECT c.id, c.section_id, d.kind FROM chunks c JOIN documents d "
                             "ON d.id = c.document_id WHERE d.kind IN ('code', 'text')")).all()
    updates = []
    for chunk_id, section_id, kind in rows:
        titles, sid = [], section_id
        while sid is not None and sid in sections:
            parent, level, title = sections[sid]
            if kind == "code" and level == 0:
                break  # the directory: the file's own title already holds its path
            titles.append(title)
            sid = parent
        updates.append({"c": " · ".join(reversed(titles))[:1000], "i": chunk_id})
    if updates:  # one executemany: a large code library has tens of thousands of chunks
        conn.execute(text("UPDATE chunks SET context = :c WHERE id = :i"), updates)


MIGRATIONS: list[Callable[[Connection], None]] = [_v0_to_v1, _v1_to_v2]
SCHEMA_VERSION = len(MIGRATIONS)
