"""The facade: Engine.probe saves under the library, and a result for the current settings caps the budget."""
from __future__ import annotations

import dataclasses

import pytest

from engine import Engine
from engine.answer.ask import AskContext, _budget
from engine.probe import ProbeGrid


@pytest.fixture
def engine(tmp_path, reader):
    reader.reach = 2100
    reader.n_ctx = 8192
    eng = Engine.open(tmp_path / "library", llm=reader)
    eng.settings.llm.budget = 6000
    yield eng
    eng.close()


GRID = ProbeGrid(lengths=(1024, 2048, 4096), depths=(0.5,), tasks=("single",))


def budget(eng, llm) -> int:
    return _budget(AskContext(eng.db, None, None, llm, eng._answer_settings(llm)))


def test_probe_saves_under_the_library_and_is_found_again(engine, reader):
    res = engine.probe(GRID, heatmap=False)
    assert res.effective_context == 2048
    assert res.json_path.startswith(str(engine.library_dir / "probe"))
    found = engine.probe_result()
    assert found is not None and found.effective_context == 2048 and found.key == res.key


def test_measured_effective_context_caps_the_default_budget(engine, reader):
    room = 8192 - 384 - 400
    assert budget(engine, reader) == min(6000, room)  # nothing measured yet
    engine.probe(GRID, heatmap=False)
    assert engine._answer_settings(reader).effective_context == 2048
    assert budget(engine, reader) == 2048 - 384 - 400
    assert engine.settings.llm.effective_context == 0  # the saved settings are not rewritten


def test_a_result_for_other_settings_does_not_cap(engine, reader, model_file):
    engine.probe(GRID, heatmap=False)
    from tests.engine.probe.conftest import ReadingBackend

    other = ReadingBackend(model_file, n_ctx=8192, rope_mode="yarn")  # same model, another RoPE mode
    assert budget(engine, other) == min(6000, 8192 - 384 - 400)


def test_an_effective_context_set_by_hand_wins(engine, reader):
    engine.probe(GRID, heatmap=False)
    engine.settings.llm = dataclasses.replace(engine.settings.llm, effective_context=4096)
    assert budget(engine, reader) == 4096 - 384 - 400


def test_an_interrupted_probe_does_not_cap(engine, reader):
    reader.on_call = lambda n: (_ for _ in ()).throw(KeyboardInterrupt) if n == 2 else None
    with pytest.raises(KeyboardInterrupt):
        engine.probe(GRID, heatmap=False)
    assert budget(engine, reader) == min(6000, 8192 - 384 - 400)


def test_the_cap_never_leaves_less_than_the_floor(engine, reader):
    from engine.api import MIN_CAPPED_BUDGET

    reader.reach = 1100  # reads only the 1k prompts: effective context 1,024, which would leave 240 tokens
    res = engine.probe(GRID, heatmap=False)
    assert res.effective_context == 1024
    assert budget(engine, reader) == MIN_CAPPED_BUDGET
