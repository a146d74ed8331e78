"""Model discovery over fake home folders laid out like LM Studio, GPT4All, Jan, the HF cache and Ollama."""
from __future__ import annotations

import json
import os

import pytest

from engine.llm import discovery
from engine.llm.discovery import discover_models
from engine.paths import packaged_gguf_path

from .gguf_files import write_gguf


def _ollama(models, name, tag, blob_digest, host=("registry.ollama.ai", "library"), media="model"):
    manifest = models / "manifests" / host[0] / host[1] / name / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [
        {"mediaType": "application/vnd.ollama.image.license", "digest": "sha256:" + "0" * 64},
        {"mediaType": f"application/vnd.ollama.image.{media}", "digest": f"sha256:{blob_digest}"},
    ]}))


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    write_gguf(h / "models" / "qwen2.5-7b-instruct-q4_k_m.gguf")
    write_gguf(h / "models" / "mmproj-model-f16.gguf")  # a vision projector, not a chat model
    write_gguf(h / "models" / "big-00001-of-00002.gguf", data_bytes=1000)
    write_gguf(h / "models" / "big-00002-of-00002.gguf", data_bytes=1000)
    (h / "models" / "notes.gguf").write_text("not a model")
    write_gguf(h / ".lmstudio" / "models" / "lmstudio-community" / "Llama-3.2-1B" / "Llama-3.2-1B-Q8_0.gguf")
    write_gguf(h / ".local" / "share" / "nomic.ai" / "GPT4All" / "Phi-3-mini.Q4_0.gguf")
    write_gguf(h / "jan" / "models" / "tinyllama" / "tinyllama.gguf")
    # Hugging Face cache: snapshot files are symlinks into blobs/
    repo = h / ".cache" / "huggingface" / "hub" / "models--org--Smol-GGUF"
    blob = write_gguf(repo / "blobs" / "abc123")
    snap = repo / "snapshots" / "deadbeef" / "smol-q4.gguf"
    snap.parent.mkdir(parents=True)
    snap.symlink_to(blob)
    # Ollama: a model blob with a manifest, a projector blob, a manifest whose blob is not GGUF
    models = h / ".ollama" / "models"
    write_gguf(models / "blobs" / f"sha256-{'a' * 64}")
    write_gguf(models / "blobs" / f"sha256-{'b' * 64}")
    (models / "blobs" / f"sha256-{'c' * 64}").write_bytes(b"PK\x03\x04 zip, not gguf")
    _ollama(models, "llama3.2", "3b", "a" * 64)
    _ollama(models, "llava", "7b", "b" * 64, media="projector")
    _ollama(models, "broken", "latest", "c" * 64)
    _ollama(models, "mistral", "7b", "a" * 64, host=("hf.co", "someone"))  # same blob under a second name
    return h


def test_finds_each_tool_and_packaged_first(home):
    found = discover_models(home=home, env={})
    assert found[0].source == "packaged" and found[0].path == packaged_gguf_path()
    by_name = {m.name: m for m in found}
    assert by_name["qwen2.5-7b-instruct-q4_k_m"].source == "models folder"
    assert by_name["Llama-3.2-1B-Q8_0"].source == "LM Studio"
    assert by_name["Phi-3-mini.Q4_0"].source == "GPT4All"
    assert by_name["tinyllama"].source == "Jan"
    assert by_name["smol-q4"].source == "Hugging Face cache"
    assert by_name["llama3.2:3b"].source == "Ollama"
    assert by_name["llama3.2:3b"].path.name == f"sha256-{'a' * 64}"
    sources = [m.source for m in found]
    assert sources.index("models folder") < sources.index("LM Studio") < sources.index("Ollama")


def test_skips_projectors_later_split_parts_and_non_gguf(home):
    names = {m.name for m in discover_models(home=home, env={})}
    assert "mmproj-model-f16" not in names
    assert "big-00002-of-00002" not in names and "big-00001-of-00002" in names
    assert "notes" not in names
    assert not any(n.startswith("llava") or n.startswith("broken") for n in names)


def test_split_model_size_is_all_parts(home):
    first = next(m for m in discover_models(home=home, env={}) if m.name == "big-00001-of-00002")
    parts = sorted((home / "models").glob("big-*"))
    assert first.size == sum(p.stat().st_size for p in parts)


def test_each_file_once(home):
    found = discover_models(home=home, env={}, include_packaged=False)
    real = [os.path.realpath(m.path) for m in found]
    assert len(real) == len(set(real))
    # the HF blob is reachable as blobs/abc123 and via the snapshot link; the Ollama blob under two names
    assert sum(1 for m in found if m.source == "Ollama") == 1


def test_extra_dirs_from_env_come_first(home, tmp_path):
    extra1 = write_gguf(tmp_path / "extra1" / "mine.gguf").parent
    extra2 = write_gguf(tmp_path / "extra2" / "deep" / "theirs.gguf").parent.parent
    env = {discovery.ENV_DIRS: os.pathsep.join([str(extra1), str(extra2), ""])}
    found = discover_models(home=home, env=env)
    assert [m.name for m in found[1:3]] == ["mine", "theirs"]
    assert found[1].source == "LECTERN_MODEL_DIRS"


def test_symlink_loop_and_depth_bound(tmp_path):
    root = tmp_path / "loop"
    (root / "a").mkdir(parents=True)
    (root / "a" / "back").symlink_to(root, target_is_directory=True)
    write_gguf(root / "a" / "m.gguf")
    deep = root
    for i in range(discovery.MAX_DEPTH + 2):
        deep = deep / f"d{i}"
    write_gguf(deep / "too-deep.gguf")
    found = discover_models(home=tmp_path / "nohome", env={discovery.ENV_DIRS: str(root)}, include_packaged=False)
    assert [m.name for m in found] == ["m"]


def test_unreadable_folder_is_skipped(home, monkeypatch):
    real_scandir = os.scandir
    blocked = str(home / ".lmstudio" / "models")

    def scandir(path):
        if str(path) == blocked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    names = {m.name for m in discover_models(home=home, env={})}
    assert "Llama-3.2-1B-Q8_0" not in names and "tinyllama" in names


def test_ollama_models_env_and_old_blob_names(tmp_path):
    models = tmp_path / "ollama-store"
    write_gguf(models / "blobs" / f"sha256:{'d' * 64}")  # pre-0.1.30 naming
    _ollama(models, "phi3", "mini", "d" * 64, host=("registry.ollama.ai", "user"))
    found = discover_models(home=tmp_path / "nohome", env={"OLLAMA_MODELS": str(models)}, include_packaged=False)
    assert [(m.name, m.source) for m in found] == [("user/phi3:mini", "Ollama")]


def test_empty_home_is_fine(tmp_path):
    assert discover_models(home=tmp_path / "missing", env={}, include_packaged=False) == []
