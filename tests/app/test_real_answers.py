"""The ask panel with the real engine and the packaged model: a streamed answer whose citation lands on its words."""
from __future__ import annotations

import pytest

from engine import Engine

from .test_main_window import INGEST_TIMEOUT_MS, wait_for_documents

pytestmark = [pytest.mark.slow, pytest.mark.llm]


def test_the_packaged_model_streams_a_cited_answer_that_opens_highlighted(qtbot, window, boiler_pdf):
    if not hasattr(Engine, "ask_stream"):
        pytest.skip("the engine has no ask_stream yet")
    with qtbot.waitSignal(window.library.ingestFinished, timeout=INGEST_TIMEOUT_MS):
        window.add_paths([str(boiler_pdf)])
    wait_for_documents(qtbot, window, 1)
    tokens: list[str] = []
    window.ask_controller.token.connect(tokens.append)
    panel = window.ask_panel
    panel.question.setPlainText("What must the working pressure of the boiler stay below?")
    with qtbot.waitSignal(window.ask_controller.busyChanged, timeout=600_000,
                          check_params_cb=lambda busy: not busy):
        panel.ask()
    turn = window.ask_controller.turns[-1]
    assert not turn.error, turn.error
    assert tokens and "".join(tokens).strip()
    assert turn.sources and panel.sources.topLevelItemCount() == len(turn.sources)
    assert panel.context.text()  # tokens read, mode, cache
    assert not turn.abstained and turn.citations, turn.answer
    cit = turn.citations[0]
    assert cit.path == str(boiler_pdf) and cit.page and cit.rects
    with qtbot.waitSignal(window.reader.citationShown, timeout=20_000):
        panel.activate_citation(len(window.ask_controller.turns) - 1, cit.id)
    items = window.reader.pdf.highlights("citation")
    assert len(items) == len(cit.rects)
    assert all(i.parentItem() is window.reader.pdf._frames[cit.page - 1] for i in items)
    for item, r in zip(items, cit.rects):
        b = item.rect()
        assert (b.left(), b.top(), b.right(), b.bottom()) == pytest.approx(r, abs=0.01)
