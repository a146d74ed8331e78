"""best_page: the page a chunk that crosses a page break opens at."""
from __future__ import annotations

from engine.retrieval.sources import ChunkRow, best_page

PAGE_3 = ("Long before that, the regional assemblies met twice a year in the old hall by the river. "
          "The king later revoked the edict of Nantes and closed the assemblies.")
PAGE_4 = "He issued the edict of Fontainebleau in 1685."


def _chunk() -> ChunkRow:
    text = f"{PAGE_3} {PAGE_4}"
    a = len(PAGE_3)
    boxes = ((3, 0, a, (72.0, 700.0, 540.0, 712.0)), (4, a + 1, len(text), (72.0, 90.0, 400.0, 102.0)))
    return ChunkRow(id=1, document_id=1, section_id=1, ordinal=0, text=text, page=3, page_end=4, line_start=None,
                    line_end=None, boxes=boxes, path="/x/book.pdf", kind="pdf", section_title="History",
                    n_tokens=60)


def test_page_with_more_of_the_query_words_wins() -> None:
    assert best_page(_chunk(), "Who revoked the edict of Nantes?") == 3


def test_a_tie_goes_to_the_page_that_offers_the_kind_of_answer_asked_for() -> None:
    # both pages name "edict" once; only page 4 has a date next to it, although page 3 holds more text
    assert best_page(_chunk(), "When was the edict declared?") == 4


def test_without_an_answer_type_a_tie_goes_to_the_page_with_more_text() -> None:
    assert best_page(_chunk(), "What was the edict?") == 3


def test_single_page_chunk_keeps_its_page() -> None:
    one = ChunkRow(id=2, document_id=1, section_id=1, ordinal=1, text=PAGE_4, page=7, page_end=7, line_start=None,
                   line_end=None, boxes=((7, 0, len(PAGE_4), (1.0, 2.0, 3.0, 4.0)),), path="/x/book.pdf",
                   kind="pdf", section_title="History", n_tokens=12)
    assert best_page(one, "When was the edict declared?") == 7
