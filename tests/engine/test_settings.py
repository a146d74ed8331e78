"""Settings: typed, validated, persisted, described."""
from __future__ import annotations

import json

import pytest

from engine.errors import SettingsError
from engine.settings import Settings


def test_roundtrip_through_the_library_folder(tmp_path):
    s = Settings()
    s.set("llm.n_ctx", "32k")
    s.set("llm.type_k", "q8_0")
    s.save(tmp_path)
    again = Settings.load(tmp_path)
    assert again.llm.n_ctx == 32768
    assert again.llm.type_k == "q8_0"
    assert again == s


def test_impossible_values_name_the_setting():
    s = Settings()
    with pytest.raises(SettingsError, match="llm.type_k"):
        s.set("llm.type_k", "q3_weird")
    with pytest.raises(SettingsError, match="llm.n_ctx"):
        s.set("llm.n_ctx", "lots")
    with pytest.raises(SettingsError, match="llm.n_ctx"):
        s.set("llm.n_ctx", 10)
    with pytest.raises(SettingsError, match="no setting"):
        s.set("llm.nope", 1)


def test_old_or_partial_files_load_with_defaults(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"llm": {"n_ctx": 4096, "gone": 1}, "x": 2}))
    s = Settings.load(tmp_path)
    assert s.llm.n_ctx == 4096
    assert s.llm.type_v == "f16"


def test_unreadable_file_is_a_clear_error(tmp_path):
    (tmp_path / "settings.json").write_text("{not json")
    with pytest.raises(SettingsError, match="settings file"):
        Settings.load(tmp_path)


def test_every_setting_is_described():
    rows = Settings.describe()
    names = {r["name"] for r in rows}
    assert {"llm.n_ctx", "llm.rope_mode", "llm.type_k", "llm.type_v", "llm.budget", "llm.n_gpu_layers"} <= names
    assert all(r["title"] and r["help"].endswith(".") for r in rows)
