"""The three-page PDF the answer tests ask about: one fact on page 2, between pages of unrelated filler."""
from __future__ import annotations

from pathlib import Path

from tests.engine.ingest.pdfgen import PdfBuilder, filler

FACT = "The Kestrel lighthouse was built in 1887 by the engineer Mara Okafor on Gannet Rock."


def write_lighthouses_pdf(path: Path) -> Path:
    b = PdfBuilder()
    b.new_page().paragraph("Coastal lights. " + filler("intro", 25))
    b.new_page().paragraph(filler("tides", 12) + " " + FACT + " " + filler("weather", 12))
    b.new_page().paragraph("Harbour fees and ferry timetables. " + filler("fees", 25))
    b.save(path)
    return path
