"""Schema upgrades on a real SQLite file: a library made by an earlier schema opens, keeps everything and gains
what the new schema adds (v2: chunk locators in the full-text index)."""
from __future__ import annotations

import sqlite3

from engine import Engine
from engine.store.db import DB_FILENAME
from engine.store.migrations import SCHEMA_VERSION

# A long function: its body is cut into several chunks, and only the first holds the `def` line.
_BODY = "\n".join(f"    total_{i} = entries[{i}].amount * rates.get(entries[{i}].currency, 1.0)" for i in range(90))
SOURCE = f'''"""Bookkeeping helpers."""


def reconcile_ledger(entries, rates):
    """Sum the entries in the house currency."""
{_BODY}
    return sum(v for k, v in locals().items() if k.startswith("total_"))


def format_amount(value):
    return f"{{value:,.2f}}"
'''


def _library(tmp_path, embedder):
    project = tmp_path / "project" / "books"
    project.mkdir(parents=True)
    (project / "ledger.py").write_text(SOURCE, encoding="utf-8")
    (project / "NOTES.md").write_text("# Ledger\n\n## Currencies\n\nRates come from the bank each morning.\n",
                                      encoding="utf-8")
    lib = tmp_path / "lib"
    with Engine.open(lib, embedder=embedder) as eng:
        assert eng.ingest([tmp_path / "project"]).ok
    return lib


def _chunks(lib):
    with sqlite3.connect(lib / DB_FILENAME) as c:
        return c.execute("SELECT c.id, c.text, c.context, c.line_start FROM chunks c ORDER BY c.id").fetchall()


def _bm25_ids(lib, embedder, query):
    with Engine.open(lib, embedder=embedder) as eng:
        return {cid for cid, _ in eng.retriever().bm25(query, 50)}


def test_every_chunk_of_a_long_definition_is_found_by_its_name(tmp_path, embedder):
    lib = _library(tmp_path, embedder)
    body = [(cid, ctx) for cid, text, ctx, _ in _chunks(lib) if "total_" in text]
    assert len(body) >= 3  # the function really is cut into several chunks
    assert all(ctx == "books/ledger.py · def reconcile_ledger" for _, ctx in body)
    assert any("reconcile_ledger" not in text for _, text, _, _ in _chunks(lib) if "total_" in text)
    # BM25 alone (before any re-ranking) now finds the middle of the body by the function's name
    assert {cid for cid, _ in body} <= _bm25_ids(lib, embedder, "reconcile ledger")


def _downgrade_to_v1(lib) -> None:
    """Turn the library into what the first release wrote: no locator column, a text-only FTS index."""
    with sqlite3.connect(lib / DB_FILENAME) as c:
        for trigger in ("chunks_ai", "chunks_ad", "chunks_au"):
            c.execute(f"DROP TRIGGER {trigger}")
        c.execute("DROP TABLE chunks_vocab")
        c.execute("DROP TABLE chunks_fts")
        c.execute("ALTER TABLE chunks DROP COLUMN context")
        c.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', "
                  "tokenize='porter unicode61 remove_diacritics 2')")
        c.execute("CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN "
                  "INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text); END")
        c.execute("CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN "
                  "INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text); END")
        c.execute("CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, row)")
        c.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")
        c.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")


def test_a_v1_library_upgrades_with_the_locators_ingest_would_write(tmp_path, embedder):
    lib = _library(tmp_path, embedder)
    written = _chunks(lib)
    _downgrade_to_v1(lib)
    with sqlite3.connect(lib / DB_FILENAME) as c:
        assert "context" not in {r[1] for r in c.execute("PRAGMA table_info(chunks)")}
    middle = [cid for cid, text, _, _ in written if "total_4" in text and "reconcile_ledger" not in text]
    with sqlite3.connect(lib / DB_FILENAME) as c:  # what v1's index finds (opening an Engine would upgrade it)
        v1_hits = {r[0] for r in c.execute("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH 'reconcile'")}
    assert middle and v1_hits and not set(middle) & v1_hits

    with Engine.open(lib, embedder=embedder) as eng:  # upgrades
        hits = eng.search("reconcile ledger", k=5)
        assert hits and hits[0].path.endswith("ledger.py")
    with sqlite3.connect(lib / DB_FILENAME) as c:
        assert c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    # nothing lost, and every chunk has the locator a fresh ingest gives it (code, markdown headings)
    assert _chunks(lib) == written
    assert any(ctx == "books/NOTES.md · Ledger · Currencies" for _, _, ctx, _ in written)
    assert set(middle) <= _bm25_ids(lib, embedder, "reconcile ledger")


def test_the_index_follows_removal_after_the_upgrade(tmp_path, embedder):
    lib = _library(tmp_path, embedder)
    _downgrade_to_v1(lib)
    with Engine.open(lib, embedder=embedder) as eng:
        eng.remove([tmp_path / "project" / "books" / "ledger.py"])
    assert not _bm25_ids(lib, embedder, "reconcile")
    assert _bm25_ids(lib, embedder, "currencies")
