"""The FAISS index: ids map to chunks, removal works, saves are atomic and tied to a generation."""
from __future__ import annotations

import numpy as np
import pytest

from engine.index import vectors as vmod
from engine.index.vectors import VectorIndex, blobs_to_vectors, vectors_to_blob


def _unit(rng, n, dim=16):
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_returns_the_nearest_ids(tmp_path):
    rng = np.random.default_rng(1)
    vecs = _unit(rng, 50)
    idx = VectorIndex(tmp_path, 16)
    idx.add(np.arange(100, 150), vecs)
    ids, scores = idx.search(vecs[7], 3)
    assert ids[0] == 107
    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(scores) == sorted(scores, reverse=True)


def test_remove_and_scope(tmp_path):
    rng = np.random.default_rng(2)
    vecs = _unit(rng, 20)
    idx = VectorIndex(tmp_path, 16)
    idx.add(np.arange(20), vecs)
    idx.remove([3])
    ids, _ = idx.search(vecs[3], 20)
    assert 3 not in ids and len(ids) == 19
    ids, _ = idx.search(vecs[3], 5, allowed=np.array([1, 2, 4]))
    assert set(ids) == {1, 2, 4}


def test_save_load_roundtrip_keeps_generation(tmp_path):
    rng = np.random.default_rng(3)
    vecs = _unit(rng, 10)
    idx = VectorIndex(tmp_path, 16)
    idx.add(np.arange(10), vecs)
    idx.save(generation=7)
    again = VectorIndex(tmp_path, 16)
    assert again.load() == 7
    assert again.size == 10
    assert not list(tmp_path.glob("*.tmp"))


def test_corrupt_or_foreign_file_is_not_loaded(tmp_path):
    (tmp_path / vmod.INDEX_FILENAME).write_bytes(b"garbage" * 10)
    assert VectorIndex(tmp_path, 16).load() == -1
    idx = VectorIndex(tmp_path, 8)
    idx.add(np.arange(2), _unit(np.random.default_rng(0), 2, 8))
    idx.save(1)
    assert VectorIndex(tmp_path, 16).load() == -1  # other dimension: rebuild instead


def test_large_rebuild_switches_to_ivf_and_keeps_recall(tmp_path, monkeypatch):
    monkeypatch.setattr(vmod, "APPROX_THRESHOLD", 2_000)
    rng = np.random.default_rng(4)
    vecs = _unit(rng, 3_000, 32)
    idx = VectorIndex(tmp_path, 32)
    idx.rebuild(np.arange(3_000), vecs, generation=1)
    assert idx.approximate
    hits = sum(int(idx.search(vecs[i], 1)[0][0] == i) for i in range(0, 3_000, 100))
    assert hits >= 28  # 30 probes, exact self-matches
    idx.remove([0, 100])
    assert idx.size == 2_998


def test_float16_blobs_roundtrip():
    rng = np.random.default_rng(5)
    vecs = _unit(rng, 4)
    back = blobs_to_vectors(vectors_to_blob(vecs), 16)
    assert back.shape == (4, 16)
    assert np.allclose(back, vecs, atol=2e-3)
