"""Probe prompts: exact token lengths with the real tokenizer, needles at the requested depth, answers present."""
from __future__ import annotations

import re

import pytest

from engine.probe import ANSWER_TOKENS, TASKS, build_case

pytestmark = pytest.mark.llm  # the packaged model's tokenizer and chat template (no inference)


def case(smol, task, length, depth=0.5, trial=0, seed=0):
    return build_case(task, length, depth, trial, count_tokens=smol.count_tokens, render_chat=smol.render_chat,
                      seed=seed)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("length", [1024, 3000])
def test_prompt_fills_the_length_without_exceeding_it(smol, task, length):
    c = case(smol, task, length)
    assert c.prompt_tokens == smol.count_tokens(c.prompt)
    # never more than the length leaves for the prompt; short of it by less than one filler sentence
    assert length - ANSWER_TOKENS - 40 <= c.prompt_tokens <= length - ANSWER_TOKENS


@pytest.mark.parametrize("depth", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_needle_sits_at_the_requested_depth_in_tokens(smol, depth):
    c = case(smol, "single", 3000, depth)
    before = smol.count_tokens(c.haystack[:c.needle_offset])
    assert abs(before / smol.count_tokens(c.haystack) - depth) < 0.03
    assert c.haystack[c.needle_offset:].startswith("The special magic number for ")


def test_single_and_multikey_answers_are_in_the_document_once(smol):
    for task in ("single", "multikey"):
        c = case(smol, task, 2048)
        key = re.search(r"magic number for ([\w-]+) is$", c.prompt).group(1)
        assert re.findall(rf"for {key} is (\d+)\.", c.haystack) == list(c.expected)
        for d in c.distractors:  # the other keys' numbers are there too, under other keys
            assert d in c.haystack and d not in c.expected
    assert len(case(smol, "multikey", 2048).distractors) == 3


def test_multivalue_holds_every_value_for_the_key(smol):
    c = case(smol, "multivalue", 2048, 0.3)
    key = re.search(r"magic numbers for ([\w-]+) are:$", c.prompt).group(1)
    assert sorted(re.findall(rf"numbers for {key} is (\d+)\.", c.haystack)) == sorted(c.expected)


def test_variable_chain_resolves_to_the_expected_names(smol):
    c = case(smol, "vartrack", 2048, 0.2)
    value = re.search(r"assigned the value (\d+)\. They are:$", c.prompt).group(1)
    equal = set()
    for name, rhs in re.findall(r"VAR (\w+) = (VAR \w+|\d+)\.", c.haystack):
        if rhs == value or rhs[4:] in equal:
            equal.add(name)
    assert equal == set(c.expected) and len(equal) == 4
    assert c.haystack.find(f"VAR {c.expected[0]} = {value}.") == c.needle_offset


def test_same_seed_same_prompt_and_one_haystack_for_every_trial(smol):
    a, b = case(smol, "single", 2048, 0.5, trial=0), case(smol, "single", 2048, 0.5, trial=0)
    assert a.prompt == b.prompt
    other = case(smol, "single", 2048, 0.5, trial=1)
    assert other.expected != a.expected
    # the filler is shared, so consecutive prompts share their start up to the needle (llama.cpp reuses it)
    assert a.haystack[:a.needle_offset] == other.haystack[:other.needle_offset]
    assert case(smol, "single", 2048, 0.5, seed=3).haystack != a.haystack


def test_filler_has_no_digits_to_confuse_with_answers(smol):
    c = case(smol, "single", 3000)
    assert re.findall(r"\d+", c.haystack.replace(c.expected[0], "")) == []


def test_too_short_a_length_is_refused(smol):
    with pytest.raises(ValueError, match="too short"):
        case(smol, "vartrack", 100)
    with pytest.raises(ValueError, match="depth"):
        case(smol, "single", 1024, 1.5)
