"""Verification and focus of a generated answer, on hand-made passages, with the real packaged embedder."""
from __future__ import annotations

from engine.answer.ask import focus
from engine.answer.evidence import rank_evidence
from engine.answer.verify import name_stems, verify
from engine.retrieval.sources import ChunkRow

STADIUMS = ("The Melbourne Cricket Ground is the largest stadium in Australia. "
            "It hosted the 1956 Summer Olympics.")
TRAMS = ("Melbourne has the largest tram network in the world, with 250 kilometres of double track. "
         "The Sydney Opera House stands on Bennelong Point.")


def _chunk(cid: int, text: str, page: int) -> ChunkRow:
    return ChunkRow(id=cid, document_id=1, section_id=cid, ordinal=cid, text=text, page=page, page_end=page,
                    line_start=None, line_end=None, boxes=((page, 0, len(text), (72.0, 90.0, 540.0, 102.0)),),
                    path="/x/australia.pdf", kind="pdf", section_title="", n_tokens=40)


def _verify(answer: str, question: str, embedder):
    passages = [_chunk(1, STADIUMS, 4), _chunk(2, TRAMS, 9)]
    units = rank_evidence(question, passages, {}, embedder.embed, [1.0, 0.5])
    return verify(answer, question, units, lambda u: u.chunk.id, {}, embedder.embed), units


def test_names_inside_a_sentence_are_found() -> None:
    assert name_stems("The largest stadium is the Sydney Cricket Ground.") >= {"sydney", "cricket", "ground"}
    assert "the" not in name_stems("The largest stadium is the Sydney Cricket Ground.")


def test_a_name_the_source_does_not_contain_is_not_supported(embedder) -> None:
    q = "What is the largest stadium in Australia?"
    wrong, _ = _verify("The largest stadium in Australia is the Sydney Cricket Ground [1].", q, embedder)
    assert wrong.kept == []
    assert wrong.claims[0].support == 0.0  # close in meaning and in words, but the wrong ground
    right, _ = _verify("The largest stadium in Australia is the Melbourne Cricket Ground [1].", q, embedder)
    assert len(right.kept) == 1
    assert right.kept[0].evidence.text.startswith("The Melbourne Cricket Ground")


def test_focus_drops_claims_beside_the_point_and_leads_with_the_best_evidence(embedder) -> None:
    q = "What is the largest stadium in Australia?"
    checked, units = _verify("Melbourne has 250 kilometres of double tram track [2]. "
                             "The Melbourne Cricket Ground is the largest stadium in Australia [1].", q, embedder)
    assert len(checked.kept) == 2  # both are true to their sources
    kept = focus(checked.kept, max(units, key=lambda u: u.score))
    assert [c.evidence.chunk.id for c in kept] == [1]  # the tram fact does not answer the question


def test_focus_keeps_claims_near_the_passage_the_retriever_ranked_first(embedder) -> None:
    q = "Which Australian city has the largest tram network and the largest stadium?"
    passages = [_chunk(1, STADIUMS, 4), _chunk(2, TRAMS, 9)]
    # the retriever ranked the tram passage well below the stadium one
    units = rank_evidence(q, passages, {}, embedder.embed, [1.0, 0.3])
    checked = verify("Melbourne has the largest tram network in the world [2]. "
                     "The Melbourne Cricket Ground is the largest stadium in Australia [1].", q, units,
                     lambda u: u.chunk.id, {}, embedder.embed)
    assert len(checked.kept) == 2
    strongest = max(units, key=lambda u: u.score)
    lead = units[0]
    assert lead.chunk.id == 1
    kept = focus(checked.kept, strongest, lead)
    assert [c.evidence.chunk.id for c in kept] == [1]
    # without a lead (the old rule) both would stay: each matches the question about as well
    assert {c.evidence.chunk.id for c in focus(checked.kept, strongest)} == {1, 2}


def test_an_identifier_the_source_does_not_contain_is_not_supported(embedder) -> None:
    q = "How do I read a fixed-width format file?"
    source = ("Function read.fortran is a similar function for fixed-format files, using Fortran-style column "
              "specifications.")
    units = rank_evidence(q, [_chunk(1, source, 15)], {}, embedder.embed, [1.0])
    checked = verify("The function `read.systat` can be used to read a fixed-width file [1]. "
                     "The function read.fortran reads fixed-format files [1].", q, units, lambda u: 1, {},
                     embedder.embed)
    assert [c.text for c in checked.kept] == ["The function read.fortran reads fixed-format files."]
    assert name_stems("Call raise_for_status() on os.path.join") >= {"rais", "status", "os", "path", "join"}


ENGINE = ("The company Energiprojekt AB in Sweden builds modern steam engines. "
          "The efficiency of the Energiprojekt engine reaches some 27 percent. "
          "It is a single-step, 5-cylinder engine with superheated steam.")


def test_the_quote_is_the_sentence_that_shows_the_fact_the_answer_adds(embedder) -> None:
    q = "How many cylinders does the Energiprojekt AB engine have?"
    units = rank_evidence(q, [_chunk(1, ENGINE, 8)], {}, embedder.embed, [1.0])
    checked = verify("The Energiprojekt AB engine has 5 cylinders [1].", q, units, lambda u: 1, {}, embedder.embed)
    assert len(checked.kept) == 1
    # the sentence before it names the engine, but only this one shows the "5" the answer adds
    assert checked.kept[0].evidence.text.startswith("It is a single-step, 5-cylinder engine")


def test_focus_keeps_a_claim_offering_the_kind_of_answer_the_lead_lacks(embedder) -> None:
    q = "How many cylinders does the Energiprojekt AB engine have?"
    intro = "The company Energiprojekt AB in Sweden has made progress in using modern materials for steam."
    # the retriever ranked the introduction first; only the second passage has a number
    units = rank_evidence(q, [_chunk(1, intro, 8), _chunk(2, ENGINE, 9)], {}, embedder.embed, [1.0, 0.8])
    lead, strongest = units[0], max(units, key=lambda u: u.score)
    assert lead.chunk.id == 1 and not lead.offers
    checked = verify("The Energiprojekt AB engine has 5 cylinders [2].", q, units, lambda u: u.chunk.id, {},
                     embedder.embed)
    assert checked.kept[0].evidence.chunk.id == 2 and checked.kept[0].evidence.order < lead.order - 0.5
    assert [c.evidence.chunk.id for c in focus(checked.kept, strongest, lead)] == [2]


def test_have_is_not_a_fact_an_answer_adds() -> None:
    from engine.retrieval.textmatch import content_stems

    assert content_stems("The engine has five cylinders and had two boilers") == ["engin", "five", "cylind", "two",
                                                                                   "boiler"]
