"""The embedder on the real packaged all-MiniLM-L6-v2: vectors, tokens, backends agreeing, and the conversion cache.

The converted OpenVINO model is kept in the repository's .lectern-cache/ (git-ignored) between runs, so only the
first run pays the conversion (about 10 s); tests that must convert afresh are marked slow or use a stand-in
converter for the cache logic.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from engine.errors import Cancelled, ModelError, ModelLoadError
from engine.index import embedder_cache
from engine.index.embedder import Embedder, pool
from engine.index.embedder_cache import cache_folder, cached_conversion, read_model_spec

ROOT = Path(__file__).resolve().parents[3]
HAS_OPENVINO = importlib.util.find_spec("openvino") is not None
needs_openvino = pytest.mark.skipif(not HAS_OPENVINO, reason="openvino is not installed")

TEXTS = [
    "A cat is sitting on the mat.",
    "A kitten rests on a small rug.",
    "The central bank raised interest rates to fight inflation.",
]
# Lengths from a few tokens to past the 256-token window: batches carry padding and one text is truncated.
MIXED = ["Short.", "Rivers carry sediment to the sea. " * 12, "Why is the sky blue?",
         "The printing press spread knowledge across Europe in the fifteenth century. " * 30]


@pytest.fixture(scope="module")
def shared_cache():
    old = os.environ.get("LECTERN_CACHE")
    os.environ["LECTERN_CACHE"] = str(ROOT / ".lectern-cache")
    yield ROOT / ".lectern-cache"
    if old is None:
        os.environ.pop("LECTERN_CACHE", None)
    else:
        os.environ["LECTERN_CACHE"] = old


@pytest.fixture(scope="module")
def fast(shared_cache):
    """OpenVINO in float32: the conversion-cache tests use it because it converts in seconds."""
    with Embedder.load(precision="float") as embedder:
        yield embedder


@pytest.fixture(scope="module")
def int8(shared_cache):
    """The default: OpenVINO quantized to int8 with NNCF."""
    with Embedder.load() as embedder:
        yield embedder


@pytest.fixture(scope="module")
def reference(shared_cache):
    with Embedder.load(backend="torch") as embedder:
        yield embedder


def _ov_folder() -> Path:
    import openvino

    return cache_folder(read_model_spec(None), "openvino", openvino.get_version())


# --------------------------------------------------------------------------- vectors
def test_vectors_are_unit_length_float32_of_the_model_dimension(fast):
    vectors = fast.embed(TEXTS)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert fast.embed([]).shape == (0, 384)
    assert (fast.name, fast.dim, fast.max_tokens) == ("all-MiniLM-L6-v2", 384, 256)


def test_related_sentence_is_closer_than_unrelated(fast):
    cat, kitten, bank = fast.embed(TEXTS)
    assert cat @ kitten > cat @ bank + 0.2


def test_sorting_by_length_keeps_the_callers_order(fast):
    together = fast.embed(MIXED)
    alone = np.stack([fast.embed([t])[0] for t in MIXED])
    assert np.all((together * alone).sum(axis=1) > 0.999)


def test_query_vectors_are_cached_and_match_embed(fast):
    first = fast.embed_query("why is the sky blue")
    assert fast.embed_query("why is the sky blue") is first
    assert not first.flags.writeable
    assert first @ fast.embed(["why is the sky blue"])[0] > 0.999


def test_cancel_and_progress(fast):
    seen = []
    fast.embed(["text"] * 5, progress=seen.append)
    assert seen[-1].done == seen[-1].total == 5 and seen[-1].unit == "chunks"
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        fast.embed(["text"], cancel=cancel)


def test_closed_embedder_refuses_work(shared_cache):
    embedder = Embedder.load()
    embedder.close()
    with pytest.raises(ModelError):
        embedder.embed(["text"])


# --------------------------------------------------------------------------- backends
@needs_openvino
def test_openvino_is_the_default_and_agrees_with_torch(fast, reference):
    assert fast.backend == "openvino" and fast.fallback_reason is None
    cosines = (fast.embed(MIXED) * reference.embed(MIXED)).sum(axis=1)
    assert cosines.min() > 0.99
    assert fast.embed_query("why is the sky blue") @ reference.embed_query("why is the sky blue") > 0.99


@needs_openvino
def test_int8_is_the_default_and_stays_close_to_float(int8, fast):
    assert int8.backend == "openvino" and int8.precision.startswith("int8") and int8.fallback_reason is None
    cosines = (int8.embed(MIXED) * fast.embed(MIXED)).sum(axis=1)
    assert cosines.min() > 0.98
    cat, kitten, bank = int8.embed(TEXTS)
    assert cat @ kitten > cat @ bank + 0.2
    assert int8.name == fast.name  # same model: a library need not re-embed when the precision changes


@needs_openvino
def test_int8_without_the_quantizer_falls_back_to_float_openvino(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTERN_CACHE", str(tmp_path))
    monkeypatch.setitem(sys.modules, "nncf", None)  # makes `import nncf` raise ImportError
    embedder = Embedder.load()
    assert embedder.backend == "openvino" and not embedder.precision.startswith("int8")
    assert "nncf" in embedder.fallback_reason
    assert embedder.embed(["text"]).shape == (1, 384)
    with pytest.raises(ModelLoadError, match="precision"):
        Embedder.load(precision="int4")


def test_torch_vectors_are_unit_length(reference):
    assert reference.backend == "torch"
    assert np.allclose(np.linalg.norm(reference.embed(TEXTS), axis=1), 1.0, atol=1e-5)


def test_count_tokens_matches_the_models_tokenizer(fast, reference):
    tokenizer = reference._runner.model.tokenizer
    texts = MIXED + ["", "naïve café – “quotes” and e-mail@example.com"]
    expected = [len(tokenizer(t.strip(), add_special_tokens=False)["input_ids"]) for t in texts]
    assert fast.count_tokens(texts) == expected
    assert reference.count_tokens(texts) == expected
    assert max(expected) > fast.max_tokens  # counted whole, not truncated


@needs_openvino
def test_failed_conversion_falls_back_to_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTERN_CACHE", str(tmp_path))
    marker = _ov_folder().with_name(_ov_folder().name + ".failed")
    marker.parent.mkdir(parents=True)
    marker.write_text("RuntimeError: simulated")
    embedder = Embedder.load(backend="auto", precision="float")
    assert embedder.backend == "torch"
    assert "simulated" in embedder.fallback_reason
    assert embedder.embed(["text"]).shape == (1, 384)


def test_missing_runtime_falls_back_to_torch(shared_cache, monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)  # makes `import openvino` raise ImportError
    embedder = Embedder.load(backend="openvino")
    assert embedder.backend == "torch"
    assert "not installed" in embedder.fallback_reason


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("onnx") is None, reason="the ONNX exporter needs the onnx package")
def test_onnx_backend_agrees_with_torch(tmp_path, monkeypatch, reference):
    monkeypatch.setenv("LECTERN_CACHE", str(tmp_path))
    embedder = Embedder.load(backend="onnx")
    assert embedder.backend == "onnx"
    assert (embedder.embed(MIXED) * reference.embed(MIXED)).sum(axis=1).min() > 0.99


# --------------------------------------------------------------------------- bad folders
def test_bad_model_paths_raise_model_load_error(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        Embedder.load(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ModelLoadError, match="config.json"):
        Embedder.load(tmp_path)
    with pytest.raises(ModelLoadError, match="is a file"):
        Embedder.load(tmp_path / "notes.txt")
    with pytest.raises(ModelLoadError, match="backend"):
        Embedder.load(backend="tensorflow")


# --------------------------------------------------------------------------- the conversion cache
@needs_openvino
def test_second_load_reuses_the_converted_model(fast):
    folder = _ov_folder()
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert {"model.xml", "model.bin", "tokenizer.json", "manifest.json"} <= set(before)
    Embedder.load(precision="float").close()
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert [p for p in folder.parent.iterdir() if p.name.startswith(".tmp-")] == []


@needs_openvino
def test_warm_load_does_not_import_torch(int8, shared_cache):
    code = ("import sys; from engine.index.embedder import Embedder; e = Embedder.load(); "
            "e.embed_query('hello'); print(e.backend, 'torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "LECTERN_CACHE": str(shared_cache)})
    assert out.stdout.split() == ["openvino", "False", "False"]


@needs_openvino
@pytest.mark.slow
def test_corrupt_converted_model_is_rebuilt(tmp_path, monkeypatch, fast):
    shared = _ov_folder()
    monkeypatch.setenv("LECTERN_CACHE", str(tmp_path))
    shutil.copytree(shared, _ov_folder())
    xml = _ov_folder() / "model.xml"
    xml.write_bytes(b"x" * xml.stat().st_size)  # same size, so only opening it can tell
    embedder = Embedder.load(precision="float")
    assert embedder.backend == "openvino"
    assert xml.read_bytes().startswith(b"<?xml")
    assert embedder.embed(TEXTS[:1]) @ fast.embed(TEXTS[:1])[0] > 0.999


@needs_openvino
@pytest.mark.slow
def test_two_processes_converting_at_once_share_one_copy(tmp_path, monkeypatch):
    code = ("import logging; logging.basicConfig(level=logging.INFO); "
            "from engine.index.embedder import Embedder; e = Embedder.load(precision='float'); "
            "print(e.backend, round(float(e.embed(['a cat on a mat'])[0] @ e.embed(['a kitten on a rug'])[0]), 3))")
    env = {**os.environ, "LECTERN_CACHE": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs[0][0] == outputs[1][0] and outputs[0][0].startswith("openvino")
    monkeypatch.setenv("LECTERN_CACHE", str(tmp_path))
    assert [p.name for p in (tmp_path / "embedders").iterdir()] == [_ov_folder().name]


def _fake_converter(calls: list, barrier: threading.Barrier | None = None):
    def convert(dest: Path) -> dict:
        calls.append(dest)
        (dest / "model.xml").write_text("<model/>")
        if barrier is not None:
            barrier.wait(timeout=10)  # both converters are now mid-conversion
        return {"hidden_size": 4}
    return convert


def _open(folder: Path) -> str:
    text = (folder / "model.xml").read_text()
    if text != "<model/>":
        raise ValueError("corrupt")
    return text


def test_cache_rebuilds_truncated_and_unreadable_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTERN_CACHE", str(tmp_path))
    spec, calls = read_model_spec(None), []
    folder, opened = cached_conversion(spec, "openvino", "v1", _fake_converter(calls), _open)
    assert opened == "<model/>" and len(calls) == 1
    cached_conversion(spec, "openvino", "v1", _fake_converter(calls), _open)
    assert len(calls) == 1  # reused
    (folder / "model.xml").write_text("<mo")  # truncated: the manifest's size no longer matches
    cached_conversion(spec, "openvino", "v1", _fake_converter(calls), _open)
    assert len(calls) == 2
    (folder / "model.xml").write_text("<garbage/")  # same size, but cannot be opened
    _, opened = cached_conversion(spec, "openvino", "v1", _fake_converter(calls), _open)
    assert opened == "<model/>" and len(calls) == 3
    (folder / "manifest.json").unlink()  # a crash before the manifest: incomplete
    cached_conversion(spec, "openvino", "v1", _fake_converter(calls), _open)
    assert len(calls) == 4
    newer, _ = cached_conversion(spec, "openvino", "v2", _fake_converter(calls), _open)
    assert len(calls) == 5  # another runtime version converts afresh ...
    assert [p.name for p in (tmp_path / "embedders").iterdir()] == [newer.name]  # ... and replaces the old copy


def test_concurrent_conversions_leave_one_complete_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTERN_CACHE", str(tmp_path))
    spec, calls, results = read_model_spec(None), [], []
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=lambda: results.append(
        cached_conversion(spec, "openvino", "v1", _fake_converter(calls, barrier), _open))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(calls) == 2 and len(results) == 2
    assert results[0] == results[1]
    assert sorted(p.name for p in (tmp_path / "embedders").iterdir()) == [results[0][0].name]
    assert json.loads((results[0][0] / "manifest.json").read_text())["files"] == {"model.xml": 8}


def test_conversion_failure_is_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTERN_CACHE", str(tmp_path))
    spec = read_model_spec(None)

    def broken(dest: Path) -> dict:
        raise RuntimeError("unsupported operator")

    with pytest.raises(RuntimeError):
        cached_conversion(spec, "openvino", "v1", broken, _open)
    with pytest.raises(ModelLoadError, match="unsupported operator"):
        cached_conversion(spec, "openvino", "v1", _fake_converter([]), _open)
    assert not any(p.name.startswith(".tmp-") for p in (tmp_path / "embedders").iterdir())

    def missing_package(dest: Path) -> dict:
        raise ImportError("No module named 'onnx'")

    with pytest.raises(ImportError):  # the environment's fault, not the model's: not remembered
        cached_conversion(spec, "onnx", "v1", missing_package, _open)
    assert cached_conversion(spec, "onnx", "v1", _fake_converter([]), _open)[1] == "<model/>"


# --------------------------------------------------------------------------- model folders and pooling
def _folder(tmp_path: Path, modules: list | None, pooling: dict | None) -> Path:
    tmp_path.mkdir()
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8, "max_position_embeddings": 128}))
    (tmp_path / "model.safetensors").write_bytes(b"0")
    (tmp_path / "tokenizer.json").write_text("{}")
    if modules is not None:
        (tmp_path / "modules.json").write_text(json.dumps(modules))
    if pooling is not None:
        (tmp_path / "1_Pooling").mkdir()
        (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return tmp_path


def test_model_folder_reading(tmp_path):
    plain = read_model_spec(_folder(tmp_path / "plain", None, None))
    assert plain.pooling == ("mean",) and plain.max_seq_length == 128 and plain.unsupported is None
    assert plain.name.startswith("plain-mean-")
    st = [{"type": "sentence_transformers.models.Transformer", "path": ""},
          {"type": "sentence_transformers.models.Pooling", "path": "1_Pooling"}]
    cls = read_model_spec(_folder(tmp_path / "cls", st, {"pooling_mode_cls_token": True,
                                                          "pooling_mode_mean_tokens": False}))
    assert cls.pooling == ("cls",) and cls.dim == 8
    dense = read_model_spec(_folder(tmp_path / "dense", st + [{"type": "sentence_transformers.models.Dense",
                                                               "path": "2_Dense"}], {"pooling_mode": ["cls", "max"]}))
    assert dense.pooling == ("cls", "max") and "Dense" in dense.unsupported
    assert read_model_spec(None).name == embedder_cache.PACKAGED_NAME


def test_pooling_ignores_padding():
    tokens = np.array([[[1.0, 0.0], [3.0, 4.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    assert np.allclose(pool(tokens, mask, ("mean",)), np.array([[2.0, 2.0]]) / np.sqrt(8))
    assert np.allclose(pool(tokens, mask, ("cls",)), [[1.0, 0.0]])
    assert np.allclose(pool(tokens, mask, ("max",)), np.array([[3.0, 4.0]]) / 5)
    assert np.allclose(pool(tokens, mask, ("lasttoken",)), np.array([[3.0, 4.0]]) / 5)
    assert pool(tokens, mask, ("cls", "max")).shape == (1, 4)
