"""The probe's tasks: needle-in-a-haystack and RULER-style prompts of an exact token length, and their scoring.

Each case is a chat prompt: generated filler (filler.py) with one or more "needles" inserted at a depth, a
question, and the start of the answer (RULER's answer prefix: a small model answers far more reliably when the
sentence it must complete is begun for it). A case's *length* is its prompt tokens plus `ANSWER_TOKENS` kept for the
answer, so a probe at length n_ctx fits the context exactly. The haystack of a given seed is the same for every
task, depth and trial (only the needles differ), so consecutive prompts share a long token prefix that llama.cpp
keeps in its cache instead of evaluating it again.

Tasks:
    single      one "special magic number for <key>"; what is it?
    multikey    four keys, each with its number; the number of one of them (the others are distractors)
    multivalue  three numbers for the same key; all of them
    vartrack    a chain VAR A = 12345, VAR B = VAR A, ...; which variables equal 12345?
"""
from __future__ import annotations

import functools
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from .filler import sentences

TASKS = ("single", "multikey", "multivalue", "vartrack")
ANSWER_TOKENS = 48  # room kept inside each length for the answer
SENTENCES_PER_PARAGRAPH = 6
SYSTEM = "You are a careful assistant. You answer questions about a document exactly, from the document only."
INTRO = "Read the document below. Some special facts are hidden in it; remember them."

_KEY_ADJ = ("amber", "silver", "crimson", "violet", "golden", "scarlet", "azure", "ivory", "emerald", "cobalt",
            "copper", "jade", "onyx", "coral", "indigo", "saffron")
_KEY_NOUN = ("falcon", "otter", "lynx", "heron", "badger", "walrus", "gecko", "panther", "raven", "bison",
             "marten", "ibis", "jackal", "osprey", "viper", "yak")


@dataclass(frozen=True)
class ProbeCase:
    """One prompt of the probe and what a right answer contains.

    `prompt` is the whole prompt (chat template applied, ending with the begun answer); `expected` are the strings
    the answer must contain; an answer that also names a `distractor` scores 0. `needle_offset` is the character
    offset in `haystack` of the first needle asked about.
    """

    task: str
    length: int
    depth: float
    trial: int
    prompt: str
    prompt_tokens: int
    expected: tuple[str, ...]
    distractors: tuple[str, ...]
    max_tokens: int
    haystack: str
    needle_offset: int


@dataclass(frozen=True)
class _Spec:
    needles: list[tuple[float, str]]  # (depth, sentence); the first is the one asked about
    question: str
    answer_prefix: str
    expected: tuple[str, ...]
    distractors: tuple[str, ...]
    max_tokens: int


def _numbers(rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        v = str(rng.randint(1_000_000, 9_999_999))
        if v not in out:
            out.append(v)
    return out


def _keys(rng: random.Random, n: int) -> list[str]:
    pairs = rng.sample([(a, b) for a in _KEY_ADJ for b in _KEY_NOUN], n)
    return [f"{a}-{b}" for a, b in pairs]


def _spec(task: str, depth: float, rng: random.Random) -> _Spec:
    if task == "single":
        (key,), (value,) = _keys(rng, 1), _numbers(rng, 1)
        return _Spec([(depth, f"The special magic number for {key} is {value}.")],
                     f"What is the special magic number for {key} mentioned in the document?",
                     f"The special magic number for {key} is", (value,), (), 16)
    if task == "multikey":
        keys, values = _keys(rng, 4), _numbers(rng, 4)
        needles = [(depth if i == 0 else rng.random(), f"The special magic number for {k} is {v}.")
                   for i, (k, v) in enumerate(zip(keys, values))]
        return _Spec(needles, f"What is the special magic number for {keys[0]} mentioned in the document?",
                     f"The special magic number for {keys[0]} is", (values[0],), tuple(values[1:]), 16)
    if task == "multivalue":
        (key,), values = _keys(rng, 1), _numbers(rng, 3)
        needles = [(depth if i == 0 else rng.random(), f"One of the special magic numbers for {key} is {v}.")
                   for i, v in enumerate(values)]
        return _Spec(needles, f"What are all the special magic numbers for {key} mentioned in the document?",
                     f"The special magic numbers for {key} are:", tuple(values), (), 40)
    if task == "vartrack":
        (value,) = _numbers(rng, 1)
        names: list[str] = []
        while len(names) < 4:
            name = "".join(rng.choice(string.ascii_uppercase) for _ in range(5))
            if name not in names:
                names.append(name)
        chain = [f"VAR {names[0]} = {value}."] + [f"VAR {b} = VAR {a}." for a, b in zip(names, names[1:])]
        # the chain reads forward from the depth towards the end, as a reader would meet it
        needles = [(depth + (1.0 - depth) * i / len(chain), s) for i, s in enumerate(chain)]
        return _Spec(needles, f"Find all variables that are assigned the value {value} in the document.",
                     f"According to the chain of variable assignments in the document, {len(names)} variables are "
                     f"assigned the value {value}. They are:", tuple(names), (), 32)
    raise ValueError(f"unknown probe task {task!r}; choose from {', '.join(TASKS)}")


@functools.lru_cache(maxsize=4)
def _filler(seed: int, n: int) -> tuple[str, ...]:
    return tuple(sentences(random.Random(f"lectern-probe-filler|{seed}"), n))


def _filler_at_least(seed: int, n: int) -> tuple[str, ...]:
    size = 256
    while size < n:
        size *= 2
    return _filler(seed, size)  # draws are sequential, so a longer list starts with the shorter one


def _haystack(filler: tuple[str, ...], n: int, needles: list[tuple[float, str]]) -> tuple[str, int]:
    """Text of the first `n` filler sentences with the needles inserted; (text, offset of needles[0])."""
    at: dict[int, list[tuple[int, str]]] = {}
    for i, (d, s) in enumerate(needles):
        at.setdefault(min(n, max(0, round(d * n))), []).append((i, s))
    parts: list[str] = []
    offset = 0
    length = 0

    def add(piece: str, sep: str) -> None:
        nonlocal length
        if parts:
            parts.append(sep)
            length += len(sep)
        parts.append(piece)
        length += len(piece)

    for k in range(n + 1):
        for i, s in at.get(k, ()):
            sep = "\n\n" if k % SENTENCES_PER_PARAGRAPH == 0 else " "
            add(s, sep)
            if i == 0:
                offset = length - len(s)
        if k < n:
            add(filler[k], "\n\n" if k % SENTENCES_PER_PARAGRAPH == 0 else " ")
    return "".join(parts), offset


def build_case(task: str, length: int, depth: float, trial: int, *, count_tokens: Callable[[str], int],
               render_chat: Callable[[list[dict]], str], seed: int = 0) -> ProbeCase:
    """The prompt of one trial, filled with filler to `length - ANSWER_TOKENS` tokens (never more).

    Args:
        task: one of TASKS.
        length: the target length in tokens (prompt + ANSWER_TOKENS).
        depth: where the needle goes, 0.0 (start of the document) to 1.0 (end).
        trial: the trial number; with `seed` it picks the keys and numbers.
        count_tokens: the model's token counter.
        render_chat: the model's chat template (messages -> prompt ending with the assistant header).
        seed: the probe's seed (the filler and the needles follow from it).
    Returns:
        ProbeCase.
    Raises:
        ValueError: an unknown task, a depth outside [0, 1], or a length too short for the question alone.
    """
    if not 0.0 <= depth <= 1.0:
        raise ValueError(f"depth must be between 0 and 1, not {depth}")
    spec = _spec(task, depth, random.Random(f"{seed}|{task}|{length}|{depth:.4f}|{trial}"))
    target = length - ANSWER_TOKENS

    def compose(n: int) -> tuple[str, str, int]:
        hay, off = _haystack(_filler_at_least(seed, n), n, spec.needles)
        user = f"{INTRO}\n\n<document>\n{hay}\n</document>\n\n{spec.question}"
        prompt = render_chat([{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}])
        return prompt + spec.answer_prefix, hay, off

    base = count_tokens(compose(0)[0])
    if base > target:
        raise ValueError(f"a {task} prompt needs {base + ANSWER_TOKENS} tokens; {length} is too short")
    per = max(1.0, (count_tokens(compose(64)[0]) - base) / 64)  # tokens per filler sentence
    lo, hi = 0, int((target - base) / per * 1.1) + 8  # lo always fits; grow hi until it does not
    while count_tokens(compose(hi)[0]) <= target:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count_tokens(compose(mid)[0]) <= target:
            lo = mid
        else:
            hi = mid
    prompt, hay, off = compose(lo)
    return ProbeCase(task, length, depth, trial, prompt, count_tokens(prompt), spec.expected, spec.distractors,
                     spec.max_tokens, hay, off)


def _mentions(text: str, s: str) -> bool:
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])", text, re.IGNORECASE) is not None


def score(answer: str, expected: tuple[str, ...], distractors: tuple[str, ...] = ()) -> float:
    """Share of the expected strings the answer contains (whole words); 0 if it names a distractor too.

    Args:
        answer: the model's answer (after the begun answer sentence).
        expected: strings a right answer contains.
        distractors: strings a right answer must not contain (the other keys' numbers).
    Returns:
        A score between 0.0 and 1.0.
    """
    if not expected or any(_mentions(answer, d) for d in distractors):
        return 0.0
    return sum(_mentions(answer, e) for e in expected) / len(expected)
