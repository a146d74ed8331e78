"""answer_type: the kind of answer a question asks for, read from its own wh-word or an explicit phrase."""
from __future__ import annotations

from engine.retrieval.answertype import answer_type, asked_for, offers


def test_explicit_kinds() -> None:
    assert answer_type("How many cylinders does the engine have?") == "number"
    assert answer_type("When was the edict declared?") == "date"
    assert answer_type("In what year did Louis XIV take the throne?") == "date"
    assert answer_type("Who formulated the clonal selection theory?") == "person"
    assert answer_type("Which sea was oil discovered in?") == "place"
    assert answer_type("What did the Edict do for the Huguenots?") == "other"


def test_a_wh_word_inside_a_clause_does_not_set_the_kind() -> None:
    assert answer_type("What happens when the server answers a digest request with 401?") == "other"
    assert answer_type("Which method raises an exception when the server answered with a 4xx status?") == "other"
    assert answer_type("Why are people who distribute leaflets not arrested?") == "other"
    assert answer_type("How do I find out where my R function spends most of its time?") == "other"
    # the question's own wh-word still counts, whatever follows it
    assert answer_type("Who presented the mace to the Parliament when it was opened?") == "person"
    assert answer_type("Since when has the harbour been closed?") == "date"


def test_offers_something_the_question_does_not_already_name() -> None:
    q = "How many cylinders does the 1890 engine have?"
    assert offers("It is a single-step, 5-cylinder engine.", "number", q)
    assert not offers("The 1890 engine was built in Sweden.", "number", q)  # only the question's own number


def test_asked_for_names_what_the_answer_is() -> None:
    assert asked_for("What textile industry did the Huguenots contribute to in Ireland?") == ["textile", "industry"]
    assert asked_for("How many pumps does the station use?") == ["pumps"]
    assert asked_for("Which sea borders the country?") == ["sea", "borders"]
    assert asked_for("What is the capital of France?") == []
    assert asked_for("Who built the bridge?") == []
