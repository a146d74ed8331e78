"""Write resources/self-test.pdf, the booklet `lectern --self-test` reads, from the text in app/self_test.py.

Run once after changing that text (`.venv/bin/python packaging/make_self_test_pdf.py`) and commit the PDF: the
bundle ships the file, so a build needs no PDF writer. PyMuPDF is used here, outside the engine, because this is a
developer's build step, not part of Lectern.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.self_test import PAGES, PDF_NAME  # noqa: E402


def write_booklet(path: Path) -> Path:
    """One A4 page per entry of PAGES: a heading, then one sentence per line; the outline names each page."""
    import pymupdf

    doc = pymupdf.open()
    for lines in PAGES:
        page = doc.new_page(width=595, height=842)
        y = 96.0
        for i, line in enumerate(lines):
            page.insert_text((72, y), line, fontsize=18 if i == 0 else 11, fontname="helv")
            y += 30 if i == 0 else 17
    doc.set_toc([[1, lines[0], n + 1] for n, lines in enumerate(PAGES)])
    doc.set_metadata({"title": "Lectern self-test booklet", "author": "Lectern", "creator": "Lectern",
                      "producer": "Lectern", "creationDate": "", "modDate": ""})
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path, garbage=4, deflate=True, no_new_id=True)
    doc.close()
    return path


if __name__ == "__main__":
    out = write_booklet(ROOT / "resources" / PDF_NAME)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
