"""Re-ranking: the locator a chunk is matched by, and the prose/code weights."""
from __future__ import annotations

import numpy as np

from engine.retrieval.hybrid import locator
from engine.retrieval.rerank import CODE, CONTENTS_PENALTY, PROSE, Candidate, contents_like, query_names, rerank
from engine.retrieval.textmatch import content_stems


def _unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


def test_code_locator_names_file_class_and_definition() -> None:
    loc = locator("code", "def get_adapter", "class Session", "src/requests/sessions.py")
    assert loc == "src/requests/sessions.py · class Session · def get_adapter"


def test_top_level_definition_does_not_repeat_its_file() -> None:
    # a module-level def's parent section is the file itself, titled with the same relative path
    assert locator("code", "def merge_setting", "src/sessions.py", "src/sessions.py") == \
        "src/sessions.py · def merge_setting"


def test_pdf_locator_is_parent_and_section_without_document_title() -> None:
    assert locator("pdf", "Using gctorture", "Checking memory access", "Writing R Extensions") == \
        "Checking memory access · Using gctorture"
    assert locator("pdf", "Chapter 1", None, "Book") == "Chapter 1"


def _stems(q: str) -> list[str]:
    return content_stems(q)


def test_code_definition_named_like_the_question_wins() -> None:
    q = "which function chooses the adapter for a url"
    qv = _unit([1, 0, 0])
    same = _unit([0.8, 0.6, 0])
    named = Candidate(1, "    for prefix, adapter in self.adapters.items():\n        if url.startswith(prefix):",
                      "code", "src/sessions.py · class Session · def get_adapter", same)
    other = Candidate(2, "    for prefix, adapter in self.adapters.items():\n        if url.startswith(prefix):",
                      "code", "src/sessions.py · class Session · def close", same)
    ranked = rerank(_stems(q), qv, [other, named], {})
    assert [cid for cid, _, _ in ranked] == [1, 2]
    assert ranked[0][2]["title"] > ranked[1][2]["title"] == 0.0


def test_embedding_counts_more_for_code_than_for_prose() -> None:
    assert CODE.cosine > PROSE.cosine
    assert PROSE.window > CODE.window
    q = "how is the connection pool sized"
    qv = _unit([1, 0, 0])
    close, far = _unit([0.9, 0.1, 0]), _unit([0.2, 0.9, 0])
    # the far chunk holds two of the question's three words, the close one none: prose keeps the word match first,
    # code lets the much closer embedding win
    for kind, winner in (("text", 2), ("code", 1)):
        a = Candidate(1, "maxsize = DEFAULT_POOLSIZE", kind, "", close)
        b = Candidate(2, "the connection pool was closed", kind, "", far)
        assert rerank(_stems(q), qv, [a, b], {})[0][0] == winner, kind


def test_features_are_reported() -> None:
    c = Candidate(7, "Engines burn coal. The engine was built in 1712.", "pdf", "Steam engine", _unit([1, 0]))
    (cid, score, parts), = rerank(_stems("when was the engine built"), _unit([1, 0]), [c], {})
    assert cid == 7 and set(parts) == {"window", "cosine", "coverage", "title", "fused", "name"}
    assert parts["window"] == 1.0 and parts["title"] > 0
    assert score > PROSE.window


def test_query_names_are_capitalised_names_of_several_words() -> None:
    assert query_names("What treaty ended the Wars of Religion?") == ["wars of religion"]
    assert query_names("Who designed the Scottish Parliament building?") == ["scottish parliament"]
    assert query_names("What Is the capital?") == []  # the opening word and one capital: no name
    assert query_names("how does caching work") == []


def test_a_chunk_writing_the_questions_name_whole_wins_a_tie() -> None:
    # both chunks hold "war(s)", "ended" and "religion"/"treaty" words; one writes the name the question uses
    q = "What treaty ended the Wars of Religion?"
    qv = _unit([1, 0, 0])
    scattered = Candidate(1, "The war over religion in the north ended with a treaty signed at the border.", "pdf",
                          "Chapter 1", _unit([0.9, 0.4, 0]))
    named = Candidate(2, "The Wars of Religion ended with the treaty the king granted.", "pdf", "Chapter 4",
                      _unit([0.9, 0.4, 0]))
    idf = {s: 1.0 for s in _stems(q)}
    without = rerank(_stems(q), qv, [scattered, named], idf)
    with_names = rerank(_stems(q), qv, [scattered, named], idf, query_names(q))
    assert without[0][1] == without[1][1]  # the same words: a tie
    assert with_names[0][0] == 2 and with_names[0][2]["name"] == 1.0


def test_contents_and_index_pages_are_recognised() -> None:
    assert contents_like("Contents\nChapter 1. Steam engine …… 3\nChapter 2. Oil crisis …… 13\nChapter 3. Parliament …… 19")
    assert contents_like("1.1 Package structure. . . . . . . 3 1.1.1 The DESCRIPTION file . . . . . . 4 "
                         "1.1.2 Licensing . . . . . . . 9")
    assert not contents_like("The value was 3.5 in 1990. It rose to 4. Then 5... and more, to 6.")


def test_a_contents_page_ranks_below_the_section_it_lists() -> None:
    q = "How do I read a fixed-width file?"
    qv = _unit([1, 0, 0])
    toc = Candidate(1, "2.1 Variations on read.table . . . . . . 9 2.2 Fixed-width-format files . . . . . . 11 "
                       "2.3 Data Interchange Format (DIF) . . . . . . 11 2.4 Using scan directly . . . . . . 12",
                    "pdf", "Contents", _unit([1, 0, 0]))
    body = Candidate(2, "Function read.fwf provides a simple way to read such files, specifying a vector of "
                        "field widths.", "pdf", "Fixed-width-format files", _unit([0.6, 0.8, 0]))
    ranked = rerank(_stems(q), qv, [toc, body], {s: 1.0 for s in _stems(q)})
    assert ranked[0][0] == 2
    # the contents page matched more of the question (all its words, and the closer embedding): only the
    # penalty puts it second
    by_id = {cid: (score, parts) for cid, score, parts in ranked}
    assert by_id[1][0] + CONTENTS_PENALTY > by_id[2][0]
