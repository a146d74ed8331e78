"""Prompts, split into a cacheable prefix and a per-question suffix.

The prefix (instructions + numbered sources) is identical for every question about the same context, so the
model state after it can be saved and reused: a follow-up only prefills its own words. The split point is found
through the model's own chat template (render the same conversation with two different final characters and take
the common prefix), so it works for any template, not just ChatML.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SYSTEM = ("You answer questions using only the numbered sources the user gives you. "
          "Answer in one to three short sentences. After each sentence put the number of the source it comes from "
          "in brackets, like [2]. If the sources do not contain the answer, reply exactly: "
          "\"The sources do not say.\"")

PARTIAL_SYSTEM = ("You read one part of a longer document and note what it says about the user's request. "
                  "Write at most three short sentences, each followed by the number of its source in brackets. "
                  "If this part says nothing relevant, reply exactly: \"Nothing relevant.\"")

# The reduce step of map-reduce answers reads numbered notes (verified sentences), not sources.
SYNTHESIS_SYSTEM = ("You answer the user's request about a document from numbered notes taken while reading it. "
                    "Combine the notes into one answer of at most six short sentences, using only what the notes "
                    "say and keeping something from each part. After each sentence put the number of the note it "
                    "comes from in brackets, like [2].")

NOT_FOUND_MARKERS = ("the sources do not say", "nothing relevant", "do not contain", "does not contain",
                     "not mentioned", "no information", "cannot answer", "can't answer", "not provided")


@dataclass(frozen=True)
class NumberedSource:
    """One entry of the context the model reads: `[n] label: text`."""

    number: int
    label: str
    text: str


def source_label(path: str, page: int | None, lines: tuple[int, int] | None) -> str:
    name = os.path.basename(path)
    if page is not None:
        return f"{name} p. {page}"
    if lines is not None:
        return f"{name} lines {lines[0]}-{lines[1]}"
    return name


def format_sources(sources: Sequence[NumberedSource]) -> str:
    return "\n\n".join(f"[{s.number}] {s.label}:\n{s.text.strip()}" for s in sources)


def build_messages(system: str, sources_text: str, question: str,
                   history: Sequence[tuple[str, str]] = ()) -> tuple[list[dict], str]:
    """The conversation: sources first (the cacheable part), then earlier turns and the question.

    Returns the messages and the part of the last message that changes between questions (for split_prompt).
    """
    tail = ""
    if history:
        turns = "\n".join(f"Earlier question: {q}\nEarlier answer: {a}" for q, a in history)
        tail += f"{turns}\n\n"
    tail += f"Question: {question}"
    return [{"role": "system", "content": system},
            {"role": "user", "content": f"Sources:\n\n{sources_text}\n\n{tail}"}], tail


def split_prompt(render: Callable[[list[dict]], str], messages: list[dict], question_tail: str) -> tuple[str, str]:
    """(prefix, suffix) of the rendered prompt, where the prefix ends just before `question_tail`.

    `question_tail` is the final part of the last user message that changes between questions (history and
    question); everything before it is shared.
    """
    full = render(messages)
    last = messages[-1]["content"]
    if not last.endswith(question_tail):
        return "", full
    stable = last[: len(last) - len(question_tail)]
    probe_a = render(messages[:-1] + [{"role": "user", "content": stable + "\x01"}])
    probe_b = render(messages[:-1] + [{"role": "user", "content": stable + "\x02"}])
    n = 0
    for a, b in zip(probe_a, probe_b):
        if a != b:
            break
        n += 1
    prefix = full[:n]
    if not full.startswith(prefix):
        return "", full
    return prefix, full[n:]


def says_not_found(text: str) -> bool:
    low = " ".join(text.lower().split())
    return any(m in low for m in NOT_FOUND_MARKERS)
