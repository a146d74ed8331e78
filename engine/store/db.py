"""Opening the library database: SQLite in WAL mode through SQLAlchemy, migrated to the current schema.

WAL lets the app read while an ingest writes, and makes each committed document durable; a process killed
mid-transaction leaves the previous committed state, which is what per-document transactional ingest relies on.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import StoreError
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .models import Meta

DB_FILENAME = "library.sqlite3"


def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it consistent on a crash
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")  # the app and a CLI ingest may share a library
    cur.close()


class Database:
    """The library's SQLite file. Use `session()` for a unit of work that commits or rolls back as a whole."""

    def __init__(self, library_dir: Path):
        self.path = Path(library_dir) / DB_FILENAME
        try:
            self.engine = create_engine(f"sqlite:///{self.path}", future=True)
            event.listen(self.engine, "connect", _on_connect)
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
            self._migrate()
        except (OperationalError, DatabaseError, sqlite3.DatabaseError) as exc:
            raise StoreError(f"The library database {self.path} cannot be opened: {exc.args[0] if exc.args else exc}"
                             ) from exc

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            version = self._version(conn)
            if version > SCHEMA_VERSION:
                raise StoreError(f"The library at {self.path.parent} was made by a newer Lectern "
                                 f"(schema {version}, this one knows {SCHEMA_VERSION}).")
            for step in MIGRATIONS[version:]:
                step(conn)
            if version != SCHEMA_VERSION:
                conn.execute(text("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', :v)"),
                             {"v": str(SCHEMA_VERSION)})

    @staticmethod
    def _version(conn) -> int:
        has_meta = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'")).first()
        if not has_meta:
            return 0
        row = conn.execute(text("SELECT value FROM meta WHERE key='schema_version'")).first()
        return int(row[0]) if row else 0

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def read(self) -> Session:
        """A session for reads only (the caller closes it, or uses it in a with-block)."""
        return self._sessions()

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self.read() as s:
            row = s.execute(select(Meta.value).where(Meta.key == key)).first()
        return row[0] if row else default

    @staticmethod
    def set_meta(s: Session, key: str, value: str) -> None:
        s.merge(Meta(key=key, value=value))

    def close(self) -> None:
        self.engine.dispose()
