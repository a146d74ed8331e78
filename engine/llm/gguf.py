"""Read a GGUF model's metadata without loading the model: pure Python, milliseconds even for a 10 GB file.

The file is memory-mapped and only the header, the key/value section and the tensor descriptions are walked.
Large arrays (the tokenizer's token, merge and score lists) are skipped by offset arithmetic and never copied
into Python objects; only their length is kept (the vocabulary size comes from it). The tensor descriptions that
follow the key/value section give the parameter count; the tensor data after them is never touched.

Format reference: ggml's docs/gguf.md (versions 1-3; version 1 used 32-bit lengths and counts).
"""
from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelLoadError

GGUF_MAGIC = b"GGUF"

# Value types of the key/value section: type id -> struct format (strings and arrays are handled apart).
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
# Numeric arrays up to this length are read (per-layer head counts, rope factors); longer ones are only skipped.
_SMALL_ARRAY = 1024
# More keys or tensors than this means a corrupt header, not a model.
_MAX_ENTRIES = 1_000_000

# ggml tensor type id -> (elements per block, bytes per block), for the truncation check; unknown types skip it.
_TYPE_SIZES = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
    23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17),
}

# general.file_type (llama.cpp's enum llama_ftype) -> the name quantizers use.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_1_SOME_F16", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS",
    24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M",
    32: "BF16", 33: "Q4_0_4_4", 34: "Q4_0_4_8", 35: "Q4_0_8_8", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
    39: "NVFP4", 40: "Q1_0", 41: "Q2_0",
}


@dataclass(frozen=True)
class SkippedArray:
    """A metadata array too long to be worth reading; only its element type and length are kept."""

    type: int
    length: int

    def __len__(self) -> int:
        return self.length


@dataclass(frozen=True)
class ModelInfo:
    """What a GGUF file says about its model. Sizes are in elements; `head_dim` is the key head size."""

    path: Path
    name: str
    architecture: str
    file_size: int
    gguf_version: int
    trained_ctx: int
    n_layer: int
    n_embd: int
    n_ff: int
    n_head: int
    n_head_kv: int
    head_dim: int
    head_dim_v: int
    n_embd_k_gqa: int
    n_embd_v_gqa: int
    n_vocab: int
    rope_freq_base: float | None
    rope_scaling_type: str | None
    rope_scaling_factor: float | None
    rope_scaling_orig_ctx: int | None
    sliding_window: int | None
    chat_template: str | None
    quantization: str | None
    parameter_count: int | None
    metadata: dict[str, Any]

    @property
    def has_chat_template(self) -> bool:
        return bool(self.chat_template)


class _Reader:
    """Little-endian cursor over a memory map; every read checks the end so truncation gives a clear error."""

    def __init__(self, buf: mmap.mmap | bytes, path: Path):
        self.buf, self.path, self.pos, self.size = buf, path, 0, len(buf)
        self.len_fmt = "<Q"

    def take(self, fmt: str) -> Any:
        n = struct.calcsize(fmt)
        if self.pos + n > self.size:
            raise _truncated(self.path)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return value

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise _truncated(self.path)
        self.pos += n

    def string(self) -> str:
        n = self.take(self.len_fmt)
        start = self.pos
        self.skip(n)
        return bytes(self.buf[start:self.pos]).decode("utf-8", errors="replace")

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.take(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            return self.array()
        raise _not_gguf(self.path, f"unknown metadata value type {vtype}")

    def array(self) -> list | SkippedArray:
        etype = self.take("<I")
        count = self.take(self.len_fmt)
        if etype in _SCALARS:
            width = struct.calcsize(_SCALARS[etype])
            if count <= _SMALL_ARRAY:
                start = self.pos
                self.skip(width * count)
                return list(struct.unpack_from(f"<{count}{_SCALARS[etype][1]}", self.buf, start))
            self.skip(width * count)
            return SkippedArray(etype, count)
        if etype == _STRING:
            self._skip_strings(count)
            return SkippedArray(etype, count)
        if etype == _ARRAY:
            for _ in range(count):
                self.array()
            return SkippedArray(etype, count)
        raise _not_gguf(self.path, f"unknown array element type {etype}")

    def _skip_strings(self, count: int) -> None:
        # The hot loop of the whole reader: a 128k-token vocabulary plus 280k merges is ~400k strings.
        unpack, pos, buf, size = struct.Struct(self.len_fmt).unpack_from, self.pos, self.buf, self.size
        width = struct.calcsize(self.len_fmt)
        try:
            for _ in range(count):
                pos += width + unpack(buf, pos)[0]
        except struct.error:
            raise _truncated(self.path) from None
        if pos > size:
            raise _truncated(self.path)
        self.pos = pos


def _not_gguf(path: Path, why: str) -> ModelLoadError:
    return ModelLoadError(f"{path} is not a GGUF model file ({why}).")


def _truncated(path: Path) -> ModelLoadError:
    return ModelLoadError(f"{path} is not a GGUF model file: it is truncated (the download may be incomplete).")


def is_gguf_file(path: str | os.PathLike) -> bool:
    """True when the file starts with the GGUF magic bytes (used to recognise extension-less Ollama blobs)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == GGUF_MAGIC
    except OSError:
        return False


def read_gguf_metadata(path: str | os.PathLike) -> tuple[int, dict[str, Any], int | None]:
    """The raw key/value metadata of a GGUF file.

    Returns:
        (GGUF version, {key: value}, parameter count or None when the file declares no tensors).
    Raises:
        ModelLoadError: missing, unreadable, not GGUF, or truncated.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < 24:
                if size >= 4 and fh.read(4) == GGUF_MAGIC:
                    raise _truncated(path)
                raise _not_gguf(path, "it does not start with the GGUF signature")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(buf, path)
    except FileNotFoundError as exc:
        raise ModelLoadError(f"model file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise ModelLoadError(f"{path} is a folder, not a GGUF model file.") from exc
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path} cannot be read: {exc}") from exc


def _parse(buf: mmap.mmap, path: Path) -> tuple[int, dict[str, Any], int | None]:
    if buf[:4] != GGUF_MAGIC:
        raise _not_gguf(path, "it does not start with the GGUF signature")
    r = _Reader(buf, path)
    r.pos = 4
    version = r.take("<I")
    if version not in (1, 2, 3):
        raise _not_gguf(path, f"unsupported GGUF version {version}; a big-endian or newer file?")
    if version == 1:
        r.len_fmt = "<I"
    n_tensors = r.take(r.len_fmt)
    n_kv = r.take(r.len_fmt)
    if n_kv > _MAX_ENTRIES or n_tensors > _MAX_ENTRIES:
        raise _not_gguf(path, "its header counts are implausible")
    meta: dict[str, Any] = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.take("<I"))
    alignment = meta.get("general.alignment", 32)
    if not isinstance(alignment, int) or alignment <= 0:
        alignment = 32
    return version, meta, _tensor_table(r, n_tensors, alignment)


def _tensor_table(r: _Reader, n_tensors: int, alignment: int) -> int | None:
    """Walk the tensor descriptions: the parameter count, and a truncation check against the data they describe.

    A download cut inside the tensor data parses fine up to here, so the file must be at least as long as the
    data start plus the furthest tensor's offset (plus its size when its type's block size is known).
    """
    total, furthest = 0, 0
    for _ in range(n_tensors):
        r.string()
        n_dims = r.take("<I")
        if n_dims > 8:
            raise _not_gguf(r.path, f"a tensor claims {n_dims} dimensions")
        count = 1
        for _ in range(n_dims):
            count *= r.take(r.len_fmt)
        ggml_type = r.take("<I")
        offset = r.take("<Q")
        block, type_size = _TYPE_SIZES.get(ggml_type, (1, 0))
        furthest = max(furthest, offset + count // block * type_size)
        total += count
    data_start = -(-r.pos // alignment) * alignment
    if n_tensors and data_start + furthest > r.size:
        raise _truncated(r.path)
    return total or None


def _scalar(value: Any) -> Any:
    """Per-layer arrays (e.g. head counts of OpenELM) collapse to their largest value: the memory bound."""
    if isinstance(value, list):
        return max(value) if value else None
    if isinstance(value, SkippedArray):
        return None
    return value


def read_gguf_info(path: str | os.PathLike) -> ModelInfo:
    """The model facts Lectern needs from a GGUF file, without loading it.

    Args:
        path: the .gguf file (or an extension-less blob holding one).
    Returns:
        ModelInfo.
    Raises:
        ModelLoadError: the file is missing, unreadable, not GGUF, truncated, or lacks its architecture.
    """
    path = Path(path)
    version, meta, n_params = read_gguf_metadata(path)
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise _not_gguf(path, "it names no model architecture")

    def a(key: str, default: Any = None) -> Any:
        value = _scalar(meta.get(f"{arch}.{key}"))
        return default if value is None else value

    n_embd = int(a("embedding_length", 0))
    n_head = int(a("attention.head_count", 0))
    n_head_kv = int(a("attention.head_count_kv", n_head))
    head_dim = int(a("attention.key_length", n_embd // n_head if n_head else 0))
    head_dim_v = int(a("attention.value_length", head_dim))
    scaling_type = a("rope.scaling.type")
    scaling_factor = a("rope.scaling.factor")
    if scaling_type is None and a("rope.scale_linear") is not None:  # pre-2024 spelling of linear scaling
        scaling_type, scaling_factor = "linear", a("rope.scale_linear")
    if scaling_type in ("none", ""):
        scaling_type = None
    tokens = meta.get("tokenizer.ggml.tokens")
    ftype = meta.get("general.file_type")
    name = meta.get("general.name")
    return ModelInfo(
        path=path,
        name=name if isinstance(name, str) and name.strip() else path.stem,
        architecture=arch,
        file_size=path.stat().st_size,
        gguf_version=version,
        trained_ctx=int(a("context_length", 0)),
        n_layer=int(a("block_count", 0)),
        n_embd=n_embd,
        n_ff=int(a("feed_forward_length", 4 * n_embd)),
        n_head=n_head,
        n_head_kv=n_head_kv,
        head_dim=head_dim,
        head_dim_v=head_dim_v,
        n_embd_k_gqa=head_dim * n_head_kv,
        n_embd_v_gqa=head_dim_v * n_head_kv,
        n_vocab=len(tokens) if tokens is not None else int(a("vocab_size", 0)),
        rope_freq_base=float(a("rope.freq_base")) if a("rope.freq_base") is not None else None,
        rope_scaling_type=scaling_type,
        rope_scaling_factor=float(scaling_factor) if scaling_factor is not None else None,
        rope_scaling_orig_ctx=int(a("rope.scaling.original_context_length")) if
        a("rope.scaling.original_context_length") is not None else None,
        sliding_window=int(a("attention.sliding_window")) if a("attention.sliding_window") else None,
        chat_template=meta.get("tokenizer.chat_template") if isinstance(meta.get("tokenizer.chat_template"), str)
        else None,
        quantization=FILE_TYPES.get(ftype, f"type {ftype}") if isinstance(ftype, int) else None,
        parameter_count=n_params,
        metadata={k: v for k, v in meta.items() if not isinstance(v, SkippedArray)},
    )
