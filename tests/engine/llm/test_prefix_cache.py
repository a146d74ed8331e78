"""The prefix-state cache: LRU in memory, bounded folder on disk, checked reads, atomic writes."""
from __future__ import annotations

import os
import time

from engine.llm.prefix_cache import SUFFIX, PrefixCache, prefix_key


def _cache(tmp_path, entries=2, mem=10**6, disk=10**6):
    return PrefixCache(memory_entries=entries, memory_limit_bytes=mem, disk_dir=tmp_path, disk_limit_bytes=disk)


def test_key_depends_on_model_settings_and_tokens():
    base = prefix_key("m|1|2", {"n_ctx": 8192}, [1, 2, 3])
    assert base == prefix_key("m|1|2", {"n_ctx": 8192}, [1, 2, 3])
    assert base != prefix_key("m|1|3", {"n_ctx": 8192}, [1, 2, 3])
    assert base != prefix_key("m|1|2", {"n_ctx": 16384}, [1, 2, 3])
    assert base != prefix_key("m|1|2", {"n_ctx": 8192}, [1, 2, 4])


def test_memory_then_disk_across_instances(tmp_path):
    c = _cache(tmp_path)
    c.put("k1", [1, 2, 3], bytearray(b"state-one"))
    data, where = c.get("k1", [1, 2, 3])
    assert (bytes(data), where) == (b"state-one", "memory")
    fresh = _cache(tmp_path)
    data, where = fresh.get("k1", [1, 2, 3])
    assert (bytes(data), where) == (b"state-one", "disk")
    assert fresh.get("k1", [1, 2, 3])[1] == "memory"  # promoted
    assert not list(tmp_path.glob("*.tmp"))


def test_different_tokens_under_the_same_key_miss(tmp_path):
    c = _cache(tmp_path)
    c.put("k", [1, 2, 3], bytearray(b"x"))
    assert c.get("k", [1, 2, 4]) is None
    assert _cache(tmp_path).get("k", [1, 2]) is None


def test_memory_lru_by_count_and_bytes(tmp_path):
    c = PrefixCache(memory_entries=2, memory_limit_bytes=100, disk_dir=None, disk_limit_bytes=0)
    c.put("a", [1], bytearray(10))
    c.put("b", [2], bytearray(10))
    c.get("a", [1])  # a is now the most recent
    c.put("c", [3], bytearray(10))
    assert c.get("b", [2]) is None and c.get("a", [1]) is not None and c.get("c", [3]) is not None
    c.put("big", [4], bytearray(95))  # fits alone; pushes the others out by size
    assert c.get("big", [4]) is not None and c.get("a", [1]) is None
    c.put("huge", [5], bytearray(200))  # larger than the whole memory budget: not kept
    assert c.get("huge", [5]) is None


def test_disk_evicts_least_recently_used(tmp_path):
    c = _cache(tmp_path, entries=0, disk=3 * 1200)
    for i, key in enumerate(["old", "mid", "new"]):
        c.put(key, [i], bytearray(1000))
        os.utime(tmp_path / f"{key}{SUFFIX}", (time.time() - 100 + i, time.time() - 100 + i))
    assert c.get("old", [0]) is not None  # reading refreshes "old"
    c.put("newest", [9], bytearray(1000))
    names = {p.stem for p in tmp_path.glob(f"*{SUFFIX}")}
    assert names == {"old", "new", "newest"}
    assert c.disk_usage() <= 3 * 1200


def test_corrupt_file_is_discarded(tmp_path):
    c = _cache(tmp_path, entries=0)
    c.put("k", [1, 2], bytearray(b"abcdef"))
    path = tmp_path / f"k{SUFFIX}"
    path.write_bytes(path.read_bytes()[:-3])  # cut short
    assert c.get("k", [1, 2]) is None
    assert not path.exists()


def test_disk_disabled_with_zero_budget(tmp_path):
    c = PrefixCache(memory_entries=0, memory_limit_bytes=0, disk_dir=tmp_path, disk_limit_bytes=0)
    c.put("k", [1], bytearray(b"x"))
    assert c.get("k", [1]) is None and not list(tmp_path.iterdir())
