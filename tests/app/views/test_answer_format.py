"""Answer text → transcript HTML with citation links, and → Markdown for the clipboard."""
from __future__ import annotations

from engine import Turn
from app.views.answer_format import Colours, body_html, context_line, markers, turn_markdown, where
from engine import Citation, Source

C = Colours(text="#000000", quiet="#777777", link="#0000ff", card="#eeeeee", info="#ddeeff", error="#cc0000",
            error_bg="#ffeeee", warn="#ffffcc")


def test_markers_are_found_in_order_including_lists():
    assert markers("A [2] and B [1, 3]. Again [2].") == [2, 1, 3]


def test_markers_become_links_and_html_is_escaped():
    html = body_html("Use <b> tags? No: **bold** and `code` [1][2]", 4, C)
    assert "&lt;b&gt;" in html
    assert "<b>bold</b>" in html and "<code>code</code>" in html
    assert 'href="cite:4:1"' in html and 'href="cite:4:2"' in html


def test_bullets_become_a_list():
    html = body_html("Steps:\n\n- drain the drum [1]\n- check the glass [2]", 0, C)
    assert html.count("<li>") == 2


def test_where_names_file_and_page_or_lines():
    assert where(Citation(1, "/x/report.pdf", 41, None, "q")) == "report.pdf, p. 41"
    assert where(Citation(1, "/x/app.py", None, (10, 24), "q")) == "app.py, lines 10–24"
    assert where(Source(1, "/x/app.py", None, (7, 7), 0.1, "t")) == "app.py, line 7"


def test_markdown_copy_carries_citations_with_file_and_page():
    t = Turn(question="Why?", answer="Because [1].",
             citations=[Citation(1, "/x/report.pdf", 41, None, "the   reason\nis this")])
    assert turn_markdown(t) == "**Q:** Why?\n\nBecause [1].\n\n**Citations**\n\n[1] report.pdf, p. 41 — “the reason is this”\n"


def test_context_line_reads_the_engine_context_and_timings():
    t = Turn(question="q", context={"mode": "retrieved", "context_tokens": 2341, "budget": 3072},
             timings={"cache_hit": False, "total_ms": 4200})
    assert context_line(t) == "Read 2,341 of 3,072 tokens · passages retrieved · no cache hit · 4.2 s"


def test_context_line_says_how_a_map_reduce_answer_was_reduced():
    t = Turn(question="q", context={"mode": "map-reduce", "reduce": "joined"}, timings={})
    assert context_line(t) == "summarised section by section · section notes joined"
    t = Turn(question="q", context={"mode": "map-reduce", "reduce": "synthesis"}, timings={})
    assert "notes combined by the model" in context_line(t)
