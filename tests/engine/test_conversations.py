"""Conversation history per library: saved as JSON in the library, reloaded, damaged files survived."""
from __future__ import annotations

from engine.conversations import ConversationStore, Turn
from engine import Citation, Source


def turn(q: str, a: str, **kw) -> Turn:
    cit = Citation(id=1, path="/docs/a.pdf", page=3, lines=None, quote="the quote", rects=((1.0, 2.0, 3.0, 4.0),))
    src = Source(rank=1, path="/docs/a.pdf", page=3, lines=None, score=0.5, text="the quote and more",
                 rects=((1.0, 2.0, 3.0, 4.0),))
    return Turn(question=q, answer=a, citations=[cit], sources=[src], context={"mode": "retrieved"}, **kw)


def test_turns_survive_a_reload_with_their_citations(tmp_path):
    store = ConversationStore(tmp_path)
    store.add(turn("q1", "a1 [1]"))
    again = ConversationStore(tmp_path)
    t = again.current[0]
    assert (t.question, t.answer) == ("q1", "a1 [1]")
    assert t.citations[0].rects == ((1.0, 2.0, 3.0, 4.0),) and t.citations[0].page == 3
    assert t.sources[0].text == "the quote and more"
    assert t.context == {"mode": "retrieved"}


def test_history_is_the_last_answered_turns_of_the_current_conversation(tmp_path):
    store = ConversationStore(tmp_path)
    store.add(turn("old", "old answer"))
    store.new_conversation()
    for i in range(4):
        store.add(turn(f"q{i}", f"a{i}"))
    store.add(turn("failed", "", error="model missing"))
    store.add(turn("abstained", "not found", abstained=True))
    assert store.history(2) == [("q2", "a2"), ("q3", "a3")]
    assert store.history(0) == []
    assert len(ConversationStore(tmp_path).conversations) == 2


def test_a_damaged_file_starts_a_fresh_history(tmp_path):
    (tmp_path / "conversations.json").write_text("{not json", encoding="utf-8")
    store = ConversationStore(tmp_path)
    assert store.current == []
    store.add(turn("q", "a"))
    assert ConversationStore(tmp_path).current[0].question == "q"
