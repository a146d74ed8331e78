"""Answers from the real packaged model over a generated PDF: cited, located, verified; off-topic abstains."""
from __future__ import annotations

import json
import subprocess
import sys

import pymupdf as fitz
import pytest

from engine import Engine, Settings
from engine.answer.ask import (ABSTAIN, NOT_SAID_TEXT, NOTHING_TO_READ_TEXT, RARELY_BY_SCORE, AbstainRule,
                               abstain_rule)
from engine.types import CitationEvent, DoneEvent, SourcesEvent, TokenEvent
from tests.engine.answer.lighthouses import write_lighthouses_pdf

pytestmark = pytest.mark.llm



@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ask")
    pdf = folder / "lighthouses.pdf"
    write_lighthouses_pdf(pdf)
    settings = Settings()
    settings.llm.n_ctx = 4096
    settings.llm.budget = 2500
    settings.llm.max_answer_tokens = 64
    lib = folder / "lib"
    with Engine.open(lib, settings=settings) as eng:
        rep = eng.ingest([pdf])
        assert rep.ok, rep.to_json()
        settings.save(lib)
    return lib, pdf


def test_answer_cites_the_quote_on_its_page(library):
    lib, pdf = library
    with Engine.open(lib) as eng:
        events = list(eng.ask_stream("When was the Kestrel lighthouse built?"))
    assert isinstance(events[0], SourcesEvent)
    assert any(isinstance(e, TokenEvent) for e in events)
    assert isinstance(events[-1], DoneEvent)
    answer = events[-1].answer
    assert not answer.abstained
    assert answer.citations, answer.answer
    assert len([e for e in events if isinstance(e, CitationEvent)]) == len(answer.citations)
    c = answer.citations[0]
    assert c.path == str(pdf) and c.page == 2
    assert "1887" in c.quote
    assert f"[{c.id}]" in answer.answer
    with fitz.open(pdf) as doc:
        page = doc[c.page - 1]
        assert c.quote.replace(" ", "")[:30] in page.get_text().replace("\n", "").replace(" ", "")
        hits = page.search_for("1887")
        box = page.rect
    assert c.rects
    for x0, y0, x1, y1 in c.rects:
        assert box.x0 <= x0 < x1 <= box.x1 and box.y0 <= y0 < y1 <= box.y1
    covered = fitz.Rect(hits[0])
    assert any(fitz.Rect(r).intersects(covered) for r in c.rects)
    assert answer.timings["prompt_tokens"] > 0 and answer.settings["n_ctx"] >= 4096


def test_off_topic_question_abstains_and_lists_passages(library):
    lib, _ = library
    with Engine.open(lib) as eng:
        answer = eng.ask("What is the boiling point of liquid nitrogen in kelvin?")
    assert answer.abstained
    assert answer.citations == []
    assert answer.sources


def test_follow_up_reuses_the_cached_prefix(library):
    lib, pdf = library
    with Engine.open(lib) as eng:
        first = eng.ask("Who built the Kestrel lighthouse?", docs=[pdf])
        second = eng.ask("Where is it?", docs=[pdf], history=[(first.question, first.answer)])
    assert first.context["mode"] == "full"  # the small document is read in full
    assert second.timings["cache_hit"] is True


def test_cli_ask_json_contract(library):
    lib, _ = library
    out = subprocess.run([sys.executable, "-m", "engine", "--library", str(lib), "ask",
                          "When was the Kestrel lighthouse built?", "--json"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {"question", "answer", "abstained", "citations", "sources", "timings", "settings"}
    assert {"retrieve_ms", "first_token_ms", "total_ms", "prompt_tokens", "completion_tokens",
            "cache_hit"} <= set(data["timings"])
    assert data["citations"] and data["citations"][0]["page"] == 2


def test_an_empty_library_says_there_is_nothing_to_read(tmp_path):
    # a mistyped --library path makes a new, empty library: say so, not "the closest passages are listed below"
    with Engine.open(tmp_path / "new-lib") as eng:
        answer = eng.ask("When was the Kestrel lighthouse built?")
    assert answer.abstained and answer.answer == NOTHING_TO_READ_TEXT
    assert answer.sources == [] and answer.citations == []
    out = subprocess.run([sys.executable, "-m", "engine", "--library", str(tmp_path / "new-lib"), "ask",
                          "When was it built?"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == NOTHING_TO_READ_TEXT  # and no empty "Closest passages:" heading


def test_strict_abstention_refuses_what_rarely_answers(library):
    lib, _ = library
    question = "How tall is the Kestrel lighthouse?"  # the document names the lighthouse, not its height
    answers = {}
    for level in ("rarely", "strict"):
        settings = Settings.load(lib)
        settings.llm.abstain = level
        with Engine.open(lib, settings=settings) as eng:
            answers[level] = eng.ask(question)
    strict, rarely = answers["strict"], answers["rarely"]
    # the words and meaning are close enough for "rarely"; the trained reader finds no answer in the passages
    score, meaning = strict.context["best_evidence"], strict.context["best_meaning"]
    assert not ABSTAIN["rarely"].refuses(score, meaning)
    assert strict.context["answerability"] < ABSTAIN["strict"].answerable_below
    assert strict.abstained and strict.citations == [] and strict.sources
    # the passages are about the lighthouse: the refusal says the library mentions it but does not say this
    assert strict.answer == NOT_SAID_TEXT and strict.context["refused_by"] == "answerability"
    assert not rarely.abstained and "answerability" not in rarely.context  # "rarely" does not consult the reader
    assert (rarely.context["best_evidence"], rarely.context["best_meaning"]) == (score, meaning)


def test_strict_keeps_answering_what_the_passages_answer(library):
    lib, _ = library
    settings = Settings.load(lib)
    settings.llm.abstain = "strict"
    with Engine.open(lib, settings=settings) as eng:
        answer = eng.ask("When was the Kestrel lighthouse built?")
    assert answer.context["answerability"] >= ABSTAIN["strict"].answerable_below
    assert not answer.abstained and answer.citations


def test_rarely_refuses_only_when_words_and_meaning_are_both_weak():
    rule = AbstainRule(score_below=1.8, meaning_below=0.4, not_found_below=1.6)
    assert rule.refuses(1.2, 0.2)
    assert not rule.refuses(1.2, 0.6)  # few of the question's words, but a passage close in meaning
    assert not rule.refuses(2.5, 0.2)  # the question's rare words, whatever the embedding says
    score_only = AbstainRule(score_below=1.8, meaning_below=None, not_found_below=2.0)
    assert score_only.refuses(1.2, 0.9) and not score_only.refuses(1.9, 0.1)


def test_the_meaning_threshold_applies_only_to_the_embedder_it_was_measured_with():
    assert abstain_rule("rarely", "all-MiniLM-L6-v2") is ABSTAIN["rarely"]
    # another embedder's cosines are on another scale: the score alone decides, at its own calibrated point
    assert abstain_rule("rarely", "bge-small-en-v1.5") == RARELY_BY_SCORE
    assert abstain_rule("rarely", "") == RARELY_BY_SCORE  # no embedder at all
    # the trained reader is the packaged network whatever the embedder: its threshold and not-found point stay
    strict = abstain_rule("strict", "bge-small-en-v1.5")
    assert strict.meaning_below is None and strict.score_below == RARELY_BY_SCORE.score_below
    assert (strict.answerable_below, strict.not_found_below) == (ABSTAIN["strict"].answerable_below,
                                                                 ABSTAIN["strict"].not_found_below)
