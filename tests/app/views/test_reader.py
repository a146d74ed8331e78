"""The reader over real documents: lazy HiDPI-aware page renders, zoom, find with highlights, citation targets, code."""
from __future__ import annotations

import pytest

from app.controllers.reader import ReaderController
from app.views.reader import ReaderView, Target
from app.workers import Tasks
from engine import DocumentInfo, Engine

from ..conftest import BOILER_PAGES, make_pdf


def info(path, kind="pdf") -> DocumentInfo:
    return DocumentInfo(id=1, path=str(path), kind=kind, title=path.name, status="indexed", error=None,
                        pages=None, lines=None, chunks=0, size=path.stat().st_size)


@pytest.fixture
def reader(qtbot, tmp_path):
    eng = Engine.open(tmp_path / "library")
    tasks = Tasks()
    view = ReaderView(ReaderController(tasks, lambda: eng))
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    yield view
    tasks.wait(10_000)
    eng.close()


def open_and_wait(qtbot, view, doc, target=None):
    with qtbot.waitSignal(view.documentShown, timeout=10_000):
        view.open_document(doc, target)


def test_pdf_pages_are_laid_out_and_only_visible_ones_rendered(qtbot, reader, tmp_path):
    pdf = make_pdf(tmp_path / "long.pdf", BOILER_PAGES * 10)
    open_and_wait(qtbot, reader, info(pdf))
    pdf_view = reader.pdf
    assert pdf_view.page_count == 30
    assert reader.page_total.text() == "of 30"
    dpr = pdf_view.viewport().devicePixelRatioF()
    # one image pixel per device pixel (a render for an earlier zoom may arrive first and is replaced)
    qtbot.waitUntil(lambda: pdf_view.rendered_pages().get(1, 0) == pytest.approx(pdf_view.zoom * dpr, rel=1e-3),
                    timeout=10_000)
    assert len(pdf_view.rendered_pages()) < 10  # lazily: not all 30 pages
    # fit width by default: the page fills the view's width
    assert pdf_view.zoom == pytest.approx(pdf_view.viewport().width() / pdf_view.scene().sceneRect().width(),
                                          rel=0.02)


def test_going_to_a_page_renders_it_and_updates_the_page_box(qtbot, reader, tmp_path):
    pdf = make_pdf(tmp_path / "long.pdf", BOILER_PAGES * 10)
    open_and_wait(qtbot, reader, info(pdf))
    reader.page_box.setValue(17)
    qtbot.waitUntil(lambda: 17 in reader.pdf.rendered_pages(), timeout=10_000)
    assert reader.pdf.current_page in (16, 17)
    assert 17 in reader.pdf.visible_pages()


def test_zoom_steps_and_fit_page(qtbot, reader, boiler_pdf):
    open_and_wait(qtbot, reader, info(boiler_pdf))
    reader.pdf.set_zoom(1.0)
    reader.step_zoom(1)
    assert reader.pdf.zoom == pytest.approx(1.25)
    assert reader.zoom_box.currentText() == "125%"
    reader.pdf.fit_page()
    view_h = reader.pdf.viewport().height()
    assert 842 * reader.pdf.zoom <= view_h
    qtbot.waitUntil(lambda: abs(reader.pdf.rendered_pages().get(1, 0)
                                - reader.pdf.render_scale(1)) < 1e-3, timeout=10_000)


def test_a_citation_target_highlights_exactly_its_rectangles(qtbot, reader, boiler_pdf, tmp_path):
    eng = reader.controller._engine()
    rects = eng.quote_rects(boiler_pdf, 2, "must stay below 6 bar")
    assert rects
    with qtbot.waitSignal(reader.citationShown, timeout=10_000):
        reader.open_document(info(boiler_pdf), Target(page=2, rects=tuple(rects)))
    items = reader.pdf.highlights("citation")
    assert len(items) == len(rects)
    frame_of_page_2 = reader.pdf._frames[1]
    for item, r in zip(items, rects):
        assert item.parentItem() is frame_of_page_2
        box = item.rect()
        assert (box.left(), box.top(), box.right(), box.bottom()) == pytest.approx(r, abs=0.01)
    # scrolled into view
    visible = reader.pdf.mapToScene(reader.pdf.viewport().rect()).boundingRect()
    assert visible.intersects(items[0].sceneBoundingRect())


def test_a_citation_without_rectangles_is_located_from_its_quote(qtbot, reader, boiler_pdf):
    open_and_wait(qtbot, reader, info(boiler_pdf))
    with qtbot.waitSignal(reader.controller.quoteLocated, timeout=10_000):
        reader.open_document(info(boiler_pdf), Target(page=3, quote="Drain the sediment from the mud drum"))
    items = reader.pdf.highlights("citation")
    assert items and all(i.parentItem() is reader.pdf._frames[2] for i in items)


def test_find_highlights_every_hit_and_steps_through_them(qtbot, reader, boiler_pdf):
    open_and_wait(qtbot, reader, info(boiler_pdf))
    reader.open_find()
    assert reader.find_bar.isVisible()
    with qtbot.waitSignal(reader.controller.findFinished, timeout=10_000):
        reader.find_bar.edit.setText("boiler")
    hits = reader.pdf.highlights("find")
    assert len(hits) == 2  # "steam boiler" on page 1, "the boiler" on page 2
    assert reader.find_bar.count.text() == "1 of 2"
    reader.find_bar.nextRequested.emit()
    assert reader.find_bar.count.text() == "2 of 2"
    current = reader.pdf.highlights("find-current")
    assert len(current) == 1 and current[0].parentItem() is reader.pdf._frames[1]
    reader.find_bar.close_bar()
    assert reader.pdf.highlights("find") == []


def test_code_shows_line_numbers_colour_and_cited_lines(qtbot, reader, tmp_path):
    src = tmp_path / "valve.py"
    src.write_text("import os\n\n\ndef open_valve(pressure):\n    \"\"\"Open it.\"\"\"\n"
                   "    if pressure > 6:  # bar\n        return True\n    return False\n", encoding="utf-8")
    with qtbot.waitSignal(reader.citationShown, timeout=10_000):
        reader.open_document(info(src, "code"), Target(lines=(4, 7)))
    code = reader.code
    assert reader.pages.currentWidget() is code
    assert code.line_count == 9
    assert code.cited_lines == (4, 7)
    assert code.textCursor().selectedText().startswith("def open_valve")
    assert code.highlighter is not None and code.highlighter.language == "python"
    block = code.document().findBlockByNumber(3)  # "def open_valve"
    # the keyword "def" is coloured (the highlighter runs on the next event-loop turn)
    qtbot.waitUntil(lambda: any(f.start == 0 and f.length == 3 for f in block.layout().formats()), timeout=2000)
    reader.open_find()
    reader.find_bar.edit.setText("pressure")
    reader.find_bar.searchChanged.emit("pressure")
    assert reader.find_bar.count.text() == "1 of 2"
    assert not reader.page_box.isVisible()  # page controls are for PDFs only
