"""PDF ingestion and page services; the only module of Lectern that imports PyMuPDF.

`parse_pdf` reads a PDF into a `ParsedDocument`: text in reading order (columns detected from block boxes), running
headers/footers and page numbers removed, hyphenated line ends rejoined, a section tree (outline, else headings
by font, else page groups), and chunks that keep one `LineBox` per visual line. The layout decisions live in
`pdf_layout` and `pdf_structure`, which see only plain `Line` records; this module turns pages into those records
and translates PyMuPDF's failures into `engine.errors`.

The page services (`quote_rects`, `quote_locations`, `find_text`, `render_page`, `page_size`, `pdf_outline`,
`page_count`) open the file per call: PyMuPDF objects must not be shared across threads.

Pages are 1-based everywhere; rectangles are (x0, y0, x1, y1) in PDF points with the origin at the top left.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import accumulate
from pathlib import Path

import pymupdf as fitz

from ..errors import (Cancelled, EmptyDocumentError, EncryptedPdfError, FileAccessError, UnreadableDocumentError)
from ..types import ParsedDocument, Rect
from .chunking import TokenCounter
from .pdf_layout import (SOFT_HYPHEN, Block, Line, clean, collapse_ws, order_blocks, running_margin_lines,
                         split_columns)
from .pdf_quote import locate, page_words
from .pdf_structure import (body_size, build_sections, chunk_document, first_page_title, heading_starts,
                            outline_starts, page_group_starts)

# The CLI prints JSON on stdout: MuPDF must not print repair warnings about broken files.
fitz.TOOLS.mupdf_display_errors(False)
fitz.TOOLS.mupdf_display_warnings(False)

# Ligatures expanded by MuPDF itself; image blocks skipped (we only need to know whether a page has images).
_DICT_FLAGS = fitz.TEXTFLAGS_DICT & ~fitz.TEXT_PRESERVE_LIGATURES & ~fitz.TEXT_PRESERVE_IMAGES
_SEARCH_FLAGS = fitz.TEXTFLAGS_SEARCH & ~fitz.TEXT_DEHYPHENATE
_BOLD = 16
OCR_DPI = 300


# --------------------------------------------------------------------------- opening
@contextmanager
def _open(path: str | Path) -> Iterator[fitz.Document]:
    """Open a PDF, translating every way that can fail into an `IngestError` naming the file."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError as exc:
        raise FileAccessError(f"{p} does not exist.", str(p)) from exc
    except OSError as exc:
        raise FileAccessError(f"{p} cannot be opened: {exc.strerror or exc}.", str(p)) from exc
    if size == 0:
        raise EmptyDocumentError(f"{p} is empty (0 bytes).", str(p))
    try:
        doc = fitz.open(str(p), filetype="pdf")
    except PermissionError as exc:
        raise FileAccessError(f"{p} cannot be opened: permission denied.", str(p)) from exc
    except Exception as exc:  # MuPDF raises FileDataError / RuntimeError / ValueError depending on the damage
        raise UnreadableDocumentError(f"{p} is not a readable PDF (corrupt, truncated or another format).",
                                      str(p)) from exc
    try:
        if doc.needs_pass:
            raise EncryptedPdfError(f"{p} is password-protected.", str(p))
        if doc.page_count < 1:
            raise UnreadableDocumentError(f"{p} is not a readable PDF: it has no pages.", str(p))
        yield doc
    finally:
        doc.close()
        fitz.TOOLS.reset_mupdf_warnings()  # MuPDF keeps every warning in memory otherwise


def _page(doc: fitz.Document, page: int) -> fitz.Page:
    if not 1 <= page <= doc.page_count:
        raise ValueError(f"page {page} is outside 1..{doc.page_count}")
    return doc[page - 1]


# --------------------------------------------------------------------------- page -> lines
def _page_blocks(page: fitz.Page, pno: int, next_block: int, textpage=None,
                 src: dict | None = None) -> list[list[Line]]:
    """The page's text blocks as lists of visual lines (MuPDF splits justified lines at wide gaps; rejoin them).

    With `src`, records which `Line` each MuPDF (block, line) index pair went into, so words extracted from the
    same text page can be placed in the same lines (`quote_rects` relies on it to read in `parse_pdf`'s order).
    """
    d = textpage.extractDICT() if textpage is not None else page.get_text("dict", flags=_DICT_FLAGS)
    blocks: list[list[Line]] = []
    for bi, b in enumerate(d["blocks"]):
        if b.get("type", 0) != 0:
            continue
        bid = next_block + len(blocks)  # split parts share the id: they are one MuPDF block
        out: list[Line] = []
        for li, ln in enumerate(b["lines"]):
            line = _line(ln, pno, bid)
            if line is None:
                continue
            if out and _same_visual_line(out[-1], line):
                _merge(out[-1], line)
            else:
                out.append(line)
            if src is not None:
                src[(bi, li)] = out[-1]
        for part in split_columns(out) if out else ():
            blocks.append(part)
    return blocks


def _line(ln: dict, pno: int, bid: int) -> Line | None:
    """One MuPDF line as a `Line`.

    This runs for every span of the document (13 per line in the R manuals), so it stays lean: comprehensions
    rather than a loop, text normalised once per line (piece offsets may then be off by a collapsed space, which
    is fine for narrowing a rectangle). MuPDF itself puts spaces between words inside a line.
    """
    spans = ln["spans"]
    texts = [sp["text"] for sp in spans]
    text = collapse_ws(clean("".join(texts)))
    if not text:
        return None
    if SOFT_HYPHEN in text[:-1]:  # invisible inside a line; only a line-end one marks a hyphenation
        text = text[:-1].replace(SOFT_HYPHEN, "") + text[-1]
    boxes = [sp["bbox"] for sp in spans]
    pieces = (tuple(accumulate(map(len, texts))), tuple(b[0] for b in boxes), tuple(b[2] for b in boxes))
    main = spans[0] if len(spans) == 1 else spans[texts.index(max(texts, key=len))]
    bold = all(sp["flags"] & _BOLD or "Bold" in sp["font"] or "Black" in sp["font"]
               for sp in spans if not sp["text"].isspace())
    x0, y0, x1, y1 = ln["bbox"]
    return Line(pno, x0, y0, x1, y1, text, main["size"], bold, bid, pieces)


def _same_visual_line(a: Line, b: Line) -> bool:
    """MuPDF cuts justified lines at wide word gaps; a gap wider than about an em is a column gutter instead."""
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap > 0.5 * min(a.y1 - a.y0, b.y1 - b.y0) and a.x1 - 2 <= b.x0 <= a.x1 + 1.2 * max(a.size, 4.0)


def _merge(a: Line, b: Line) -> None:
    (a_ends, a_x0, a_x1), (b_ends, b_x0, b_x1) = a.pieces, b.pieces
    shift = a_ends[-1] + 1  # piece offsets count raw span characters; keep them increasing
    a.pieces = (a_ends + (shift,) + tuple(e + shift for e in b_ends), a_x0 + (a.x1,) + b_x0,
                a_x1 + (b.x0,) + b_x1)  # the joining space is a piece of its own, spanning the gap
    a.text = a.text + " " + b.text
    a.x1, a.y0, a.y1 = max(a.x1, b.x1), min(a.y0, b.y0), max(a.y1, b.y1)
    if len(b.text) > len(a.text) - len(b.text):
        a.size = b.size
    a.bold = a.bold and b.bold


# --------------------------------------------------------------------------- OCR
def _tessdata_dir(language: str) -> str | None:
    """A tessdata folder holding every language of `language` ("eng+deu"), or None."""
    langs = [lang for lang in language.split("+") if lang]
    cands = [os.environ.get("TESSDATA_PREFIX", "")]
    cands += sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True)
    cands += ["/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata",
              "/opt/local/share/tessdata", r"C:\Program Files\Tesseract-OCR\tessdata"]
    for c in cands:
        if c and all(os.path.isfile(os.path.join(c, f"{lang}.traineddata")) for lang in langs):
            return c
    return None


def _ocr_textpage(page: fitz.Page, language: str, tessdata: str):
    return page.get_textpage_ocr(flags=_DICT_FLAGS, language=language, dpi=OCR_DPI, full=True, tessdata=tessdata)


# --------------------------------------------------------------------------- parse
def parse_pdf(path: str | Path, *, count_tokens: TokenCounter, chunk_tokens: int = 200, ocr: bool = True,
              ocr_language: str = "eng", progress: Callable[[int, int], None] | None = None,
              cancel: Callable[[], bool] | None = None) -> ParsedDocument:
    """Read a PDF into sections and embedder-sized chunks with line boxes.

    Args:
        path: the PDF file.
        count_tokens: the embedder's batch token counter (called in large batches).
        chunk_tokens: longest chunk, in embedder tokens.
        ocr: run Tesseract on pages without a text layer, when tesseract and its language data are installed.
        ocr_language: Tesseract language code(s), e.g. "eng" or "eng+deu".
        progress: called as progress(pages_done, pages_total) while pages are read.
        cancel: polled between pages and sections; returning True stops the work.
    Returns:
        The parsed document (kind "pdf"); `pages_without_text` counts image-only pages left unread.
    Raises:
        FileAccessError, EmptyDocumentError, UnreadableDocumentError, EncryptedPdfError, Cancelled.
    """
    p = Path(path)
    with _open(p) as doc:
        n = doc.page_count
        warnings: list[str] = []
        pages, heights, no_text, unreadable = _read_pages(doc, p, ocr, ocr_language, progress, cancel, warnings)
        meta_title = (doc.metadata or {}).get("title") or ""
        toc = _toc(doc)
        repaired = doc.is_repaired  # MuPDF rebuilt a damaged file (truncated, bad cross-reference table)
    if no_text:
        hint = _ocr_hint(ocr, ocr_language, "them")
        warnings.insert(0, f"{no_text} page{'s have' if no_text > 1 else ' has'} no text layer"
                           + (f" ({hint})" if hint else ""))
    if unreadable:
        warnings.append(f"{unreadable} page{'s' if unreadable > 1 else ''} could not be read")
    if not any(pages):
        if no_text == n:
            hint = _ocr_hint(ocr, ocr_language, "it") or "OCR found no text on them"
            raise EmptyDocumentError(f"{p} has no text layer on any of its {n} pages; {hint}.", str(p))
        if unreadable == n:
            raise UnreadableDocumentError(f"{p} is not a readable PDF: none of its {n} pages could be read.", str(p))
        if repaired:
            raise UnreadableDocumentError(f"{p} is damaged (truncated or corrupt): no text could be recovered "
                                          "from it.", str(p))
        raise EmptyDocumentError(f"{p} contains no text.", str(p))

    drop = running_margin_lines([[ln for block in page for ln in block] for page in pages], heights)
    lines: list[Line] = []
    for page_blocks in _blocks_per_page(pages, drop):
        for block in order_blocks(page_blocks):
            lines.extend(block.lines)
    if not lines:
        raise EmptyDocumentError(f"{p} contains no text besides page headers and footers.", str(p))

    body = body_size(lines)
    starts = outline_starts(lines, toc) if toc else []
    if not starts:
        starts = heading_starts(lines, body)
    if not starts:
        starts = page_group_starts(lines, n)
    sections, ranges = build_sections(starts, lines, n)
    chunks = chunk_document(lines, ranges, chunk_tokens, count_tokens, cancel)
    if progress is not None:
        progress(n, n)
    title = _title(meta_title, lines, body, p)
    return ParsedDocument(kind="pdf", title=title, sections=sections, chunks=chunks, page_count=n,
                          pages_without_text=no_text, warnings=warnings)


def _ocr_hint(ocr: bool, language: str, it: str) -> str:
    """What the reader can do about pages without text ("it": the document, "them": the pages); "" if OCR ran."""
    if not ocr:
        return f"turn on OCR to read {it}"
    if not shutil.which("tesseract"):
        return f"install tesseract to OCR {it}"
    if _tessdata_dir(language) is None:
        return f"install tesseract's {language!r} language data or set TESSDATA_PREFIX"
    return ""


def _read_pages(doc, p: Path, ocr: bool, language: str, progress, cancel, warnings: list[str]):
    """Every page's blocks of lines (a page is a list of blocks), page heights, and counts of problem pages."""
    n = doc.page_count
    tessdata = None
    if ocr and shutil.which("tesseract"):
        tessdata = _tessdata_dir(language)
        if tessdata is None:
            warnings.append(f"Tesseract language data for {language!r} not found; set TESSDATA_PREFIX")
    pages: list[list[list[Line]]] = []
    heights: list[float] = []
    no_text = unreadable = 0
    next_block = 0
    for i in range(n):
        if cancel is not None and cancel():
            raise Cancelled(f"Cancelled while reading {p.name}.")
        try:
            page = doc[i]
            heights.append(page.rect.height)
            blocks = _page_blocks(page, i + 1, next_block)
            if not blocks and _has_images(page):
                if tessdata is not None:
                    try:
                        blocks = _page_blocks(page, i + 1, next_block, _ocr_textpage(page, language, tessdata))
                    except Exception:  # a failing OCR run must not lose the document
                        warnings.append(f"OCR failed on page {i + 1}")
                if not blocks:
                    no_text += 1
        except Exception:  # a damaged page (MuPDF raises various types): keep the others
            unreadable += 1
            blocks = []
            if len(heights) <= i:
                heights.append(792.0)
        next_block += len(blocks)
        pages.append(blocks)
        if progress is not None:
            progress(i + 1, n)
    return pages, heights, no_text, unreadable


def _has_images(page: fitz.Page) -> bool:
    try:
        return bool(page.get_images(full=False)) or bool(page.get_image_info())
    except Exception:
        return False


def _blocks_per_page(pages: list[list[list[Line]]], drop: set[int]) -> Iterator[list[Block]]:
    for page_blocks in pages:
        out = []
        for lines in page_blocks:
            kept = [ln for ln in lines if id(ln) not in drop] if drop else lines
            if kept:
                out.append(Block(kept))
        yield out


def _toc(doc: fitz.Document) -> list[tuple[int, str, int, float | None]]:
    try:
        raw = doc.get_toc(simple=False)
    except Exception:  # a broken outline is no reason to lose the text
        return []
    out = []
    for entry in raw:
        level, title, page = entry[0], entry[1], entry[2]
        dest = entry[3] if len(entry) > 3 and isinstance(entry[3], dict) else {}
        to = dest.get("to")
        y = float(to.y) if to is not None and dest.get("kind") == fitz.LINK_GOTO else None
        out.append((int(level), clean(str(title)), int(page), y))
    return out


_FILE_LIKE = re.compile(r"\.(pdf|docx?|tex|dvi|ps|txt|rtf|odt|indd|qxd|qxp|pages)$", re.IGNORECASE)
_PLACEHOLDER = {"untitled", "title", "document", "unknown", "none", "no title", "slide 1", "abstract"}


def _title(meta: str, lines: list[Line], body: float, p: Path) -> str:
    """Metadata title if it looks like one, else the first page's largest heading, else the file name."""
    t = collapse_ws(clean(meta))
    low = t.lower()
    if len(t) >= 3 and any(c.isalpha() for c in t) and low not in _PLACEHOLDER and not _FILE_LIKE.search(t) \
            and not low.startswith(("microsoft word -", "untitled")):
        return t
    heading = first_page_title(lines, body)
    if heading:
        return heading
    return p.stem


# --------------------------------------------------------------------------- page services
def page_count(path: str | Path) -> int:
    """Number of pages. Raises the same errors as `parse_pdf` for unreadable files."""
    with _open(path) as doc:
        return doc.page_count


def page_size(path: str | Path, page: int) -> tuple[float, float]:
    """(width, height) of a 1-based page in points. Raises ValueError for a page out of range."""
    with _open(path) as doc:
        r = _page(doc, page).rect
        return (r.width, r.height)


def page_sizes(path: str | Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page, opening the file once."""
    with _open(path) as doc:
        return [(p.rect.width, p.rect.height) for p in doc]


def render_page(path: str | Path, page: int, zoom: float) -> tuple[bytes, int, int]:
    """Render a 1-based page as PNG bytes at `zoom` (1.0 = 72 dpi, clamped to 0.05–8).

    Returns:
        (png_bytes, width_px, height_px); a pixel (x, y) maps to the point (x / zoom, y / zoom).
    """
    zoom = min(8.0, max(0.05, float(zoom)))
    with _open(path) as doc:
        pix = _page(doc, page).get_pixmap(matrix=fitz.Matrix(zoom, zoom), alpha=False)
        return pix.tobytes("png"), pix.width, pix.height


def extract_plain_text(path: str | Path) -> int:
    """Plain `get_text()` of every page, the raw PyMuPDF baseline that benchmarks set ingestion beside.

    Returns:
        The number of pages read.
    """
    with _open(path) as doc:
        for page in doc:
            page.get_text()
        return doc.page_count


def write_text_pdf(path: str | Path, pages: list[list[tuple[int, str]]], *, title: str = "",
                   toc: list[tuple[int, str, int]] | None = None) -> Path:
    """Write an A4 PDF whose pages hold the given blocks, for benchmarks' generated documents.

    Args:
        pages: per page, blocks of (level, text): level 0 is a body paragraph, 1-3 a heading.
        title: the metadata title, also set as a running footer with the page number.
        toc: an outline of (level, title, 1-based page).
    """
    doc = fitz.open()
    sizes = {0: 10.0, 1: 17.0, 2: 14.0, 3: 12.0}
    for number, blocks in enumerate(pages, 1):
        page = doc.new_page(width=595, height=842)
        shape = page.new_shape()  # one content stream per page: several times faster than one per block
        y = 72.0
        for level, text in blocks:
            size = sizes.get(level, 10.0)
            # insert_textbox returns the unused height of the box (negative: it did not fit and wrote nothing)
            left = shape.insert_textbox(fitz.Rect(72, y, 523, 790), text, fontsize=size,
                                        fontname="hebo" if level else "helv")
            if left < 0:
                raise ValueError(f"page {number}: the text does not fit on one page")
            y = 790 - left + size * 0.8
        if title:
            shape.insert_text((72, 815), f"{title} — {number}", fontsize=8, fontname="helv")
        shape.commit()
    if toc:
        doc.set_toc([list(entry) for entry in toc])
    doc.set_metadata({"title": title})
    doc.save(str(path), garbage=1, deflate=True)
    doc.close()
    return Path(path)


def pdf_outline(path: str | Path) -> list[tuple[int, str, int]]:
    """The PDF's outline as (level, title, 1-based page); entries without a target page have page -1."""
    with _open(path) as doc:
        return [(lvl, title, page) for lvl, title, page, _ in _toc(doc)]


def find_text(path: str | Path, query: str, max_hits: int = 500) -> list[tuple[int, Rect]]:
    """Occurrences of `query` (case-insensitive; may run over a line break) as (1-based page, rect per line).

    MuPDF's dehyphenating search is not used: it shifts the rectangles on the line after a hyphenated word by one
    character, and a search box must sit exactly on its words. So "recognition" split as "recog-/nition" is not
    found here; `quote_rects` does find it.
    """
    query = collapse_ws(query)
    hits: list[tuple[int, Rect]] = []
    if not query:
        return hits
    with _open(path) as doc:
        for i in range(doc.page_count):
            for r in doc[i].search_for(query, flags=_SEARCH_FLAGS):
                hits.append((i + 1, (r.x0, r.y0, r.x1, r.y1)))
                if len(hits) >= max_hits:
                    return hits
    return hits


def quote_rects(path: str | Path, page: int, quote: str) -> list[Rect]:
    """Rectangles, one per visual line, covering exactly the words of `quote` on a 1-based page.

    Tolerant of line breaks, hyphenation at line ends, ligatures, case, accents, punctuation and spacing. A quote
    that starts on this page and continues on the next (or started on the previous one) yields this page's part.

    Returns:
        [] when the quote is not on the page.
    Raises:
        ValueError for a page out of range; the `parse_pdf` errors for an unreadable file.
    """
    with _open(path) as doc:
        _page(doc, page)
        for pages in ([page], [page, page + 1], [page - 1, page]):
            pages = [q for q in pages if 1 <= q <= doc.page_count]
            if len(pages) > 1 or pages == [page]:
                found = _locate(doc, pages, quote)
                if found:
                    return [r for q, r in found if q == page]
    return []


def quote_locations(path: str | Path, pages: list[int], quote: str) -> list[tuple[int, Rect]]:
    """Where `quote` lies on the given consecutive 1-based pages, across page breaks: (page, rect) per visual line.

    Running headers, footers and page numbers between the pages are skipped. Returns [] if not found.
    """
    with _open(path) as doc:
        pages = [q for q in pages if 1 <= q <= doc.page_count]
        return _locate(doc, pages, quote) if pages else []


def _locate(doc: fitz.Document, pages: list[int], quote: str) -> list[tuple[int, Rect]]:
    """Match `quote` over the words of consecutive pages, read in the same order as `parse_pdf` reads them."""
    read = {q: _page_words(doc, q) for q in pages}
    drop: set[int] = set()
    if len(pages) > 1:
        # Running headers between the pages would break the quote; neighbouring pages tell them from text.
        lo, hi = max(1, pages[0] - 2), min(doc.page_count, pages[-1] + 2)
        window = list(range(lo, hi + 1))
        lines = {q: [ln for block in (read[q][0] if q in read else _page_blocks(doc[q - 1], q, 0))
                     for ln in block] for q in window}
        drop = running_margin_lines([lines[q] for q in window], [doc[q - 1].rect.height for q in window])
    words = []
    for q in pages:
        blocks, words_of = read[q]
        kept = [[ln for ln in block if id(ln) not in drop] for block in blocks]
        ordered = [ln for block in order_blocks([Block(b) for b in kept if b]) for ln in block.lines]
        words.extend(page_words(ordered, words_of))
    return locate(words, quote)


def _page_words(doc: fitz.Document, pno: int) -> tuple[list[list[Line]], dict[int, list[tuple]]]:
    """A page's blocks of lines and, per line (by id), its MuPDF word tuples, from one text page.

    A page without text but with images is OCRed when tesseract can be found (slow, but only when a citation
    sits on a scanned page)."""
    page = doc[pno - 1]
    tp = page.get_textpage(flags=_DICT_FLAGS)
    src: dict = {}
    blocks = _page_blocks(page, pno, 0, tp, src)
    if not blocks and _has_images(page) and shutil.which("tesseract"):
        tessdata = _tessdata_dir("eng")
        if tessdata is not None:
            try:
                tp = _ocr_textpage(page, "eng", tessdata)
                blocks = _page_blocks(page, pno, 0, tp, src)
            except Exception:  # no highlight is better than a crash in the reader
                return [], {}
    words_of: dict[int, list[tuple]] = {}
    for w in tp.extractWORDS():
        line = src.get((w[5], w[6]))
        if line is not None:
            words_of.setdefault(id(line), []).append(w)
    return blocks, words_of


__all__ = ["parse_pdf", "page_count", "page_size", "render_page", "pdf_outline", "find_text", "quote_rects",
           "quote_locations"]
