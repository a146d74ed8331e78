"""parse_pdf and the page services on PDFs generated here with known text per page."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pymupdf as fitz
import pytest
from tests.engine.ingest.pdfgen import LEFT, PdfBuilder, filler

from engine.errors import Cancelled, EmptyDocumentError, EncryptedPdfError, FileAccessError, UnreadableDocumentError
from engine.ingest.chunking import word_estimate_counter
from engine.ingest.pdf import (find_text, page_count, page_size, parse_pdf, pdf_outline, quote_locations,
                               quote_rects, render_page)

wc = word_estimate_counter


def inside(inner, outer, tol=1.0) -> bool:
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol and inner[2] <= outer[2] + tol
            and inner[3] <= outer[3] + tol)


def overlaps(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def all_text(doc) -> str:
    return "\n".join(c.text for c in doc.chunks)


# --------------------------------------------------------------------------- pages, boxes, chunks
@pytest.fixture(scope="module")
def five_pages(tmp_path_factory) -> Path:
    b = PdfBuilder()
    for n in range(1, 6):
        b.new_page()
        b.paragraph(filler(f"page{n}", 6))
        if n == 3:
            b.paragraph("Here the violet harbour lamp glows above the quay at night.")
        b.paragraph(filler(f"more{n}", 4))
    return b.save(tmp_path_factory.mktemp("pdf") / "five.pdf", title="Five Pages")


def test_phrase_lands_on_its_page_with_covering_rect(five_pages, count_tokens):
    doc = parse_pdf(five_pages, count_tokens=count_tokens, chunk_tokens=64)
    phrase = "violet harbour lamp"
    chunk = next(c for c in doc.chunks if phrase in c.text)
    a = chunk.text.index(phrase)
    boxes = [b for b in chunk.boxes if b.start < a + len(phrase) and b.end > a]
    assert boxes and all(b.page == 3 for b in boxes)
    assert chunk.page <= 3 <= chunk.page_end
    with fitz.open(five_pages) as pdf:
        page = pdf[2]
        hit = page.search_for(phrase)[0]
        for b in boxes:
            assert inside(b.rect, tuple(page.rect))
        assert any(inside(tuple(hit), b.rect, tol=1.5) for b in boxes)
    # Chunks fit the embedder window, measured by the real tokenizer on the final text.
    assert max(count_tokens([c.text for c in doc.chunks])) <= 64
    assert doc.title == "Five Pages" and doc.page_count == 5 and doc.pages_without_text == 0


def test_boxes_index_the_chunk_text(five_pages):
    doc = parse_pdf(five_pages, count_tokens=wc, chunk_tokens=60)
    for a, b in zip(doc.chunks, doc.chunks[1:]):  # chunks tile their section's text in order
        assert len(a.text) == a.char_end - a.char_start
        assert a.section != b.section or a.char_end < b.char_start
    with fitz.open(five_pages) as pdf:
        for chunk in doc.chunks:
            for b in chunk.boxes:
                piece = chunk.text[b.start:b.end]
                assert piece and piece == piece.strip()
                # The words of the box are really inside its rectangle on its page (a box for part of a line is
                # interpolated inside its span, so allow a character's width).
                words = pdf[b.page - 1].get_text("words", clip=fitz.Rect(b.rect) + (-6, -1, 6, 1))
                text = " ".join(w[4] for w in words)
                assert piece.split()[0] in text and piece.split()[-1] in text


def test_chunk_crossing_a_page_keeps_both_pages(tmp_path):
    b = PdfBuilder().new_page()
    b.paragraph(filler("opening", 3))
    left = b.paragraph("The long sentence begins near the bottom of the first page and " + "keeps going " * 60
                       + "until it finally ends on the second page.", bottom=200)
    b.new_page()
    b.paragraph(" ".join(left))
    path = b.save(tmp_path / "cross.pdf")
    doc = parse_pdf(path, count_tokens=wc, chunk_tokens=400)
    chunk = next(c for c in doc.chunks if "finally ends" in c.text)
    assert chunk.page == 1 and chunk.page_end == 2
    assert {b.page for b in chunk.boxes} == {1, 2}
    starts = [b.start for b in chunk.boxes]
    assert starts == sorted(starts)


# --------------------------------------------------------------------------- layout
def test_two_columns_read_column_by_column(tmp_path):
    b = PdfBuilder().new_page()
    b.line("A Study of Columns", x=150, size=20)
    y0 = b.y + 10
    for i in range(12):
        b.line(f"Left column line {i} says alpha things here.", x=LEFT, y=y0 + i * 14)
        b.line(f"Right column line {i} says beta things.", x=320, y=y0 + i * 14)
    b.line("A closing paragraph that spans the width of both of the columns above it.", x=LEFT, y=y0 + 13 * 14 + 20)
    doc = parse_pdf(b.save(tmp_path / "cols.pdf"), count_tokens=wc, chunk_tokens=1000)
    text = all_text(doc)
    order = [text.index(s) for s in ("A Study of Columns", "Left column line 0", "Left column line 11",
                                     "Right column line 0", "Right column line 11", "A closing paragraph")]
    assert order == sorted(order)


def test_running_headers_footers_and_page_numbers_removed(tmp_path):
    b = PdfBuilder()
    for n in range(1, 7):
        b.new_page()
        b.line("Journal of Repeated Headers, Vol. 12", x=LEFT, y=50, size=9)
        b.line(f"Chapter Two: Margins {n + 10}", x=350, y=50, size=9) if n in (3, 5) else None
        b.paragraph(filler(f"body{n}", 5))
        if n == 4:  # the header's words inside the body, in body size, must stay
            b.line("Journal of Repeated Headers, Vol. 12")
        b.line(str(n + 10), x=290, y=800, size=9)
    doc = parse_pdf(b.save(tmp_path / "hf.pdf"), count_tokens=wc, chunk_tokens=1000)
    text = all_text(doc)
    assert text.count("Journal of Repeated Headers") == 1
    assert "Chapter Two" not in text  # on 2 pages only, but it carries the page number
    assert not re.search(r"(^|\n)1[1-6](\n|$)", text)
    assert all(f"body{n} topic" in text for n in range(1, 7))


def test_hyphenation_joined_but_compounds_kept(tmp_path):
    b = PdfBuilder().new_page()
    for line in ("The pattern recog-", "nition system works well. The Anglo-", "Saxon kings were well-",
                 "known to all of them and the COVID-", "19 wave came. A soft hyphen\u00ad", "ated word."):
        b.line(line)
    doc = parse_pdf(b.save(tmp_path / "hyph.pdf"), count_tokens=wc)
    text = all_text(doc)
    assert "pattern recognition system" in text
    assert "Anglo-Saxon kings" in text
    assert "well-known to all" in text
    assert "COVID-19 wave" in text
    assert "hyphenated word" in text


def test_ligatures_normalised(tmp_path):
    b = PdfBuilder().new_page()
    b.page.insert_font(fontname="F0", fontbuffer=fitz.Font("cjk").buffer)  # a font with the U+FB01 glyph
    b.page.insert_text((72, 100), "Their \ufb01nancial of\ufb01ce was small.", fontname="F0", fontsize=11)
    path = b.save(tmp_path / "lig.pdf")
    doc = parse_pdf(path, count_tokens=wc)
    assert "financial office" in doc.chunks[0].text
    rects = quote_rects(path, 1, "financial office")
    assert len(rects) == 1 and rects[0][0] > 90  # starts after "Their"


# --------------------------------------------------------------------------- sections
def test_sections_from_outline(tmp_path):
    b = PdfBuilder().new_page()
    b.paragraph("Front words before any chapter.")
    b.line("Part One", size=16)
    b.paragraph(filler("partone", 3))
    b.new_page()
    b.line("Alpha chapter", size=14)
    b.paragraph(filler("alpha", 4))
    b.new_page()
    b.paragraph("The alpha chapter ends here on the third page.")
    b.line("Beta chapter", size=14)
    b.paragraph(filler("beta", 4))
    b.new_page()
    b.line("Part Two", size=16)
    b.paragraph(filler("parttwo", 3))
    toc = [[1, "Part One", 1], [2, "Alpha chapter", 2], [2, "Beta chapter", 3], [1, "Part Two", 4]]
    doc = parse_pdf(b.save(tmp_path / "outline.pdf", toc=toc), count_tokens=wc, chunk_tokens=40)
    titles = [s.title for s in doc.sections]
    assert titles == ["Front matter", "Part One", "Alpha chapter", "Beta chapter", "Part Two"]
    sec = {s.title: (i, s) for i, s in enumerate(doc.sections)}
    assert sec["Alpha chapter"][1].parent == sec["Part One"][0]
    assert sec["Beta chapter"][1].level == 2 and sec["Part Two"][1].parent is None
    assert (sec["Part One"][1].page_start, sec["Part One"][1].page_end) == (1, 3)  # spans its children
    assert (sec["Beta chapter"][1].page_start, sec["Beta chapter"][1].page_end) == (3, 3)

    def section_of(phrase):
        return {doc.sections[c.section].title for c in doc.chunks if phrase in c.text}

    assert section_of("Front words") == {"Front matter"}
    assert section_of("alpha chapter ends here") == {"Alpha chapter"}  # mid-page split at the heading
    assert section_of("beta topic") == {"Beta chapter"}
    for c in doc.chunks:  # no chunk mixes two sections' text
        tags = {t for t in ("partone", "alpha", "beta", "parttwo") if f"{t} topic" in c.text}
        assert len(tags) <= 1


def test_sections_from_font_sizes_without_outline(tmp_path):
    b = PdfBuilder().new_page()
    b.line("The Big Title", size=24)
    b.paragraph(filler("intro", 3))
    b.line("First Chapter", size=18)
    b.paragraph(filler("first", 3))
    b.line("A subsection", size=14)
    b.paragraph(filler("sub", 3))
    b.new_page()
    b.line("Bold run-in heading", bold=True)
    b.paragraph(filler("bold", 3))
    b.line("Second Chapter", size=18)
    b.paragraph(filler("second", 3))
    doc = parse_pdf(b.save(tmp_path / "heads.pdf"), count_tokens=wc)
    got = [(s.title, s.level, s.parent) for s in doc.sections]
    assert got == [("The Big Title", 1, None), ("First Chapter", 2, 0), ("A subsection", 3, 1),
                   ("Bold run-in heading", 4, 2), ("Second Chapter", 2, 0)]
    assert doc.title == "The Big Title"  # no metadata title: the first page's largest heading
    assert {doc.sections[c.section].title for c in doc.chunks if "sub topic" in c.text} == {"A subsection"}


def test_sections_fall_back_to_page_groups(tmp_path):
    b = PdfBuilder()
    for n in range(1, 24):
        b.new_page()
        b.paragraph(filler(f"p{n}", 2))
    path = b.save(tmp_path / "flat-file.pdf")
    doc = parse_pdf(path, count_tokens=wc)
    assert [s.title for s in doc.sections] == ["Pages 1\u201310", "Pages 11\u201320", "Pages 21\u201323"]
    assert [(s.page_start, s.page_end) for s in doc.sections] == [(1, 10), (11, 20), (21, 23)]
    assert all(doc.sections[c.section].page_start <= c.page <= c.page_end <= doc.sections[c.section].page_end
               for c in doc.chunks)
    assert doc.title == "flat-file"


# --------------------------------------------------------------------------- quotes
@pytest.fixture(scope="module")
def quote_pdf(tmp_path_factory) -> Path:
    b = PdfBuilder()
    b.new_page()
    b.line("Running Header Text", y=50, size=9)
    b.line("The pattern recog-")
    b.line("nition system works well in practice today.")
    b.paragraph(filler("one", 2))
    b.line("This sentence starts on page one and")
    b.line("1", x=290, y=800, size=9)
    b.new_page()
    b.line("Running Header Text", y=50, size=9)
    b.line("continues onto page two without a break.")
    b.paragraph(filler("two", 2))
    b.line("2", x=290, y=800, size=9)
    b.new_page()
    b.line("Running Header Text", y=50, size=9)
    b.paragraph(filler("three", 2))
    b.line("3", x=290, y=800, size=9)
    return b.save(tmp_path_factory.mktemp("q") / "quote.pdf")


def word_rect(path, page, word) -> fitz.Rect:
    with fitz.open(path) as pdf:
        return next(fitz.Rect(w[:4]) for w in pdf[page - 1].get_text("words") if w[4] == word)


def test_quote_rects_across_line_break_and_hyphen(quote_pdf):
    rects = quote_rects(quote_pdf, 1, "pattern recognition  system")
    assert len(rects) == 2
    pattern, system, works = (word_rect(quote_pdf, 1, w) for w in ("pattern", "system", "works"))
    assert rects[0] == tuple(pattern | word_rect(quote_pdf, 1, "recog-"))
    assert rects[1] == tuple(word_rect(quote_pdf, 1, "nition") | system)
    assert rects[1][2] < works.x0  # the rest of the line is not covered  # the rest of the line is not covered
    # Spelled as the page hyphenates it, the quote ends with "nition", not at "system".
    short = quote_rects(quote_pdf, 1, "Pattern Recog-nition")
    assert len(short) == 2 and short[0] == rects[0]
    assert short[1][2] < system.x0


def test_quote_across_page_break(quote_pdf):
    quote = "starts on page one and continues onto page two"
    locs = quote_locations(quote_pdf, [1, 2], quote)
    assert [p for p, _ in locs] == [1, 2]
    on1 = quote_rects(quote_pdf, 1, quote)
    on2 = quote_rects(quote_pdf, 2, quote)
    assert on1 == [locs[0][1]] and on2 == [locs[1][1]]
    cont, two = word_rect(quote_pdf, 2, "continues"), word_rect(quote_pdf, 2, "two")
    assert abs(on2[0][0] - cont.x0) < 0.01 and abs(on2[0][2] - two.x1) < 0.01


def test_quote_not_found_and_short_words(quote_pdf):
    assert quote_rects(quote_pdf, 1, "entirely absent words") == []
    assert quote_rects(quote_pdf, 3, "pattern recognition") == []  # wrong page
    assert quote_rects(quote_pdf, 1, "ctice") == []  # a fragment inside a word is not a quote
    assert quote_rects(quote_pdf, 1, "") == []
    assert len(quote_rects(quote_pdf, 1, "The pattern ... works well")) == 2  # ellipsis: both parts


# --------------------------------------------------------------------------- errors and scanned pages
def test_errors_name_the_file(tmp_path, capfd):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(EmptyDocumentError, match="empty.pdf"):
        parse_pdf(empty, count_tokens=wc)
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n garbage \x00\xff" * 20)
    with pytest.raises(UnreadableDocumentError, match="corrupt.pdf"):
        parse_pdf(corrupt, count_tokens=wc)
    text = tmp_path / "notes.pdf"
    text.write_text("just some notes, not a PDF at all\n" * 50)
    with pytest.raises(UnreadableDocumentError, match="notes.pdf"):
        parse_pdf(text, count_tokens=wc)
    with pytest.raises(FileAccessError, match="missing.pdf"):
        parse_pdf(tmp_path / "missing.pdf", count_tokens=wc)
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # MuPDF's complaints must not reach the CLI's stdout/stderr


def test_truncated_pdf(tmp_path, five_pages):
    data = five_pages.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 3])
    try:
        doc = parse_pdf(cut, count_tokens=wc)
    except (UnreadableDocumentError, EmptyDocumentError) as exc:
        assert "cut.pdf" in str(exc)
    else:  # MuPDF repaired what it could: what it kept must be real text of the first pages
        assert "page1 topic" in all_text(doc)


def test_encrypted_pdf(tmp_path):
    b = PdfBuilder().new_page()
    b.paragraph(filler("secret", 2))
    path = b.save(tmp_path / "locked.pdf", encryption=fitz.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="owner")
    with pytest.raises(EncryptedPdfError, match="locked.pdf is password-protected"):
        parse_pdf(path, count_tokens=wc)
    with pytest.raises(EncryptedPdfError):
        page_count(path)


def test_image_only_page_counted(tmp_path):
    b = PdfBuilder().new_page()
    b.paragraph(filler("text", 2))
    b.new_page().image((50, 50, 545, 792))
    b.new_page()
    b.paragraph(filler("after", 2))
    doc = parse_pdf(b.save(tmp_path / "scan.pdf"), count_tokens=wc, ocr=False)
    assert doc.pages_without_text == 1
    assert any(w.startswith("1 page has no text layer") for w in doc.warnings)
    assert "after topic" in all_text(doc)


def test_all_pages_scanned_without_ocr(tmp_path, monkeypatch):
    b = PdfBuilder()
    b.new_page().image((50, 50, 545, 792))
    b.new_page().image((50, 50, 545, 792))
    path = b.save(tmp_path / "scans.pdf")
    with pytest.raises(EmptyDocumentError, match="no text layer on any of its 2 pages; turn on OCR"):
        parse_pdf(path, count_tokens=wc, ocr=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)  # a machine without tesseract
    with pytest.raises(EmptyDocumentError, match="no text layer on any of its 2 pages; install tesseract to OCR it"):
        parse_pdf(path, count_tokens=wc, ocr=True)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_ocr_reads_a_scanned_page(tmp_path):
    src = PdfBuilder().new_page()
    src.line("Optical recognition reads this sentence.", size=28)
    src_path = src.save(tmp_path / "src.pdf")
    with fitz.open(src_path) as pdf:
        pix = pdf[0].get_pixmap(dpi=200)
    b = PdfBuilder().new_page()
    b.page.insert_image(b.page.rect, pixmap=pix)
    doc = parse_pdf(b.save(tmp_path / "scanned.pdf"), count_tokens=wc, ocr=True)
    assert doc.pages_without_text == 0
    assert "recognition reads this sentence" in all_text(doc)


# --------------------------------------------------------------------------- progress, cancel, services
def test_progress_and_cancel(five_pages):
    seen = []
    parse_pdf(five_pages, count_tokens=wc, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (1, 5) and seen[-1] == (5, 5)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled):
        parse_pdf(five_pages, count_tokens=wc, cancel=cancel)


def test_page_services(five_pages):
    assert page_count(five_pages) == 5
    assert page_size(five_pages, 2) == (595.0, 842.0)
    png, w, h = render_page(five_pages, 1, 0.5)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (w, h) == (298, 421)
    hits = find_text(five_pages, "violet harbour")
    assert [p for p, _ in hits] == [3]
    assert len(find_text(five_pages, "Sentence", max_hits=7)) == 7
    with pytest.raises(ValueError):
        page_size(five_pages, 6)


def test_pdf_outline(tmp_path):
    b = PdfBuilder().new_page()
    b.line("Intro")
    b.new_page()
    b.line("Details")
    path = b.save(tmp_path / "o.pdf", toc=[[1, "Intro", 1], [2, "Details", 2]])
    assert pdf_outline(path) == [(1, "Intro", 1), (2, "Details", 2)]


def test_find_text_rects_sit_on_the_words(quote_pdf):
    # MuPDF's dehyphenating search would shift this hit (on the line after "recog-") by one character.
    hits = find_text(quote_pdf, "system works")
    assert len(hits) == 1 and hits[0][0] == 1
    expected = word_rect(quote_pdf, 1, "system") | word_rect(quote_pdf, 1, "works")
    assert all(abs(a - b) < 0.01 for a, b in zip(hits[0][1], expected))


def test_quote_runs_from_left_column_into_right(tmp_path):
    b = PdfBuilder().new_page()
    y0 = 120
    left = [f"Left line {i} of the first column reads on." for i in range(10)] + ["The quote starts in the left"]
    right = ["column and ends in the right one."] + [f"Right line {i} of the second column." for i in range(10)]
    for i, text in enumerate(left):
        b.line(text, x=LEFT, y=y0 + i * 14)
    for i, text in enumerate(right):
        b.line(text, x=320, y=y0 + i * 14)
    path = b.save(tmp_path / "colquote.pdf")
    rects = quote_rects(path, 1, "starts in the left column and ends in the right")
    assert len(rects) == 2
    assert rects[0][0] > LEFT and rects[0][1] > y0 + 9 * 14  # bottom of the left column
    assert rects[1][0] == pytest.approx(320) and rects[1][1] < y0  # top of the right column


def test_token_counter_called_in_batches(five_pages):
    calls = []

    def counter(texts):
        calls.append(len(texts))
        return wc(texts)

    doc = parse_pdf(five_pages, count_tokens=counter, chunk_tokens=40)
    assert len(doc.chunks) > 5
    assert len(calls) <= 2 and calls[0] > 20  # one batch for the document (+ words of over-long sentences)
