"""Does this passage answer this question? A small trained reader, run in numpy.

SQuAD 2.0's unanswerable questions are written to look answerable: the paragraph has the same names and words,
only one fact is swapped or negated. Retrieval scores and embedding similarity cannot tell them apart (docs/answers.md,
"Abstention"); a cross-encoder that reads question and passage together can, somewhat. This is the packaged
embedder's network (all-MiniLM-L6-v2) with low-rank adapters and a head trained by scripts/train_answerability.py
on SQuAD 2.0 (never on squad-dev's articles), HotpotQA and technical FAQs (scripts/faq_pairs.py); the trained part
ships as engine/data/answerability.npz (~1.3 MB) and the base weights are read from the packaged model's
model.safetensors.

It runs in numpy so that the bundle, which leaves torch out (packaging/README.md), runs it too; the tokenizer is the
`tokenizers` library the embedder already uses. Five 256-token windows take about half a second on two cores.
"""
from __future__ import annotations

import json
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError

MAX_LENGTH = 256  # question + passage tokens: what the adapters were trained on
WINDOW_CHARS = 1000  # about 220 tokens of English prose: a SQuAD paragraph with its neighbourhood
WEIGHTS = Path(__file__).resolve().parents[1] / "data" / "answerability.npz"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The float32 tensors of a .safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        lo, hi = info["data_offsets"]
        out[name] = np.frombuffer(data[lo:hi], dtype="<f4").reshape(info["shape"])
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to 1.5e-7 (Abramowitz & Stegun 7.1.26): numpy has none, and scipy is not in the bundle."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))  # float32 throughout


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


@dataclass
class AnswerabilityModel:
    """BERT weights with the adapters merged in (W + scale * B A), the head, and the tokenizer."""

    w: dict[str, np.ndarray]
    head_weight: np.ndarray
    head_bias: float
    layers: int
    heads: int
    eps: float  # layer-norm epsilon
    tokenizer: object

    @classmethod
    def load(cls, base_dir: Path, weights: Path = WEIGHTS) -> AnswerabilityModel:
        from tokenizers import Tokenizer

        try:
            w = {k: v.astype(np.float32) for k, v in read_safetensors(base_dir / "model.safetensors").items()}
            config = json.loads((base_dir / "config.json").read_text(encoding="utf-8"))
            with np.load(weights) as saved:
                for key in saved.files:
                    if key.endswith("|a"):  # W + scale * B A: the adapter folded into the base weight
                        name = key[:-2]
                        delta = saved[f"{name}|b"].astype(np.float32) @ saved[f"{name}|a"].astype(np.float32)
                        w[f"{name}.weight"] = w[f"{name}.weight"] + float(saved[f"{name}|scale"]) * delta
                head_weight = saved["head|weight"].astype(np.float32)[0]
                head_bias = float(saved["head|bias"][0])
            layers = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
            tok = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
        except (OSError, ValueError, KeyError) as e:  # a missing or foreign file, or weights for another network
            raise ModelLoadError(f"The answerability model could not be read ({e}).") from e
        except Exception as e:  # tokenizers raises its own exception type for a malformed tokenizer.json
            raise ModelLoadError(f"The answerability model's tokenizer could not be read ({e}).") from e
        tok.no_padding()
        tok.enable_truncation(MAX_LENGTH, strategy="only_second")
        return cls(w, head_weight, head_bias, layers, int(config["num_attention_heads"]),
                   float(config.get("layer_norm_eps", 1e-12)), tok)

    def scores(self, question: str, passages: list[str]) -> np.ndarray:
        """One logit per passage: above 0, the model thinks the passage answers the question."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        encs = self.tokenizer.encode_batch([(question, p) for p in passages])
        n = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), n), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros((len(encs), n), dtype=np.float32)
        for i, e in enumerate(encs):
            ids[i, :len(e.ids)], types[i, :len(e.ids)], mask[i, :len(e.ids)] = e.ids, e.type_ids, 1.0
        hidden = self._encode(ids, types, mask)
        m = mask[..., None]
        mean = (hidden * m).sum(1) / np.maximum(m.sum(1), 1.0)
        return np.concatenate([hidden[:, 0], mean], axis=-1) @ self.head_weight + self.head_bias

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def _encode(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        b, n = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n][None]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        heads = self.heads
        d = x.shape[-1] // heads
        blocked = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)  # padding receives no attention
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q, k, v = (self._linear(x, f"{p}.attention.self.{t}").reshape(b, n, heads, d).transpose(0, 2, 1, 3)
                       for t in ("query", "key", "value"))
            att = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(d)) + blocked
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, n, -1)
            x = _layer_norm(x + self._linear(ctx, f"{p}.attention.output.dense"),
                            w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"],
                            self.eps)
            h = _gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = _layer_norm(x + self._linear(h, f"{p}.output.dense"),
                            w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"], self.eps)
        return x


_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str], AnswerabilityModel] = {}


def shared_model(base_dir: Path, weights: Path = WEIGHTS) -> AnswerabilityModel:
    """One loaded model per process (loading merges ~22M weights: about a second)."""
    key = (str(base_dir), str(weights))
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = AnswerabilityModel.load(base_dir, weights)
        return _CACHE[key]


def window(text: str, start: int, end: int, size: int = WINDOW_CHARS) -> str:
    """`size` characters of `text` centred on [start, end) (the whole text when it is shorter)."""
    if len(text) <= size:
        return text
    mid = (start + end) // 2 if end > start else 0
    lo = max(0, min(mid - size // 2, len(text) - size))
    return text[lo:lo + size]


def candidate_windows(units: list, passages_by_score: list, limit: int = 5) -> list[str]:
    """The passages the verifier reads: windows around the first three evidence units in citing order, the two
    best-scoring units and the two best-ranked passages, one per chunk, at most `limit`. Code is left out: the
    model was trained on prose, and what answers a question about code is rarely a sentence."""
    picks = [(u.chunk, u.start, u.end) for u in list(units[:3]) + sorted(units, key=lambda u: -u.score)[:2]]
    picks += [(c, 0, 0) for c in passages_by_score[:2]]
    seen: set[int] = set()
    out = []
    for chunk, start, end in picks:
        if chunk.id in seen or chunk.kind == "code":
            continue
        seen.add(chunk.id)
        out.append(window(chunk.text, start, end))
        if len(out) >= limit:
            break
    return out
