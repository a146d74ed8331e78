"""pack_units and friends: chunk sizes, order, splitting of long units, spans, overlap."""
from __future__ import annotations

import pytest

from engine.ingest.chunking import (Span, Unit, join_units, line_units, pack_units, sentence_bounds,
                                    word_estimate_counter)


def per_word(texts):
    """An exactly additive counter: one token per word."""
    return [len(t.split()) for t in texts]


def with_specials(texts):
    """One token per word plus [CLS]/[SEP], like a BERT tokenizer."""
    return [len(t.split()) + 2 for t in texts]


def sentences(n: int, words: int = 5, start: int = 0) -> list[Unit]:
    units, pos = [], start
    for i in range(n):
        text = " ".join(f"w{i}x{j}" for j in range(words))
        units.append(Unit(text, pos, " " if i else "", (Span(0, len(text), i),)))
        pos += len(text) + 1
    return units


def test_word_estimate_counter():
    assert word_estimate_counter(["", "one", "one two three four five six seven eight nine ten"]) == [0, 1, 13]


def test_chunks_respect_budget_and_keep_order():
    units = sentences(40, words=7)
    chunks = pack_units(units, 30, per_word)
    assert [u for c in chunks for u in c] == units  # every unit once, in order
    assert all(sum(per_word([u.text])[0] for u in c) <= 30 for c in chunks)
    assert all(len(c) == 4 for c in chunks)  # 4 x 7 = 28 fits, 5 x 7 = 35 does not


def test_special_token_overhead_is_counted_once_per_chunk():
    units = sentences(40, words=7)
    chunks = pack_units(units, 30, with_specials)
    for c in chunks:
        text, _ = join_units(c)
        assert with_specials([text])[0] <= 30
    assert max(len(c) for c in chunks) == 4  # 28 + 2 specials = 30 still fits


def test_counter_called_in_one_batch():
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return per_word(texts)

    pack_units(sentences(100), 50, counting)
    assert calls == [101]  # 100 units + "" for the overhead


def test_long_unit_split_on_word_boundaries_with_spans():
    words = [f"word{i}" for i in range(100)]
    text = " ".join(words[:50]) + "\n" + " ".join(words[50:])
    spans = (Span(0, text.index("\n"), "first line"), Span(text.index("\n") + 1, len(text), "second line"))
    unit = Unit(text, 1000, " ", spans)
    chunks = pack_units([Unit("intro", 990, ""), unit], 30, per_word)
    pieces = [u for c in chunks for u in c][1:]
    assert all(per_word([p.text])[0] <= 30 for p in pieces)
    assert " ".join(p.text for p in pieces).split() == words  # no word cut or lost
    for p in pieces:
        assert text[p.start - 1000:p.end - 1000] == p.text  # offsets still index the source
        for s in p.spans:
            assert s.data in ("first line", "second line")
            assert p.text[s.start:s.end].strip() == p.text[s.start:s.end]
    # The piece straddling the newline carries both spans, clipped.
    straddling = [p for p in pieces if len(p.spans) == 2]
    assert len(straddling) == 1
    first, second = straddling[0].spans
    assert (first.data, second.data) == ("first line", "second line")
    assert straddling[0].text[first.end:second.start] == "\n"


def test_split_piece_joiners_rebuild_the_source():
    text = "alpha beta\ngamma delta epsilon zeta"
    units = [Unit(text, 0, "")]
    chunks = pack_units(units, 2, per_word)
    joined = "".join((u.joiner if i else "") + u.text for i, u in enumerate(u for c in chunks for u in c))
    assert joined == text


def test_giant_word_is_cut():
    chunks = pack_units([Unit("x" * 4000)], 50, lambda ts: [len(t) // 4 for t in ts])
    assert len(chunks) > 1
    assert "".join(u.text for c in chunks for u in c) == "x" * 4000
    assert all(len(u.text) // 4 <= 50 for c in chunks for u in c)


def test_non_additive_counter_still_fits():
    # word_estimate_counter rounds per string: 1 word -> 1, 100 words -> 130. Pieces must still fit.
    unit = Unit(" ".join(["w"] * 300))
    chunks = pack_units([unit], 60, word_estimate_counter)
    assert all(word_estimate_counter([join_units(c)[0]])[0] <= 60 for c in chunks)


def test_overlap_repeats_trailing_units():
    units = sentences(12, words=5)
    chunks = pack_units(units, 20, per_word, overlap_units=1)
    for a, b in zip(chunks, chunks[1:]):
        assert b[0] is a[-1]
    assert all(sum(per_word([u.text])[0] for u in c) <= 20 for c in chunks)
    assert chunks[-1][-1] is units[-1]


def test_budget_too_small_raises():
    with pytest.raises(ValueError):
        pack_units(sentences(2), 2, with_specials)


def test_empty_input():
    assert pack_units([], 10, per_word) == []


def test_join_units_rebases_spans():
    units = [Unit("ab cd", 0, "", (Span(0, 2, "L1"), Span(3, 5, "L2"))), Unit("ef", 6, "\n", (Span(0, 2, "L3"),))]
    text, spans = join_units(units)
    assert text == "ab cd\nef"
    assert [(text[s.start:s.end], s.data) for s in spans] == [("ab", "L1"), ("cd", "L2"), ("ef", "L3")]


def test_line_units_for_code():
    src = "def f():\r\n    return 1\n\nx = f()"
    units = line_units(src, first_line=10)
    assert [u.text for u in units] == ["def f():", "    return 1", "", "x = f()"]
    assert [u.spans[0].data for u in units] == [10, 11, 12, 13]
    assert all(src[u.start:u.end] == u.text for u in units)
    chunks = pack_units(units, 4, per_word)
    text, spans = join_units(chunks[0])
    assert text == "def f():\n    return 1\n"  # 4 words: the blank line rides along at no cost
    assert (spans[0].data, spans[-1].data) == (10, 12)


def test_sentence_bounds():
    text = "Hello there. This is e.g. a test of 3.14 things!  \"Quoted\" works? yes it does"
    got = [text[a:b] for a, b in sentence_bounds(text)]
    assert got == ["Hello there.", "This is e.g. a test of 3.14 things!", "\"Quoted\" works? yes it does"]


def test_abbreviations_and_initials_do_not_end_a_sentence():
    text = ("Medicine reached Iraq without the permission of the U.S. Government, openly. Dr. Smith met J. S. Bach "
            "in St. Louis (see Fig. 3). He left in Jan. 1900. The end.")
    got = [text[a:b] for a, b in sentence_bounds(text)]
    assert got == ["Medicine reached Iraq without the permission of the U.S. Government, openly.",
                   "Dr. Smith met J. S. Bach in St. Louis (see Fig. 3).", "He left in Jan. 1900.", "The end."]
