"""`lectern probe`: JSON output, a sweep table, Ctrl-C saves and exits 130, the same command resumes."""
from __future__ import annotations

import json
import os
import signal

import pytest

from engine.cli import main
from tests.engine.probe.conftest import ReadingBackend


@pytest.fixture
def loaded(monkeypatch, model_file):
    """Every model the CLI loads is a ReadingBackend with the loaded settings' n_ctx and RoPE mode."""
    from engine.llm.llama import LlamaBackend

    made: list[ReadingBackend] = []

    def load(settings, **_kw):
        b = ReadingBackend(model_file, n_ctx=settings.n_ctx, rope_mode=settings.rope_mode, reach=2100)
        made.append(b)
        return b

    monkeypatch.setattr(LlamaBackend, "load", staticmethod(load))
    return made


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_prints_the_result(capsys, tmp_path, loaded):
    code, out, _ = run(capsys, "-q", "--library", str(tmp_path / "lib"), "probe", "--n-ctx", "4k",
                       "--lengths", "1k,2k,4k,8k", "--depths", "0.5", "--tasks", "single,multikey", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["effective_context"] == 2048 and data["skipped_lengths"] == [8192]
    assert len(data["trials"]) == 3 * 2 and data["settings"]["n_ctx"] == 4096
    assert os.path.exists(data["json_path"]) and data["png_path"].endswith(".png")
    assert str(tmp_path / "lib" / "probe") in data["json_path"]


def test_a_sweep_prints_each_table_and_a_comparison(capsys, tmp_path, loaded):
    code, out, err = run(capsys, "-q", "--library", str(tmp_path / "lib"), "probe", "--n-ctx", "4k",
                         "--rope", "none,yarn", "--lengths", "1k,2k,4k", "--depths", "0.5", "--tasks", "single",
                         "--out", str(tmp_path / "out"), "--no-heatmap")
    assert code == 0 and len(loaded) == 2
    assert out.count("effective context: 2,048 tokens") == 2
    sweep = out.strip().splitlines()[-3:]
    assert sweep[0].startswith("RoPE") and sweep[1].startswith("none") and sweep[2].startswith("yarn")
    assert len(list((tmp_path / "out").glob("*.json"))) == 2 and "saved" in err


def test_ctrl_c_saves_exits_130_and_the_same_command_resumes(capsys, tmp_path, loaded):
    argv = ["-q", "--library", str(tmp_path / "lib"), "probe", "--n-ctx", "4k", "--lengths", "1k,2k,4k",
            "--depths", "0.2,0.8", "--tasks", "single", "--no-heatmap", "--json"]
    real_init = ReadingBackend.__init__

    def interrupting(self, *a, **kw):
        real_init(self, *a, **kw)
        self.on_call = lambda n: os.kill(os.getpid(), signal.SIGINT) if n == 3 else None

    ReadingBackend.__init__ = interrupting
    try:
        code, out, err = run(capsys, *argv)
    finally:
        ReadingBackend.__init__ = real_init
    assert code == 130 and out == "" and "resume" in err
    assert len(loaded[0].calls) == 3  # the trial running at Ctrl-C finished and was kept
    code, out, _ = run(capsys, *argv)
    assert code == 0 and len(loaded[1].calls) == 6 - 3
    assert len(json.loads(out)["trials"]) == 6


def test_usage_errors_exit_2(capsys, tmp_path, loaded):
    code, _, err = run(capsys, "--library", str(tmp_path / "lib"), "probe", "--kv-type", "q5_1")
    assert code == 2 and "q5_1" in err
    code, _, err = run(capsys, "--library", str(tmp_path / "lib"), "probe", "--tasks", "needles")
    assert code == 2 and "unknown probe task" in err
    assert loaded == []
