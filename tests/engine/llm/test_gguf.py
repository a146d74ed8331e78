"""GGUF metadata is read from the header alone: real file facts, every value type, and clear errors."""
from __future__ import annotations

import os
import struct

import pytest

from engine.errors import ModelLoadError
from engine.llm.gguf import SkippedArray, is_gguf_file, read_gguf_info, read_gguf_metadata
from engine.paths import packaged_gguf_path

from .gguf_files import (ARRAY, FLOAT64, INT8, INT16, INT64, STRING, UINT8, UINT16, UINT64, Typed, gguf_bytes,
                         llama_kv, write_gguf)


def test_packaged_model_facts():
    info = read_gguf_info(packaged_gguf_path())
    assert info.architecture == "llama"
    assert info.trained_ctx == 8192
    assert info.rope_freq_base == 100000.0
    assert info.rope_scaling_type is None
    assert (info.n_layer, info.n_embd, info.n_head, info.n_head_kv) == (30, 576, 9, 3)
    assert info.head_dim == 64 and info.n_embd_k_gqa == 192 and info.n_embd_v_gqa == 192
    assert info.n_vocab == 49152
    assert info.quantization == "Q4_1"
    assert info.chat_template and "<|im_start|>" in info.chat_template
    assert 130e6 < info.parameter_count < 140e6  # SmolLM2-135M
    assert info.file_size == packaged_gguf_path().stat().st_size
    # the tokenizer arrays are skipped, not loaded
    assert "tokenizer.ggml.tokens" not in info.metadata


def test_every_value_type_and_arrays(tmp_path):
    kv = llama_kv(
        "All Types",
        **{"t.u8": Typed(UINT8, 200), "t.i8": Typed(INT8, -5), "t.u16": Typed(UINT16, 60000),
           "t.i16": Typed(INT16, -300), "t.i32": -7, "t.u64": Typed(UINT64, 2**40), "t.i64": Typed(INT64, -2**40),
           "t.f64": Typed(FLOAT64, 2.5), "t.bool": True, "t.str": "héllo",
           "t.small_ints": [1, 2, 3], "t.strings": Typed(ARRAY, ["a", "bb"], STRING),
           "t.nested": Typed(ARRAY, [Typed(ARRAY, [1, 2]), Typed(ARRAY, [3])], ARRAY),
           "t.big": Typed(ARRAY, list(range(5000)))},
    )
    path = write_gguf(tmp_path / "m.gguf", kv)
    version, meta, params = read_gguf_metadata(path)
    assert version == 3
    assert (meta["t.u8"], meta["t.i8"], meta["t.u16"], meta["t.i16"], meta["t.i32"]) == (200, -5, 60000, -300, -7)
    assert (meta["t.u64"], meta["t.i64"], meta["t.f64"], meta["t.bool"]) == (2**40, -2**40, 2.5, True)
    assert meta["t.str"] == "héllo"
    assert meta["t.small_ints"] == [1, 2, 3]
    assert meta["t.strings"] == SkippedArray(STRING, 2)
    assert len(meta["t.nested"]) == 2
    assert meta["t.big"] == SkippedArray(4, 5000)
    assert meta["tokenizer.ggml.tokens"] == SkippedArray(STRING, 100)
    assert params == 32
    info = read_gguf_info(path)
    assert info.name == "All Types" and info.n_vocab == 100 and info.quantization == "Q4_K_M"
    assert info.head_dim == 32 and info.n_embd_k_gqa == 64  # 256 / 8 heads, 2 kv heads


def test_version_1_and_per_layer_head_counts(tmp_path):
    kv = llama_kv(**{"llama.attention.head_count_kv": [2, 4, 4, 2], "llama.rope.scaling.type": "yarn",
                     "llama.rope.scaling.factor": 4.0, "llama.rope.scaling.original_context_length": 1024,
                     "llama.attention.sliding_window": 512, "llama.attention.key_length": 128})
    del kv["general.name"]
    path = write_gguf(tmp_path / "old-model.gguf", kv, version=1)
    info = read_gguf_info(path)
    assert info.gguf_version == 1
    assert info.name == "old-model"  # falls back to the file stem
    assert info.n_head_kv == 4  # the largest per-layer value bounds the cache
    assert info.head_dim == 128 and info.n_embd_k_gqa == 512
    assert (info.rope_scaling_type, info.rope_scaling_factor, info.rope_scaling_orig_ctx) == ("yarn", 4.0, 1024)
    assert info.sliding_window == 512


def test_not_gguf(tmp_path):
    path = tmp_path / "garbage.gguf"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(ModelLoadError, match="garbage.gguf is not a GGUF model file"):
        read_gguf_info(path)
    assert not is_gguf_file(path)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelLoadError, match="is not a GGUF model file"):
        read_gguf_info(empty)


def test_missing_and_folder(tmp_path):
    with pytest.raises(ModelLoadError, match="model file not found: .*nope.gguf"):
        read_gguf_info(tmp_path / "nope.gguf")
    with pytest.raises(ModelLoadError, match="is a folder"):
        read_gguf_info(tmp_path)


@pytest.mark.parametrize("keep", [10, 100, 700])
def test_truncated_header(tmp_path, keep):
    full = gguf_bytes(llama_kv(), [("w", [4, 8], 0, 0)])
    path = tmp_path / "cut.gguf"
    path.write_bytes(full[:keep])
    with pytest.raises(ModelLoadError, match="cut.gguf is not a GGUF model file: it is truncated"):
        read_gguf_info(path)


def test_truncated_in_tensor_data(tmp_path):
    # the header is complete but the file ends before the last tensor's data
    path = write_gguf(tmp_path / "partial.gguf", tensors=[("a", [64, 64], 0, 0), ("b", [64, 64], 0, 64 * 64 * 4)],
                      data_bytes=64 * 64 * 4 + 100)
    with pytest.raises(ModelLoadError, match="truncated"):
        read_gguf_info(path)


def test_truncated_copy_of_real_model(tmp_path):
    real = packaged_gguf_path().read_bytes()
    path = tmp_path / "smol-half.gguf"
    path.write_bytes(real[: len(real) // 2])
    with pytest.raises(ModelLoadError, match="truncated"):
        read_gguf_info(path)


def test_huge_sparse_file_reads_header_only(tmp_path):
    # 10 GB of declared tensor data in a sparse file: reading must not touch it
    n = 10 * 2**30 // 2
    path = write_gguf(tmp_path / "big.gguf", tensors=[("w", [n], 1, 0)])
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size + n * 2)
    info = read_gguf_info(path)
    assert info.file_size > 10 * 2**30
    assert info.parameter_count == n


def test_big_endian_or_future_version_is_refused(tmp_path):
    data = bytearray(gguf_bytes(llama_kv()))
    data[4:8] = struct.pack(">I", 3)
    path = tmp_path / "be.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="unsupported GGUF version"):
        read_gguf_info(path)
