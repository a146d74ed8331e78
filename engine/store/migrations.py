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


MIGRATIONS: list[Callable[[Connection], None]] = [_v0_to_v1]
SCHEMA_VERSION = len(MIGRATIONS)
