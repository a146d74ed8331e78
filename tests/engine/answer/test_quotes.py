"""The page a quote that runs over a page break opens at."""
from __future__ import annotations

from engine.answer.evidence import Evidence
from engine.answer.quotes import quote_page, to_citation
from engine.retrieval.sources import ChunkRow

# One sentence, broken across pages 19 and 20 the way a PDF breaks it: the question's words sit on page 19.
LINE_19 = "Throughout the 1980s and 1990s, demand for a Scottish Parliament grew, in part"
LINE_20 = ("because the government of the United Kingdom was controlled by the Conservative Party, while Scotland "
           "itself elected relatively few Conservative MPs.")


def _evidence() -> Evidence:
    text = f"{LINE_19} {LINE_20}"
    a = len(LINE_19)
    boxes = ((19, 0, a, (72.0, 740.0, 540.0, 752.0)),
             (20, a + 1, a + 1 + 96, (72.0, 72.0, 540.0, 84.0)),
             (20, a + 1 + 96, len(text), (72.0, 86.0, 300.0, 98.0)))
    chunk = ChunkRow(id=1, document_id=1, section_id=1, ordinal=0, text=text, page=19, page_end=20,
                     line_start=None, line_end=None, boxes=boxes, path="/not/here.pdf", kind="pdf",
                     section_title="Scotland", n_tokens=50)
    return Evidence(0, chunk, 0, len(text))


def test_the_page_holding_the_questions_words_wins_over_the_longer_part() -> None:
    ev = _evidence()
    assert quote_page(ev, "In the range between 1980 and 1990, what did demand grow for?") == 19
    assert quote_page(ev, "Which party controlled the government of the United Kingdom?") == 20


def test_without_a_question_the_longer_part_wins() -> None:
    assert quote_page(_evidence()) == 20


def test_citation_rects_lie_on_the_page_it_names() -> None:
    c = to_citation(1, _evidence(), question="What did demand grow for in the 1980s?")
    assert c.page == 19
    assert c.rects and all(r[1] >= 700 for r in c.rects)  # page 19's line is at the foot of the page


def _crossing(first: str, second: str, page: int = 33) -> Evidence:
    text = f"{first} {second}"
    a = len(first)
    boxes = ((page, 0, a, (72.0, 740.0, 540.0, 752.0)), (page + 1, a + 1, len(text), (72.0, 72.0, 500.0, 84.0)))
    chunk = ChunkRow(id=2, document_id=1, section_id=1, ordinal=0, text=text, page=page, page_end=page + 1,
                     line_start=None, line_end=None, boxes=boxes, path="/not/here.pdf", kind="pdf",
                     section_title="Mills", n_tokens=40)
    return Evidence(0, chunk, 0, len(text))


def test_the_page_next_to_the_words_naming_what_is_asked_for_wins() -> None:
    # the question's words split one and one ("contributed" above the break, "industry" below), and the first
    # part is longer: the answer ("Irish linen") is written next to the asked-for "industry", on the second page
    ev = _crossing("Smaller mills, which included the works at Ballymore in the north, contributed to",
                   "the expansion of flax growing and the growth of the Irish linen industry.")
    assert quote_page(ev, "What textile industry did the weavers contribute to?") == 34
    assert quote_page(ev) == 33  # without a question the longer part still wins


def test_the_page_offering_the_asked_kind_wins() -> None:
    ev = _crossing("The pumping station on the lower canal, rebuilt after the flood of the winter, uses",
                   "four steam pumps.")
    assert quote_page(ev, "How many steam pumps does the pumping station on the canal use?") == 34
