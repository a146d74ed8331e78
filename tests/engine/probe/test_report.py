"""Scoring, the effective-context rule, and the result's table and JSON."""
from __future__ import annotations

import pytest

from engine.probe import ProbeResult, effective_context, score, sweep_table


def test_score_needs_the_exact_number_as_a_whole_word():
    assert score(" 1234567.", ("1234567",)) == 1.0
    assert score("It is 12345678", ("1234567",)) == 0.0  # a longer number that contains it is wrong
    assert score("1234567 and 7654321", ("1234567", "7654321", "1111111")) == pytest.approx(2 / 3)
    assert score("", ("1234567",)) == 0.0


def test_score_is_zero_when_a_distractor_is_named_too():
    assert score("1234567 or maybe 7654321", ("1234567",), ("7654321",)) == 0.0
    assert score("1234567", ("1234567",), ("7654321",)) == 1.0


def test_variable_names_match_whole_words_ignoring_case():
    assert score("qwert, ASDFG and ZXCVB", ("QWERT", "ASDFG", "ZXCVB", "POIUY")) == 0.75
    assert score("QWERTY", ("QWERT",)) == 0.0


@pytest.mark.parametrize("acc,expected", [
    ({4096: 1.0, 8192: 0.9, 16384: 0.5, 32768: 0.9}, 8192),  # a lucky long cell after a failure does not count
    ({4096: 0.6, 8192: 0.52, 16384: 0.5}, 8192),  # 85% of 0.6 is 0.51
    ({4096: 1.0, 8192: 1.0}, 8192),
    ({4096: 0.0, 8192: 0.0}, 0),  # no baseline: no effective context
    ({4096: 1.0, 8192: 0.2}, 4096),
    ({}, 0),
])
def test_effective_context_is_the_longest_length_keeping_85_percent(acc, expected):
    assert effective_context(acc) == expected


def result(scores: dict[tuple[int, float], float], n_ctx=16384, **kw) -> ProbeResult:
    trials = [{"id": f"{n}|{d}", "task": "single", "length": n, "depth": d, "trial": 0, "score": s}
              for (n, d), s in scores.items()]
    return ProbeResult(key="k", model="Tiny", settings={"n_ctx": n_ctx, "rope_mode": "yarn", "rope_factor": 2.0,
                                                        "type_k": "q8_0", "type_v": "q8_0", "flash_attn": True},
                       grid={"tasks": ["single"]}, trials=trials, max_answer_tokens=384, **kw)


def test_result_figures_table_and_json_round_trip():
    r = result({(4096, 0.1): 1.0, (4096, 0.9): 1.0, (8192, 0.1): 1.0, (8192, 0.9): 0.0, (16384, 0.1): 0.0,
                (16384, 0.9): 0.0}, skipped_lengths=[32768])
    assert r.by_length() == {4096: 1.0, 8192: 0.5, 16384: 0.0}
    assert r.effective_context == 4096
    assert r.suggested_budget == 4096 - 384 - 400
    text = r.table()
    assert "RoPE yarn ×2" in text and "KV q8_0" in text and "not run (longer than n_ctx): 32k" in text
    assert " 8k      1.00    0.00    0.50" in text
    assert "effective context: 4,096 tokens" in text
    data = r.to_json()
    assert data["effective_context"] == 4096 and data["accuracy_by_length"]["8192"] == 0.5
    back = ProbeResult.from_json(data)
    assert back.effective_context == 4096 and back.trials == r.trials and back.skipped_lengths == [32768]


def test_no_baseline_says_so_and_suggests_nothing():
    r = result({(4096, 0.5): 0.0, (8192, 0.5): 0.0})
    assert r.effective_context == 0 and r.suggested_budget == 0
    assert "effective context: none" in r.table()


def test_sweep_table_has_one_row_per_configuration():
    a = result({(4096, 0.5): 1.0, (8192, 0.5): 1.0})
    b = result({(4096, 0.5): 1.0, (8192, 0.5): 0.0})
    lines = sweep_table([a, b]).splitlines()
    assert len(lines) == 3 and lines[1].endswith("≥ 8,192") and lines[2].endswith(" 4,096")
    assert a.effective_is_lower_bound and "at least 8,192 tokens" in a.verdict() and not b.effective_is_lower_bound
