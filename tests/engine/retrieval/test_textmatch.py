"""TermMatcher: query stems found in prose and in code identifiers, with their positions."""
from __future__ import annotations

from engine.retrieval.textmatch import TermMatcher, content_stems, stem


def _found(query: str, text: str) -> set[str]:
    return {s for _, s in TermMatcher(content_stems(query)).hits(text)}


def test_prose_words_meet_by_stem() -> None:
    assert _found("how are engines constructed", "The engine was constructing ...") == {stem("engines"),
                                                                                        stem("constructed")}


def test_snake_case_identifier_holds_its_words() -> None:
    # "_" is part of \w, so a word-boundary scan used to see one word "raise_for_status" and miss both
    assert _found("which method raises on a bad status", "    def raise_for_status(self):") == {stem("raises"),
                                                                                               stem("status")}


def test_camel_case_identifier_holds_its_words() -> None:
    found = _found("case insensitive dictionary of http adapters", "class CaseInsensitiveDict; HTTPAdapter()")
    assert found == {stem("case"), stem("insensitive"), stem("http"), stem("adapters")}
    assert stem("dictionary") not in found  # "Dict" is not "dictionary": no guessing beyond the stem


def test_positions_follow_the_text() -> None:
    hits = TermMatcher([stem("status"), stem("raise")]).hits("x = raise_for_status and status")
    assert [p for p, _ in hits] == sorted(p for p, _ in hits)
    assert [s for _, s in hits] == [stem("raise"), stem("status"), stem("status")]


def test_one_letter_name_matches_only_alone() -> None:
    m = TermMatcher(["c"])
    assert [s for _, s in m.hits("calling C++ from a C function; cat, code")] == ["c", "c"]


def test_possessive_is_cut() -> None:
    assert _found("Victoria farmland", "Victoria's farmland") == {stem("victoria"), stem("farmland")}


def test_per_span_assigns_hits_to_their_span() -> None:
    text = "def get_adapter(url):\n    return adapters[url]"
    sets = TermMatcher([stem("adapter"), stem("url")]).per_span(text, [(0, 21), (22, len(text))])
    assert sets == [{stem("adapter"), stem("url")}, {stem("adapter"), stem("url")}]
