"""Asking in the real window: a streamed answer with clickable citations that land on highlighted words.

The answer stream is scripted (`ask_stream` on the engine instance) so these tests check the app, not the model;
tests/app/test_real_answers.py asks the real packaged model.
"""
from __future__ import annotations

import json
import threading
import time

import pytest

from app.qt import QApplication, Qt, QUrl
from engine import (Answer, Citation, CitationEvent, DoneEvent, ModelLoadError, Source, SourcesEvent, TokenEvent)

QUOTE = "must stay below 6 bar at all times"


class ScriptedStream:
    """Stands in for `Engine.ask_stream`: yields the events an answer over the boiler manual produces."""

    def __init__(self, pdf, rects, *, abstain=False, delay=0.0, fail=None):
        self.pdf, self.rects, self.abstain, self.delay, self.fail = str(pdf), tuple(rects), abstain, delay, fail
        self.calls: list[dict] = []
        self.started = threading.Event()

    def __call__(self, question, docs=None, history=None, cancel=None):
        self.calls.append({"question": question, "docs": docs, "history": list(history or [])})
        self.started.set()
        if self.fail is not None:
            raise self.fail
        source = Source(rank=1, path=self.pdf, page=2, lines=None, score=0.83,
                        text="The working pressure of the boiler must stay below 6 bar at all times.",
                        rects=self.rects)
        yield SourcesEvent(sources=(source,), context={"mode": "full", "context_tokens": 212, "budget": 3072,
                                                        "documents": [self.pdf]})
        text = ("I could not find that in your library." if self.abstain else
                "The working pressure must stay below 6 bar [1].")
        for word in text.split(" "):
            if cancel is not None and cancel.is_set():
                from engine import Cancelled

                raise Cancelled("stopped")
            time.sleep(self.delay)
            yield TokenEvent(word + " ")
        cits = [] if self.abstain else [Citation(id=1, path=self.pdf, page=2, lines=None, quote=QUOTE,
                                                 rects=self.rects, source_rank=1, score=0.9)]
        for c in cits:
            yield CitationEvent(c)
        yield DoneEvent(Answer(question=question, answer=text, abstained=self.abstain, citations=cits,
                               sources=[source], timings={"total_ms": 1234.0, "cache_hit": True},
                               context={"mode": "full", "context_tokens": 212, "budget": 3072,
                                        "documents": [self.pdf]}))


@pytest.fixture
def scripted(window, boiler_pdf):
    eng = window.library.engine
    rects = eng.quote_rects(boiler_pdf, 2, QUOTE)
    assert rects, "the engine must find the quote on page 2"
    stream = ScriptedStream(boiler_pdf, rects)
    eng.ask_stream = stream  # the instance attribute stands in for the facade method
    return stream


def ask(qtbot, window, question: str, signal=None):
    panel = window.ask_panel
    panel.question.setPlainText(question)
    with qtbot.waitSignal(signal or window.ask_controller.answered, timeout=10_000):
        qtbot.keyClick(panel.question, Qt.Key.Key_Return)


def test_an_answer_streams_in_with_a_clickable_citation(qtbot, window, scripted):
    tokens = []
    window.ask_controller.token.connect(tokens.append)
    ask(qtbot, window, "What pressure must the boiler stay below?")
    assert len(tokens) > 3  # it arrived piece by piece
    panel = window.ask_panel
    html = panel.transcript.toHtml()
    assert 'href="cite:0:1"' in html
    assert "must stay below 6 bar" in panel.transcript.toPlainText()
    assert "boiler-manual.pdf, p. 2" in panel.transcript.toPlainText()  # the citation list under the answer
    assert panel.sources.topLevelItemCount() == 1
    assert panel.sources.topLevelItem(0).text(1) == "p. 2"
    assert panel.context.text() == ("Read 212 of 3,072 tokens · documents read in full · 1 document · cache hit "
                                    "· 1.2 s")
    assert panel.question.toPlainText() == ""
    # the button turns back when the worker thread ends, a moment after the answer arrives
    qtbot.waitUntil(lambda: panel.ask_button.text() == "Ask", timeout=5000)


def test_clicking_the_citation_opens_the_page_with_the_quote_highlighted(qtbot, window, scripted, boiler_pdf):
    ask(qtbot, window, "What pressure must the boiler stay below?")
    reader = window.reader
    with qtbot.waitSignal(reader.citationShown, timeout=10_000):
        window.ask_panel.activate_citation(0, 1)
    assert reader.path == str(boiler_pdf)
    items = reader.pdf.highlights("citation")
    assert len(items) == len(scripted.rects)
    for item, r in zip(items, scripted.rects):
        assert item.parentItem() is reader.pdf._frames[1]  # page 2
        b = item.rect()
        assert (b.left(), b.top(), b.right(), b.bottom()) == pytest.approx(r, abs=0.01)
    visible = reader.pdf.mapToScene(reader.pdf.viewport().rect()).boundingRect()
    assert visible.contains(items[0].sceneBoundingRect().center())
    assert reader.pdf.current_page == 2
    assert window.ask_panel.scope.itemText(1) == "This document: boiler-manual.pdf"


def test_scope_follow_ups_and_history_persist_per_library(qtbot, window, scripted, boiler_pdf, library_dir):
    ask(qtbot, window, "What pressure must the boiler stay below?")
    window.ask_panel.activate_citation(0, 1)
    qtbot.waitUntil(lambda: window.reader.path == str(boiler_pdf), timeout=10_000)
    window.ask_panel.scope.setCurrentIndex(1)  # the open document
    ask(qtbot, window, "And what opens at 6.5 bar?")
    second = scripted.calls[-1]
    assert second["docs"] == [str(boiler_pdf)]
    assert second["history"] == [("What pressure must the boiler stay below?",
                                  "The working pressure must stay below 6 bar [1].")]
    saved = json.loads((library_dir / "conversations.json").read_text(encoding="utf-8"))
    turns = saved["conversations"][-1]["turns"]
    assert [t["question"] for t in turns] == ["What pressure must the boiler stay below?",
                                              "And what opens at 6.5 bar?"]
    assert turns[0]["citations"][0]["page"] == 2 and turns[0]["citations"][0]["rects"]


def test_escape_stops_generation_and_keeps_what_was_written(qtbot, window, scripted):
    scripted.delay = 0.3
    panel = window.ask_panel
    panel.question.setPlainText("What pressure must the boiler stay below?")
    qtbot.keyClick(panel.question, Qt.Key.Key_Return)
    assert scripted.started.wait(5)
    qtbot.waitUntil(lambda: window.ask_controller.busy and panel.ask_button.text() == "Stop", timeout=5000)
    with qtbot.waitSignal(window.ask_controller.stopped, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.ask_controller.busy and panel.ask_button.text() == "Ask", timeout=5000)
    assert "Stopped." in panel.transcript.toPlainText()
    assert window.ask_controller.turns[-1].stopped


def test_an_abstained_answer_looks_different_and_offers_the_closest_passages(qtbot, window, scripted):
    scripted.abstain = True
    ask(qtbot, window, "Who painted the Mona Lisa?")
    text = window.ask_panel.transcript.toPlainText()
    assert "Not found in your library" in text
    assert "Closest passages" in text
    assert 'href="source:0:1"' in window.ask_panel.transcript.toHtml()
    with qtbot.waitSignal(window.reader.citationShown, timeout=10_000):
        window.ask_panel._on_anchor(QUrl("source:0:1"))
    assert window.reader.pdf.highlights("citation")


def test_an_engine_error_is_shown_in_words(qtbot, window, scripted):
    scripted.fail = ModelLoadError("The model file /models/x.gguf is not a GGUF model.")
    ask(qtbot, window, "Anything?", signal=window.ask_controller.failed)
    text = window.ask_panel.transcript.toPlainText()
    assert "No answer." in text and "is not a GGUF model" in text
    qtbot.waitUntil(lambda: window.ask_panel.ask_button.text() == "Ask", timeout=5000)


def test_copy_gives_markdown_with_file_and_page(qtbot, window, scripted):
    ask(qtbot, window, "What pressure must the boiler stay below?")
    md = window.ask_panel.copy_answer()
    assert md.startswith("**Q:** What pressure must the boiler stay below?")
    assert "[1] boiler-manual.pdf, p. 2 — “must stay below 6 bar at all times”" in md
    assert QApplication.clipboard().text() == md


def test_the_conversation_is_back_after_reopening_the_library(qtbot, window, scripted, library_dir):
    ask(qtbot, window, "What pressure must the boiler stay below?")
    window.open_library(library_dir)  # as after a restart: a new engine, history read from the library
    assert "What pressure must the boiler stay below?" in window.ask_panel.transcript.toPlainText()
    assert 'href="cite:0:1"' in window.ask_panel.transcript.toHtml()
    window.ask_panel._on_new_conversation()
    assert "Ask your library" in window.ask_panel.transcript.toPlainText()
