"""Map-reduce answers over a generated four-chapter PDF: cited notes per part, then a verified synthesis — or,
when the synthesis loses support, the joined notes. The real packaged model once; a scripted model for the
reduce logic (it copies the fact of each part, then says what each test needs)."""
from __future__ import annotations

import re

import pymupdf as fitz
import pytest

from engine import Engine, Settings
from engine.answer.synthesis import complete_sentences, format_notes
from engine.llm.backend import GenerationStats, TextPiece
from engine.types import CitationEvent, DoneEvent, TokenEvent
from tests.engine.ingest.pdfgen import PdfBuilder, filler

QUESTION = "List all the lighthouses and who built them."
FACTS = ["The Kestrel lighthouse was built in 1887 by the engineer Mara Okafor on Gannet Rock.",
         "The Heron lighthouse was built in 1902 by the engineer Tomas Velde on Curlew Point.",
         "The Osprey lighthouse was built in 1921 by the engineer Ines Barros on Puffin Island.",
         "The Plover lighthouse was built in 1948 by the engineer Jonas Kell on Tern Head."]
TOPICS = ["tides", "weather", "ferries", "harbour"]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mapreduce")
    pdf = folder / "lights.pdf"
    b = PdfBuilder()
    toc = []
    for i, (fact, topic) in enumerate(zip(FACTS, TOPICS), start=1):
        b.new_page().line(f"Chapter {i}. The {topic}", size=16, bold=True)
        b.paragraph(filler(topic, 4) + " " + fact + " " + filler(topic + "s", 6))
        toc.append([1, f"Chapter {i}. The {topic}", i])
    b.save(pdf, toc=toc)
    settings = Settings()
    settings.llm.n_ctx = 2048
    settings.llm.budget = 320  # far less than the document: map-reduce, one chapter per part
    settings.llm.max_answer_tokens = 96
    settings.llm.temperature = 0.0
    lib = folder / "lib"
    with Engine.open(lib, settings=settings) as eng:
        rep = eng.ingest([pdf])
        assert rep.ok, rep.to_json()
        settings.save(lib)
    return lib, pdf


class ScriptedModel:
    """Map calls: the lighthouse sentence of the part, with its source number. Synthesis: `synthesis(numbers)`,
    given the note numbers in the prompt. Tokens are words; each note of a synthesis prompt costs `note_cost` more."""

    name = "scripted"
    info = None

    def __init__(self, synthesis, note_cost: int = 0, note=lambda fact, n: f"{fact} [{n}]. " * 2):
        self.synthesis = synthesis
        self.note = note  # a part's note from its fact; by default twice, as small models loop
        self.note_cost = note_cost
        self.synthesis_prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        n = len(re.findall(r"\w+|[^\w\s]", text))
        return n + self.note_cost * len(re.findall(r"lighthouse was built", text)) if "Notes:" in text else n

    def render_chat(self, messages: list[dict]) -> str:
        return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + \
            "<|im_start|>assistant\n"

    def effective_settings(self) -> dict:
        return {"n_ctx": 2048, "model_name": "scripted"}

    def generate(self, prefix, suffix, *, max_tokens, temperature, stop=None, cancel=None, seed=None):
        prompt = prefix + suffix
        if "Notes:" in prompt:
            self.synthesis_prompts.append(prompt)
            text = self.synthesis([int(n) for n in re.findall(r"\[(\d+)\]\.$", prompt, re.M)])
        else:
            text = ""
            for number, body in re.findall(r"^\[(\d+)\] [^\n]*:\n(.*?)(?=\n\n\[|\n\nQuestion:)", prompt, re.M | re.S):
                fact = re.search(r"The \w+ lighthouse was built[^.]*\.", " ".join(body.split()))
                if fact:
                    text += self.note(fact.group(0)[:-1], number)
            text = text or "Nothing relevant."
        for word in text.split(" "):
            yield TextPiece(word + " ")
        yield GenerationStats(self.count_tokens(prompt), 0, len(text.split()), 0, False, "none", 1.0, 1.0, 2.0,
                              1000.0, 100.0, "stop")


def _ask(library, model):
    lib, pdf = library
    with Engine.open(lib, llm=model) as eng:
        events = list(eng.ask_stream(QUESTION, docs=[pdf]))  # map-reduce reads named documents only
    assert isinstance(events[-1], DoneEvent)
    return events, events[-1].answer


def _pages(answer) -> set[int]:
    return {c.page for c in answer.citations}


def test_unsupported_synthesis_falls_back_to_the_joined_notes(library):
    model = ScriptedModel(lambda ns: f"The lighthouses were painted purple by Martian sailors in 2050 [{ns[0]}].")
    events, answer = _ask(library, model)
    assert answer.context["mode"] == "map-reduce" and answer.context["groups"] >= 4
    assert model.synthesis_prompts, "the synthesis was not asked for"
    assert answer.context["reduce"] == "joined"
    assert "supported" in answer.context["reduce_reason"]
    assert "purple" not in answer.answer and "Martian" not in answer.answer
    assert _pages(answer) == {1, 2, 3, 4}
    for fact in FACTS:
        assert answer.answer.count(fact.split(" by ")[0]) == 1  # the repeated note counts once
    assert "[answer]" in "".join(e.text for e in events if isinstance(e, TokenEvent))


def test_supported_synthesis_becomes_the_answer_with_each_quote_on_its_page(library):
    _, pdf = library
    names = ["Mara Okafor", "Tomas Velde", "Ines Barros", "Jonas Kell"]
    model = ScriptedModel(lambda ns: " ".join(f"The engineer {name} built a lighthouse in {year} [{n}]."
                                              for name, year, n in zip(names, (1887, 1902, 1921, 1948), ns)))
    events, answer = _ask(library, model)
    assert answer.context["reduce"] == "synthesis", answer.context
    assert answer.answer.startswith("The engineer Mara Okafor built a lighthouse in 1887 [1].")
    assert _pages(answer) == {1, 2, 3, 4}
    assert [e.citation for e in events if isinstance(e, CitationEvent)] == answer.citations
    with fitz.open(pdf) as doc:
        for c in answer.citations:
            assert f"[{c.id}]" in answer.answer
            assert c.quote.replace(" ", "") in doc[c.page - 1].get_text().replace("\n", "").replace(" ", "")
    streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert streamed.index("[part 4 of") < streamed.index("[answer]") < streamed.index("Mara Okafor built")
    assert answer.timings["synthesis_ms"] > 0 and answer.timings["map_ms"] > 0


def test_a_synthesis_that_drops_parts_falls_back(library):
    model = ScriptedModel(lambda ns: f"The Kestrel lighthouse was built in 1887 [{ns[0]}]. "
                                     f"The Heron lighthouse was built in 1902 [{ns[1]}].")
    _, answer = _ask(library, model)
    assert answer.context["reduce"] == "joined"
    assert answer.context["reduce_reason"] == "the synthesis covers 2 of 4 parts"
    assert _pages(answer) == {1, 2, 3, 4}


def test_notes_that_overflow_the_context_lose_their_least_relevant_parts(library):
    # four notes of 550 tokens cannot fit 2048 - 96, three can
    model = ScriptedModel(lambda ns: "Nothing relevant.", note_cost=550)
    _, answer = _ask(library, model)
    assert answer.context["notes_trimmed"] == 1
    prompt = model.synthesis_prompts[0]
    assert len(re.findall(r"lighthouse was built", prompt)) == 3
    assert model.count_tokens(prompt) <= 2048 - 96
    assert answer.context["reduce"] == "joined"


def test_notes_keep_the_source_numbers_and_pages(library):
    model = ScriptedModel(lambda ns: "Nothing relevant.")
    _ask(library, model)
    prompt = model.synthesis_prompts[0]
    assert re.search(r"^Part 1 \(p\. 1\):\nThe Kestrel lighthouse was built in 1887[^\n]* \[1\]\.$", prompt, re.M)
    assert re.search(r"^Part 4 \(p\. 4\):\nThe Plover lighthouse was built in 1948[^\n]* \[4\]\.$", prompt, re.M)
    assert format_notes([], {}) == ""


def test_a_sentence_cut_off_by_the_token_limit_is_not_a_claim():
    cut = GenerationStats(10, 0, 96, 0, False, "none", 1.0, 1.0, 2.0, 1000.0, 100.0, "length")
    text = "It was built in 1.5 years [2]. The Osprey lighthouse was built by"
    assert complete_sentences(text, cut) == "It was built in 1.5 years [2]."
    assert complete_sentences(text, None) == text


def test_repeated_and_looping_notes_count_once_or_not_at_all(library):
    def looping(fact, n):
        name = fact.split(" was ")[0]
        loop = f"{name} was built by the engineer" + " and the engineer" * 8
        year = re.search(r"\d{4}", fact).group(0)
        return f"{fact} [{n}]. {loop} [{n}]. {year} [{n}]. "  # and a sourced fragment, "1887 [1]."

    _, answer = _ask(library, ScriptedModel(lambda ns: "Nothing relevant.", note=looping))
    assert answer.context["reduce"] == "joined"
    assert "and the engineer and" not in answer.answer and not re.search(r"(^|\. )\d{4} \[", answer.answer)
    assert answer.answer.count("Kestrel lighthouse") == 1 and _pages(answer) == {1, 2, 3, 4}


@pytest.mark.llm
@pytest.mark.slow  # five generations: ~40 s on an idle 2-core machine, minutes when it is shared
def test_real_model_answers_a_whole_document_request_with_citations_from_several_chapters(library):
    lib, pdf = library
    with Engine.open(lib) as eng:
        events = list(eng.ask_stream(QUESTION, docs=[pdf]))
    answer = events[-1].answer
    assert answer.context["mode"] == "map-reduce"
    assert answer.context["reduce"] in {"synthesis", "joined"}, answer.context
    assert len(_pages(answer)) >= 2, answer.answer
    with fitz.open(pdf) as doc:
        for c in answer.citations:
            assert f"[{c.id}]" in answer.answer
            assert c.quote.replace(" ", "") in doc[c.page - 1].get_text().replace("\n", "").replace(" ", "")
    streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert "[part 1 of" in streamed
    if answer.context["reduce"] == "synthesis":
        assert "[answer]" in streamed
