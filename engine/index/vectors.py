"""The dense index: FAISS over L2-normalised embeddings, ids = chunk ids. The only module that imports faiss.

The database holds every embedding, so this index is derived data: it is saved atomically (temp file, fsync,
rename) together with the database generation it reflects, and rebuilt from the database whenever the two
disagree (a crash between a commit and a save, a copied library, a different FAISS version).

Small libraries use an exact inner-product index. Past `APPROX_THRESHOLD` vectors an IVF index takes over:
measured on these 2-core machines (tests/bench/bench_vectors.py, docs/bench/vectors-2026-12-03.md), exact search
costs 4.0 ms at 50k vectors, 6.9 ms at 100k and 13.3 ms at 200k (growing linearly), while IVF with nprobe 16 stays
at 0.1-0.2 ms with recall@10 0.95 at 50k and 0.97 at 100k. Exact search keeps perfect recall while it costs a small
part of a search's 50 ms budget; from 100k on its cost grows past that and IVF's recall is high enough. IVF
(unlike HNSW) supports removing ids, which re-ingesting and removing documents need.
"""
from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

import faiss
import numpy as np

from ..errors import StoreError

APPROX_THRESHOLD = 100_000
INDEX_FILENAME = "vectors.faiss"
_MAGIC = b"LECTVEC1"


def _ivf_lists(n: int) -> int:
    # FAISS's rule of thumb is 4*sqrt(n) .. 16*sqrt(n) lists; fewer lists keep training fast on 2 cores.
    return max(64, int(4 * np.sqrt(n)))


class VectorIndex:
    """FAISS index with chunk ids; thread-safe for one writer and many readers."""

    def __init__(self, library_dir: Path, dim: int):
        self.path = Path(library_dir) / INDEX_FILENAME
        self.dim = dim
        self.generation = -1
        self._lock = threading.RLock()
        self._index = self._new_exact()
        faiss.omp_set_num_threads(max(1, min(os.cpu_count() or 1, 8)))

    # ------------------------------------------------------------------ building
    def _new_exact(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    def _new_approx(self, vectors: np.ndarray) -> faiss.Index:
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFFlat(quantizer, self.dim, _ivf_lists(len(vectors)), faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(len(vectors), size=min(len(vectors), 64 * index.nlist), replace=False)]
        index.train(sample)
        index.nprobe = 16
        return index

    @property
    def approximate(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray, generation: int) -> None:
        """Replace the index with exactly these vectors (choosing exact or approximate by size)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = self._new_approx(vectors) if len(ids) >= APPROX_THRESHOLD else self._new_exact()
        if len(ids):
            index.add_with_ids(vectors, ids)
        with self._lock:
            self._index = index
            self.generation = generation

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        with self._lock:
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                     np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: list[int] | np.ndarray) -> None:
        if len(ids) == 0:
            return
        with self._lock:
            self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))

    def needs_approx(self) -> bool:
        """True when the library has grown past the crossover and should be rebuilt approximately."""
        return not self.approximate and self.size >= APPROX_THRESHOLD

    # ------------------------------------------------------------------ search
    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k chunk ids and cosine scores for one query vector, optionally restricted to `allowed` ids."""
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        with self._lock:
            n = self.size
            if n == 0 or k <= 0:
                return np.empty(0, np.int64), np.empty(0, np.float32)
            k = min(k, n)
            params = None
            if allowed is not None:
                if len(allowed) == 0:
                    return np.empty(0, np.int64), np.empty(0, np.float32)
                sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
                if self.approximate:
                    params = faiss.SearchParametersIVF(sel=sel, nprobe=max(self._index.nprobe, 64))
                else:
                    params = faiss.SearchParameters(sel=sel)
                k = min(k, len(allowed))
            scores, ids = self._index.search(q, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    # ------------------------------------------------------------------ persistence
    def save(self, generation: int) -> None:
        """Write atomically: header (magic, generation, count) + serialized index, fsynced, then renamed."""
        with self._lock:
            blob = faiss.serialize_index(self._index)
            count = self.size
        header = _MAGIC + struct.pack("<qq", generation, count)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(header)
                f.write(blob.tobytes())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"The vector index {self.path} cannot be written: {exc}") from exc
        self.generation = generation

    def load(self) -> int:
        """Load the saved index; returns the generation it reflects, or -1 when missing or unreadable."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return -1
        head = len(_MAGIC) + 16
        if len(data) < head or data[: len(_MAGIC)] != _MAGIC:
            return -1
        generation, count = struct.unpack("<qq", data[len(_MAGIC):head])
        try:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8, offset=head))
        except RuntimeError:
            return -1
        if index.d != self.dim or index.ntotal != count:
            return -1
        with self._lock:
            self._index = index
            self.generation = generation
        return generation

    def describe(self) -> dict:
        return {"vectors": self.size, "kind": "ivf" if self.approximate else "flat", "dim": self.dim,
                "generation": self.generation}


def vectors_to_blob(vectors: np.ndarray) -> list[bytes]:
    """float16 rows for the database: half the space, and cosine ranks are unchanged at this precision."""
    v16 = np.asarray(vectors, dtype=np.float16)
    return [row.tobytes() for row in v16]


def blobs_to_vectors(blobs: list[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.empty((0, dim), np.float32)
    arr = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), dim)
    return arr.astype(np.float32)

