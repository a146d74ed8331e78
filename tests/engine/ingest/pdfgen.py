"""Build small PDFs with known text per page for the ingestion tests (PyMuPDF writes them; Base-14 fonts)."""
from __future__ import annotations

from pathlib import Path

import pymupdf as fitz

A4 = (595.0, 842.0)
BODY = 11.0
LEADING = 14.0
LEFT = 72.0
TOP = 110.0


class PdfBuilder:
    """Lines placed explicitly (so line breaks and hyphens are known), or paragraphs wrapped to a width."""

    def __init__(self) -> None:
        self.doc = fitz.open()
        self.page: fitz.Page | None = None
        self.y = TOP

    def new_page(self, size: tuple[float, float] = A4) -> "PdfBuilder":
        self.page = self.doc.new_page(width=size[0], height=size[1])
        self.y = TOP
        return self

    def line(self, text: str, x: float = LEFT, y: float | None = None, size: float = BODY,
             bold: bool = False) -> "PdfBuilder":
        """One line at baseline y; without y, the next line below the previous one (explicit y moves no cursor)."""
        self.page.insert_text((x, self.y if y is None else y), text, fontsize=size, fontname="hebo" if bold else "helv")
        if y is None:
            self.y += max(LEADING, size * 1.3)
        return self

    def gap(self, points: float = 10.0) -> "PdfBuilder":
        self.y += points
        return self

    def paragraph(self, text: str, x: float = LEFT, width: float = 450.0, size: float = BODY,
                  bottom: float | None = None) -> list[str]:
        """Wrap `text` into lines no wider than `width`; stops at `bottom` and returns the words left over."""
        words = text.split()
        while words:
            line: list[str] = []
            while words and fitz.get_text_length(" ".join(line + [words[0]]), "helv", size) <= width:
                line.append(words.pop(0))
            if not line:
                line.append(words.pop(0))
            self.line(" ".join(line), x=x, size=size)
            if bottom is not None and self.y > bottom and words:
                return words
        self.gap(6)
        return []

    def image(self, rect: tuple[float, float, float, float]) -> "PdfBuilder":
        """A grey image with no text: what a scanned page looks like to a PDF reader."""
        pix = fitz.Pixmap(fitz.csRGB, fitz.IRect(0, 0, 60, 80), False)
        pix.clear_with(180)
        self.page.insert_image(fitz.Rect(*rect), pixmap=pix)
        return self

    def save(self, path: Path, toc: list | None = None, title: str | None = None, **save_kw) -> Path:
        if toc is not None:
            self.doc.set_toc(toc)
        if title is not None:
            self.doc.set_metadata({"title": title})
        self.doc.save(str(path), **save_kw)
        self.doc.close()
        return path


def filler(tag: str, n: int) -> str:
    """n distinct sentences mentioning `tag`, so text is known and searchable."""
    return " ".join(f"Sentence {i} about the {tag} topic carries ordinary words for the reader." for i in range(n))
