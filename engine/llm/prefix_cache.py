"""Saved model states for prompt prefixes: an in-memory LRU in front of a size-bounded folder on disk.

A state is the opaque byte blob llama.cpp's `llama_state_get_data` produces after the prefix tokens were
evaluated (the KV cache of those tokens plus the last logits). Restoring it is ~900x faster than evaluating the
prefix again (FACTS.md), which is what makes a follow-up question about a long document cheap.

The key hashes everything that changes the numbers in the state: the model file (path, size, mtime), the settings
in effect that shape the cache (n_ctx, RoPE, KV types, flash attention, GPU layers), the llama.cpp version and the
prefix tokens themselves. Disk entries also store the tokens, and a read checks them, so a hash collision or a
mixed-up file can only cause a miss. Files are written to a temporary name and renamed, so a crash never leaves a
half-written state that would later be loaded; the oldest files (by last use) are removed past the size limit.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_MAGIC = b"LECTKV01"
SUFFIX = ".kvstate"


def prefix_key(model_fingerprint: str, settings: dict[str, Any], tokens: Sequence[int]) -> str:
    """sha256 over the model identity, the state-shaping settings and the prefix tokens."""
    h = hashlib.sha256()
    h.update(model_fingerprint.encode("utf-8"))
    h.update(json.dumps(settings, sort_keys=True).encode("utf-8"))
    h.update(np.asarray(tokens, dtype="<i4").tobytes())
    return h.hexdigest()


class PrefixCache:
    """States by key: `memory_entries` most recent in memory (bounded also by `memory_limit_bytes`), and up to
    `disk_limit_bytes` of files under `disk_dir` (None or 0 bytes disables the disk level). Thread-safe."""

    def __init__(self, *, memory_entries: int, memory_limit_bytes: int, disk_dir: Path | None,
                 disk_limit_bytes: int):
        self.memory_entries = max(0, memory_entries)
        self.memory_limit_bytes = max(0, memory_limit_bytes)
        self.disk_dir = Path(disk_dir) if disk_dir is not None and disk_limit_bytes > 0 else None
        self.disk_limit_bytes = disk_limit_bytes
        self._memory: OrderedDict[str, tuple[np.ndarray, Any]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """False when neither level can keep anything (no point in saving states)."""
        return (self.memory_entries > 0 and self.memory_limit_bytes > 0) or self.disk_dir is not None

    # ------------------------------------------------------------------ lookup
    def get(self, key: str, tokens: Sequence[int]) -> tuple[Any, str] | None:
        """(state buffer, "memory" | "disk") for `key`, or None. The buffer supports the buffer protocol."""
        want = np.asarray(tokens, dtype=np.int32)
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None and np.array_equal(hit[0], want):
                self._memory.move_to_end(key)
                return hit[1], "memory"
        data = self._read_disk(key, want)
        if data is None:
            return None
        self._remember(key, want, data)
        return data, "disk"

    def _read_disk(self, key: str, want: np.ndarray) -> bytearray | None:
        if self.disk_dir is None:
            return None
        path = self.disk_dir / f"{key}{SUFFIX}"
        try:
            with open(path, "rb") as fh:
                if fh.read(len(_MAGIC)) != _MAGIC:
                    raise ValueError("bad magic")
                (header_len,) = struct.unpack("<I", fh.read(4))
                header = json.loads(fh.read(header_len))
                if header.get("key") != key or header.get("n_tokens") != len(want):
                    raise ValueError("header does not match")
                stored = np.frombuffer(fh.read(4 * len(want)), dtype="<i4")
                if not np.array_equal(stored, want):
                    raise ValueError("tokens differ")
                data = bytearray(int(header["size"]))
                if fh.readinto(data) != len(data):
                    raise ValueError("short state")
            os.utime(path)  # last use decides eviction
            return data
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            log.warning("discarding unreadable prefix state %s: %s", path.name, exc)
            path.unlink(missing_ok=True)
            return None

    # ------------------------------------------------------------------ store
    def put(self, key: str, tokens: Sequence[int], data: Any) -> None:
        """Keep `data` (a buffer) for `key` in memory and on disk."""
        want = np.asarray(tokens, dtype=np.int32).copy()
        self._remember(key, want, data)
        if self.disk_dir is not None:
            self._write_disk(key, want, data)

    def _remember(self, key: str, tokens: np.ndarray, data: Any) -> None:
        size = memoryview(data).nbytes
        if self.memory_entries == 0 or size > self.memory_limit_bytes:
            return
        with self._lock:
            self._memory[key] = (tokens, data)
            self._memory.move_to_end(key)
            total = sum(memoryview(d).nbytes for _, d in self._memory.values())
            while self._memory and (len(self._memory) > self.memory_entries or total > self.memory_limit_bytes):
                _, (_, old) = self._memory.popitem(last=False)
                total -= memoryview(old).nbytes

    def _write_disk(self, key: str, tokens: np.ndarray, data: Any) -> None:
        assert self.disk_dir is not None
        view = memoryview(data).cast("B")
        header = json.dumps({"key": key, "n_tokens": len(tokens), "size": view.nbytes}).encode("utf-8")
        if view.nbytes + len(header) + 4 * len(tokens) > self.disk_limit_bytes:
            return  # larger than the whole disk budget
        path = self.disk_dir / f"{key}{SUFFIX}"
        tmp = path.with_name(f".{key}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.disk_dir.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(_MAGIC)
                fh.write(struct.pack("<I", len(header)))
                fh.write(header)
                fh.write(tokens.astype("<i4").tobytes())
                fh.write(view)
            os.replace(tmp, path)
        except OSError as exc:
            # A full or read-only disk costs only the cache, never the answer.
            log.warning("could not save prefix state: %s", exc)
            tmp.unlink(missing_ok=True)
            return
        self._evict_disk(keep=path)

    def _evict_disk(self, keep: Path) -> None:
        assert self.disk_dir is not None
        entries = []
        for p in self.disk_dir.glob(f"*{SUFFIX}"):
            try:
                st = p.stat()
            except OSError:
                continue
            entries.append((st.st_mtime, p, st.st_size))
        total = sum(size for _, _, size in entries)
        for _, p, size in sorted(entries):
            if total <= self.disk_limit_bytes:
                break
            if p == keep:
                continue
            p.unlink(missing_ok=True)
            total -= size

    # ------------------------------------------------------------------ housekeeping
    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()

    def disk_usage(self) -> int:
        if self.disk_dir is None or not self.disk_dir.exists():
            return 0
        return sum(p.stat().st_size for p in self.disk_dir.glob(f"*{SUFFIX}"))
