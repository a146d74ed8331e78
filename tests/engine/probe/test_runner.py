"""The probe runner: grid order, progress, the trial log, resume after an interrupt, saved JSON and heatmap."""
from __future__ import annotations

import json

import pytest

from engine.errors import Cancelled
from engine.probe import ProbeGrid, default_lengths, load_result, run_probe

GRID = ProbeGrid(lengths=(1024, 2048, 4096), depths=(0.2, 0.8), tasks=("single", "multikey"), trials=2)


def test_runs_every_trial_and_finds_where_the_model_stops_reading(reader, tmp_path):
    reader.reach = 2100  # reads 1k and 2k prompts, not 4k ones
    seen = []
    res = run_probe(reader, GRID, tmp_path, progress=seen.append)
    assert len(res.trials) == len(reader.calls) == 3 * 2 * 2 * 2
    assert res.by_length() == {1024: 1.0, 2048: 1.0, 4096: 0.0}
    assert res.effective_context == 2048 and res.complete
    assert seen[-1].done == seen[-1].total == 24 and seen[0].stage == "probe" and "trials" in seen[0].message
    # short lengths first, deep needles first within a length (so prompts share their start)
    order = [(t["length"], t["depth"]) for t in res.trials]
    assert order[0] == (1024, 0.8) and order[-1] == (4096, 0.2)


def test_result_json_and_heatmap_are_saved_under_the_key(reader, tmp_path):
    res = run_probe(reader, GRID, tmp_path)
    saved = json.loads((tmp_path / f"{res.key}.json").read_text())
    assert saved["effective_context"] == res.effective_context and len(saved["trials"]) == 24
    png = tmp_path / f"{res.key}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and res.png_path == str(png)
    again = load_result(tmp_path, reader.effective_settings())
    assert again is not None and again.by_length() == res.by_length()


def test_cancel_mid_run_keeps_finished_trials_and_a_rerun_runs_only_the_rest(reader, model_file, tmp_path):
    stop = {"now": False}

    def on_call(n):
        if n == 5:
            stop["now"] = True  # the 5th trial finishes; the runner stops before the 6th

    reader.on_call = on_call
    with pytest.raises(Cancelled):
        run_probe(reader, GRID, tmp_path, cancel=lambda: stop["now"], heatmap=False)
    log = next(tmp_path.glob("*.trials.jsonl"))
    assert len(log.read_text().splitlines()) == 5
    partial = load_result(tmp_path, reader.effective_settings())
    assert partial is not None and not partial.complete and len(partial.trials) == 5

    from tests.engine.probe.conftest import ReadingBackend

    fresh = ReadingBackend(model_file)  # a new process with the same model and settings
    res = run_probe(fresh, GRID, tmp_path, heatmap=False)
    assert len(fresh.calls) == 24 - 5 and len(res.trials) == 24 and res.complete
    assert len({t["id"] for t in res.trials}) == 24


def test_a_torn_last_line_is_run_again(reader, tmp_path):
    grid = ProbeGrid(lengths=(1024,), depths=(0.5,), tasks=("single",), trials=3)
    run_probe(reader, grid, tmp_path, heatmap=False)
    log = next(tmp_path.glob("*.trials.jsonl"))
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:2]) + "\n" + lines[2][:20])  # killed while writing the third line
    reader.calls.clear()
    res = run_probe(reader, grid, tmp_path, heatmap=False)
    assert len(reader.calls) == 1 and len(res.trials) == 3


def test_fresh_forgets_and_other_settings_do_not_resume(reader, model_file, tmp_path):
    grid = ProbeGrid(lengths=(1024,), depths=(0.5,), tasks=("single",))
    run_probe(reader, grid, tmp_path, heatmap=False)
    run_probe(reader, grid, tmp_path, resume=False, heatmap=False)
    assert len(reader.calls) == 2

    from tests.engine.probe.conftest import ReadingBackend

    yarn = ReadingBackend(model_file, rope_mode="yarn")
    res = run_probe(yarn, grid, tmp_path, heatmap=False)
    assert len(yarn.calls) == 1 and "yarn" in res.key


def test_lengths_beyond_n_ctx_are_skipped_and_reported(model_file, tmp_path):
    from tests.engine.probe.conftest import ReadingBackend

    small = ReadingBackend(model_file, n_ctx=2048)
    res = run_probe(small, ProbeGrid(lengths=(1024, 2048, 4096), depths=(0.5,), tasks=("single",)), tmp_path,
                    heatmap=False)
    assert res.lengths == [1024, 2048] and res.skipped_lengths == [4096]
    assert max(small.calls) + 48 <= 2048


def test_grid_checks_and_default_lengths():
    assert default_lengths(8192) == (1024, 2048, 4096, 8192)
    assert default_lengths(3000) == (1024, 2048, 3000)
    assert ProbeGrid.quick(4096).tasks == ("single",)
    with pytest.raises(ValueError, match="unknown probe task"):
        ProbeGrid(lengths=(1024,), tasks=("haystack",))
    with pytest.raises(ValueError, match="between 0 and 1"):
        ProbeGrid(lengths=(1024,), depths=(2.0,))
