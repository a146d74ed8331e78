"""The library through `Engine`: what ingest reports, the unchanged-file no-op, a changed file re-indexed, removal
from store and index, and a batch of bad files that loses nothing already in the library. Real PDFs, a real code
folder, the packaged embedder and a real SQLite file."""
from __future__ import annotations

import sqlite3

import pymupdf as fitz

from engine import Engine
from engine.store.db import DB_FILENAME
from tests.engine.ingest.pdfgen import PdfBuilder

PAGES = [
    "The lighthouse keeper records the weather at dawn and lights the lamp at dusk.",
    "Fog signals sound every thirty seconds while visibility stays under two miles.",
    "The lens was ground in Paris and floats on a bath of mercury to turn smoothly.",
]

TIDES = '''"""Tide tables for the harbour."""


def high_water(day):
    """Minutes after midnight of the first high water on `day`."""
    return (day * 50 + 120) % 1440
'''

TIDES_CHANGED = TIDES + '''

def spring_tide(day):
    """Whether the moon makes an unusually large tidal range on `day`."""
    return day % 15 in (0, 1)
'''


def _book(path):
    b = PdfBuilder()
    for text in PAGES:
        b.new_page().paragraph(text)
    b.save(path)


def _folder(tmp_path):
    root = tmp_path / "station"
    root.mkdir()
    _book(root / "keeper.pdf")
    (root / "tides.py").write_text(TIDES, encoding="utf-8")
    (root / "NOTES.md").write_text("# Supplies\n\nParaffin arrives by boat on the first Monday.\n", encoding="utf-8")
    return root


def _chunk_rows(lib):
    with sqlite3.connect(lib / DB_FILENAME) as c:
        return c.execute("SELECT c.id, d.path, c.text FROM chunks c JOIN documents d ON d.id = c.document_id "
                         "ORDER BY c.id").fetchall()


def _fts_hits(lib, word):
    with sqlite3.connect(lib / DB_FILENAME) as c:
        return c.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (word,)).fetchone()[0]


def test_unchanged_is_a_no_op_a_change_is_reindexed_and_remove_clears_store_and_index(tmp_path, embedder):
    root = _folder(tmp_path)
    lib = tmp_path / "lib"
    with Engine.open(lib, embedder=embedder) as eng:
        first = eng.ingest([root])
        assert {f.status for f in first.files} == {"indexed"} and len(first.files) == 3
        assert all(f.path.startswith(str(root)) for f in first.files)  # absolute paths
        rows = _chunk_rows(lib)
        vectors = eng.vectors.size

        again = eng.ingest([root])
        assert {f.status for f in again.files} == {"unchanged"}
        assert _chunk_rows(lib) == rows and eng.vectors.size == vectors  # not a row or a vector touched

        (root / "tides.py").write_text(TIDES_CHANGED, encoding="utf-8")
        third = eng.ingest([root])
        assert {f.path.rsplit("/", 1)[-1]: f.status for f in third.files} == {
            "keeper.pdf": "unchanged", "NOTES.md": "unchanged", "tides.py": "indexed"}
        hit = eng.search("Which function says whether a spring tide is due?", k=1)[0]
        assert hit.path == str(root / "tides.py") and hit.lines is not None
        lines = TIDES_CHANGED.splitlines()
        assert any("def spring_tide" in line for line in lines[hit.lines[0] - 1:hit.lines[1]])
        assert [r for r in _chunk_rows(lib) if r[1].endswith("keeper.pdf")] == \
            [r for r in rows if r[1].endswith("keeper.pdf")]  # the other documents kept their chunks

        assert _fts_hits(lib, "mercury") == 1
        removed = eng.remove([root / "keeper.pdf"])
        assert removed == [str(root / "keeper.pdf")]
        assert [d.path for d in eng.documents()] == sorted([str(root / "NOTES.md"), str(root / "tides.py")])
        assert _fts_hits(lib, "mercury") == 0
        assert eng.vectors.size == len(_chunk_rows(lib))  # vectors follow the chunks
        assert all(s.path != str(root / "keeper.pdf") for s in eng.search("lens floating on mercury", k=5))


def test_sources_carry_the_page_and_rectangles_inside_it(tmp_path, embedder):
    root = _folder(tmp_path)
    with Engine.open(tmp_path / "lib", embedder=embedder) as eng:
        eng.ingest([root])
        hit = eng.search("How often do the fog signals sound?", k=1)[0]
        assert hit.path == str(root / "keeper.pdf") and hit.page == 2 and hit.lines is None
        assert "thirty seconds" in hit.text and hit.rects
        width, height = eng.page_size(hit.path, hit.page)
        assert all(0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height for x0, y0, x1, y1 in hit.rects)
        with fitz.open(hit.path) as doc:  # the rectangles sit on the page's words
            words = " ".join(doc[hit.page - 1].get_textbox(fitz.Rect(r)) for r in hit.rects)
        assert "thirty seconds" in " ".join(words.split())


def test_a_batch_of_bad_files_is_reported_file_by_file_and_loses_nothing(tmp_path, embedder):
    root = _folder(tmp_path)
    lib = tmp_path / "lib"
    with Engine.open(lib, embedder=embedder) as eng:
        assert eng.ingest([root]).ok
        before = _chunk_rows(lib)

        bad = tmp_path / "inbox"
        bad.mkdir()
        good = (root / "keeper.pdf").read_bytes()
        (bad / "truncated.pdf").write_bytes(good[: len(good) // 3])
        (bad / "not-a-pdf.pdf").write_bytes(b"plain words, not a PDF at all")
        locked = fitz.open()
        locked.new_page().insert_text((72, 100), "Secret text.")
        locked.save(bad / "locked.pdf", encryption=fitz.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="u")
        (bad / "empty.md").write_bytes(b"")
        (bad / "photo.xyz").write_bytes(b"\x00\x01")
        (bad / "legacy.c").write_bytes("/* Café crème */\nint brew(void) { return 1; }\n".encode("latin-1"))

        rep = eng.ingest([bad / n for n in ("truncated.pdf", "not-a-pdf.pdf", "locked.pdf", "empty.md",
                                            "photo.xyz", "legacy.c")] + [root, tmp_path / "missing.pdf"])
        by_name = {f.path.rsplit("/", 1)[-1]: f for f in rep.files}
        assert by_name["truncated.pdf"].status == "failed"
        assert "damaged" in by_name["truncated.pdf"].message or "not a readable PDF" in by_name["truncated.pdf"].message
        assert by_name["not-a-pdf.pdf"].status == "failed"
        assert by_name["locked.pdf"].status == "failed" and "password-protected" in by_name["locked.pdf"].message
        assert by_name["empty.md"].status == "failed" and "empty (0 bytes)" in by_name["empty.md"].message
        assert by_name["photo.xyz"].status == "skipped" and "unsupported file type" in by_name["photo.xyz"].message
        assert by_name["missing.pdf"].status == "skipped" and by_name["missing.pdf"].message == "not found"
        assert by_name["legacy.c"].status == "indexed" and "not valid UTF-8" in by_name["legacy.c"].message
        assert {by_name[n].status for n in ("keeper.pdf", "tides.py", "NOTES.md")} == {"unchanged"}

        assert [r for r in _chunk_rows(lib) if r[1].startswith(str(root))] == before  # nothing lost
        assert eng.search("How often do the fog signals sound?", k=1)[0].page == 2
        failed = {d.path.rsplit("/", 1)[-1]: d for d in eng.documents() if d.status == "failed"}
        assert set(failed) <= {"truncated.pdf", "not-a-pdf.pdf", "locked.pdf", "empty.md"}
        assert all(d.error for d in failed.values())  # a failed document says why
