"""The probe end to end with the packaged SmolLM2 over a tiny grid (real prefill and decoding)."""
from __future__ import annotations

import pytest

from engine import Engine, ProbeGrid

pytestmark = [pytest.mark.llm, pytest.mark.slow]


def test_tiny_grid_with_the_packaged_model(tmp_path):
    with Engine.open(tmp_path / "library") as eng:
        st = eng.settings.copy()
        st.set("llm.n_ctx", 1024)
        st.set("llm.n_threads", 1)
        grid = ProbeGrid(lengths=(512, 1024), depths=(0.9, 0.5), tasks=("single",))
        res = eng.probe(grid, settings=st)
        assert [(t["length"], t["depth"]) for t in res.trials] == [(512, 0.9), (512, 0.5), (1024, 0.9), (1024, 0.5)]
        for t in res.trials:
            assert t["length"] - 48 - 40 <= t["prompt_tokens"] <= t["length"] - 48
            assert t["score"] in (0.0, 1.0) and isinstance(t["answer"], str)
        # the second prompt of a length shares its start (up to the needle) with the first: llama.cpp reuses it
        assert res.trials[1]["cached_tokens"] > 0.4 * 512
        assert res.settings["n_ctx"] == 1024 and res.settings["rope_mode"] == "none"
        assert res.png_path and open(res.png_path, "rb").read(4) == b"\x89PNG"
        found = eng.probe_result(st)
        assert found is not None and found.key == res.key and len(found.trials) == 4
        assert eng.probe_result() is None  # the library's own settings (n_ctx 8192) were not probed
