"""Write small but valid GGUF files for tests: a header, typed key/values and tensor descriptions.

Values are typed by their Python type (str, bool, int -> uint32 or int64, float -> float32, list -> array of the
first element's type); pass `Typed(vtype, value)` to force a GGUF type.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_FMT = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i", FLOAT32: "<f", BOOL: "<?",
        UINT64: "<Q", INT64: "<q", FLOAT64: "<d"}


@dataclass
class Typed:
    vtype: int
    value: Any
    elem: int | None = None  # element type of an array


def _type_of(value: Any) -> int:
    if isinstance(value, Typed):
        return value.vtype
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return UINT32 if 0 <= value < 2**32 else INT64
    if isinstance(value, float):
        return FLOAT32
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        return ARRAY
    raise TypeError(value)


def _string(s: str, len_fmt: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack(len_fmt, len(b)) + b


def _value(vtype: int, value: Any, len_fmt: str, elem: int | None = None) -> bytes:
    if isinstance(value, Typed):
        return _value(value.vtype, value.value, len_fmt, value.elem)
    if vtype == STRING:
        return _string(value, len_fmt)
    if vtype == ARRAY:
        et = elem if elem is not None else (_type_of(value[0]) if value else UINT32)
        out = struct.pack("<I", et) + struct.pack(len_fmt, len(value))
        return out + b"".join(_value(et, v, len_fmt) for v in value)
    return struct.pack(_FMT[vtype], value)


def gguf_bytes(kv: dict[str, Any], tensors: list[tuple[str, list[int], int, int]] | None = None, *,
               version: int = 3, alignment: int = 32) -> bytes:
    """The bytes of a GGUF file: header, key/values, tensor infos (name, dims, ggml type, offset), no data."""
    len_fmt = "<I" if version == 1 else "<Q"
    tensors = tensors or []
    out = bytearray(b"GGUF" + struct.pack("<I", version))
    out += struct.pack(len_fmt, len(tensors)) + struct.pack(len_fmt, len(kv))
    for key, value in kv.items():
        vtype = _type_of(value)
        out += _string(key, len_fmt) + struct.pack("<I", vtype) + _value(vtype, value, len_fmt)
    for name, dims, ggml_type, offset in tensors:
        out += _string(name, len_fmt) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack(len_fmt, d) for d in dims)
        out += struct.pack("<I", ggml_type) + struct.pack("<Q", offset)
    out += b"\0" * (-len(out) % alignment)
    return bytes(out)


def llama_kv(name: str = "Tiny Test", *, ctx: int = 4096, layers: int = 4, embd: int = 256, heads: int = 8,
             heads_kv: int = 2, vocab: int = 100, **extra: Any) -> dict[str, Any]:
    """Metadata of a plausible small llama-architecture model, with a token list of `vocab` strings."""
    kv: dict[str, Any] = {
        "general.architecture": "llama", "general.name": name, "general.file_type": 15,
        "llama.context_length": ctx, "llama.block_count": layers, "llama.embedding_length": embd,
        "llama.feed_forward_length": embd * 4, "llama.attention.head_count": heads,
        "llama.attention.head_count_kv": heads_kv, "llama.rope.freq_base": 10000.0,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.tokens": [f"tok{i}" for i in range(vocab)],
        "tokenizer.ggml.scores": Typed(ARRAY, [0.0] * vocab, FLOAT32),
        "tokenizer.chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}",
    }
    kv.update(extra)
    return kv


def write_gguf(path: Path, kv: dict[str, Any] | None = None, tensors: list | None = None, *,
               data_bytes: int = 0, **kw: Any) -> Path:
    """Write a GGUF file (default: `llama_kv()` with one F32 tensor and its data) and return its path."""
    kv = llama_kv() if kv is None else kv
    if tensors is None:
        tensors = [("token_embd.weight", [4, 8], 0, 0)]
        data_bytes = max(data_bytes, 4 * 8 * 4)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gguf_bytes(kv, tensors, **kw) + b"\0" * data_bytes)
    return path
