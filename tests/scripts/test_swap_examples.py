"""scripts/train_answerability.py `swap_examples`: a made-up trick question swaps one word its paragraph holds for a
word of the same kind that the paragraph does not hold, and never touches the answer (a wrong label otherwise)."""
import importlib.util
import random
import re
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_answerability.py"
spec = importlib.util.spec_from_file_location("train_answerability", SCRIPT)
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)

FIRST = ("The Treaty of Utrecht was signed in 1713 by Britain and Spain. It ended the long war and gave Gibraltar "
         "to Britain, which has held the fortress ever since.")
SECOND = "In 1763 the Treaty of Paris gave Canada to Britain; France kept Guadeloupe and Martinique."


def article() -> dict:
    return {"title": "Treaties", "paragraphs": [
        {"context": FIRST, "qas": [
            {"question": "In what year was the Treaty of Utrecht signed?", "is_impossible": False,
             "answers": [{"text": "1713", "answer_start": FIRST.index("1713")}]},
            {"question": "Which fortress did Spain give to Britain?", "is_impossible": False,
             "answers": [{"text": "Gibraltar", "answer_start": FIRST.index("Gibraltar")}]},
            {"question": "Who signed the Treaty of Ghent?", "is_impossible": True, "answers": []}]},
        {"context": SECOND, "qas": [
            {"question": "What did France keep?", "is_impossible": False,
             "answers": [{"text": "Guadeloupe and Martinique", "answer_start": SECOND.index("Guadeloupe")}]}]}]}


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)}


def test_swaps_one_held_word_for_an_unheld_word_of_the_same_kind():
    out = train.swap_examples([article()], random.Random(0), share=1.0)
    originals = {q["question"]: (p["context"], q["answers"]) for p in article()["paragraphs"] for q in p["qas"]}
    assert out, "every answerable question here has a word to swap"
    for question, passage, label, start, end in out:
        assert (label, start, end) == (0, -1, -1)
        source = next(q for q in originals if len(q.split()) == len(question.split())
                      and sum(a != b for a, b in zip(q.split(), question.split())) == 1)
        context, answers = originals[source]
        assert passage == context
        old, new = next((a, b) for a, b in zip(source.split(), question.split()) if a != b)
        assert old.strip("?").lower() in words(context)
        assert new.strip("?").lower() not in words(context)
        assert train._swap_kind(old.strip("?")) == train._swap_kind(new.strip("?"))
        assert all(old.strip("?").lower() not in a["text"].lower() for a in answers)


def test_unanswerable_questions_and_unswappable_ones_give_nothing():
    art = article()
    for p in art["paragraphs"]:
        p["qas"] = [q for q in p["qas"] if q["is_impossible"]]
    assert train.swap_examples([art], random.Random(0), share=1.0) == []
    # an article of one paragraph has no word this paragraph lacks to swap in
    only_second = {"title": "T", "paragraphs": [article()["paragraphs"][1]]}
    assert train.swap_examples([only_second], random.Random(0), share=1.0) == []
