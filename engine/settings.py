"""One typed settings tree, persisted as `settings.json` in the library folder.

llama.cpp knobs carry llama.cpp's names (`n_ctx`, `type_k`, `rope_freq_base` ...). Each field has a title and a
one-sentence description in its metadata: the app builds its tooltips from them and the CLI its help, so there is
one place that explains a setting. `validate()` refuses impossible values with a message naming the setting.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import SettingsError

KV_TYPES = ("f16", "q8_0", "q4_0")
ROPE_MODES = ("auto", "none", "linear", "yarn")
ABSTAIN_LEVELS = ("rarely", "balanced", "strict")
BACKENDS = ("llama", "openai")  # openai: any OpenAI-compatible server (llama.cpp, vLLM, Ollama)
EMBED_BACKENDS = ("auto", "torch", "openvino", "onnx")


def _f(default: Any, title: str, help: str, **kw: Any) -> Any:
    """A dataclass field with a title and a one-sentence description for the UI and CLI help."""
    meta = {"title": title, "help": help, **kw}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class EmbedderSettings:
    model_path: str = _f("", "Embedding model",
                         "Folder of a sentence-transformers model; empty means the packaged all-MiniLM-L6-v2.")
    backend: str = _f("auto", "Embedding backend",
                      "How embeddings are computed: auto picks the fastest available (OpenVINO, then torch).",
                      choices=EMBED_BACKENDS)
    batch_size: int = _f(32, "Embedding batch size", "How many chunks are embedded together.", minimum=1)
    precision: str = _f("int8", "Embedding precision",
                        "int8 embeds about 2.4x faster on the OpenVINO backend with unchanged search recall; "
                        "float keeps the model's float32 (torch and ONNX always use float).",
                        choices=("int8", "float"))


@dataclass
class IngestSettings:
    chunk_tokens: int = _f(200, "Chunk size (tokens)",
                           "Longest chunk in embedder tokens; keep it under the embedder's window (256 for MiniLM).",
                           minimum=32, maximum=2048)
    max_file_bytes: int = _f(1_000_000, "Largest code file",
                             "Code and text files larger than this many bytes are skipped.", minimum=1)
    ocr: bool = _f(True, "OCR scanned pages",
                   "Run Tesseract on pages without a text layer when tesseract is installed.")
    ocr_language: str = _f("eng", "OCR language", "Tesseract language code(s), e.g. eng or eng+deu.")


@dataclass
class RetrievalSettings:
    k: int = _f(5, "Passages", "How many passages a search returns by default.", minimum=1, maximum=200)
    candidates: int = _f(60, "Candidates per retriever",
                         "How many BM25 and dense candidates are fused before re-ranking.", minimum=5)
    rrf_k: int = _f(60, "RRF constant", "Damping constant of reciprocal rank fusion.", minimum=1)
    dense_weight: float = _f(1.0, "Dense weight", "Weight of the embedding ranking in the fusion.", minimum=0.0)
    bm25_weight: float = _f(1.0, "BM25 weight", "Weight of the keyword ranking in the fusion.", minimum=0.0)
    section_weight: float = _f(0.3, "Section weight",
                               "How much a chunk's section (its title and best chunks) lifts the chunk.", minimum=0.0)
    neighbours: int = _f(1, "Neighbour expansion",
                         "Chunks on each side of a hit, within its section, added to the context.", minimum=0)


@dataclass
class LlmSettings:
    backend: str = _f("llama", "Inference backend",
                      "llama runs the GGUF in this process; openai asks an OpenAI-compatible server (llama.cpp, "
                      "vLLM, Ollama) while the library stays on this machine.",
                      choices=BACKENDS)
    model_path: str = _f("", "Model (GGUF)", "Path of the GGUF model file; empty means the packaged SmolLM2-135M.")
    base_url: str = _f("", "Server URL", "Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 "
                       "(llama.cpp) or http://localhost:11434/v1 (Ollama).")
    api_key: str = _f("", "API key", "Key sent to the remote server, if it needs one; empty uses $LECTERN_API_KEY or "
                      "$OPENAI_API_KEY. A key set here is stored in plain text in the library's settings.json.")
    remote_model: str = _f("", "Remote model name",
                           "Model name sent to the server; empty uses the first model the server lists.")
    request_timeout: float = _f(120.0, "Request timeout (s)",
                                "Seconds to wait for the server to connect, and then between pieces of an answer.",
                                minimum=1.0)
    n_ctx: int = _f(8192, "Context length (n_ctx)",
                    "Tokens the model can hold at once: instructions, document context, question and answer.",
                    minimum=512, maximum=1_048_576)
    rope_mode: str = _f("auto", "RoPE scaling",
                        "auto uses YaRN only when n_ctx exceeds the model's trained context; none, linear or yarn "
                        "force a mode.", choices=ROPE_MODES)
    rope_freq_base: float = _f(0.0, "RoPE base override", "Override the model's RoPE frequency base; 0 keeps the model's.",
                               minimum=0.0)
    type_k: str = _f("f16", "KV cache type (K)",
                     "Precision of cached keys: q8_0 halves and q4_0 quarters memory, at some speed and accuracy cost.",
                     choices=KV_TYPES)
    type_v: str = _f("f16", "KV cache type (V)",
                     "Precision of cached values; a quantized V cache needs flash attention (turned on for you).",
                     choices=KV_TYPES)
    flash_attn: str = _f("auto", "Flash attention",
                         "auto enables it when a quantized V cache needs it; on/off force it.",
                         choices=("auto", "on", "off"))
    budget: int = _f(3072, "Cache budget (tokens)",
                     "Most tokens of document context one question may use; the rest of n_ctx is for the "
                     "instructions, question and answer.", minimum=128)
    max_answer_tokens: int = _f(384, "Answer length", "Most tokens generated for one answer.", minimum=16)
    n_threads: int = _f(0, "Threads", "CPU threads for inference; 0 uses the physical cores.", minimum=0)
    n_gpu_layers: int = _f(0, "GPU layers",
                           "Layers offloaded to the GPU (-1 for all); needs a GPU build of llama-cpp-python.",
                           minimum=-1)
    temperature: float = _f(0.1, "Temperature", "Sampling temperature; low values keep answers close to sources.",
                            minimum=0.0, maximum=2.0)
    seed: int = _f(1234, "Seed", "Random seed for sampling, so the same question gives the same answer.")
    memory_cache_entries: int = _f(4, "Prefix cache (memory entries)",
                                   "Model states kept in memory for follow-up questions.", minimum=0)
    disk_cache_mb: int = _f(1024, "Prefix cache (disk MB)",
                            "Most disk space for saved model states under the library; 0 disables it.", minimum=0)
    effective_context: int = _f(0, "Measured effective context",
                                "Set by `lectern probe`: the longest context this model answered reliably; "
                                "caps the default budget. 0 means not measured.", minimum=0)
    history_turns: int = _f(3, "Follow-up history", "Earlier question/answer pairs carried into a follow-up.",
                            minimum=0)
    abstain: str = _f("rarely", "Refuse when evidence is weak",
                      "How readily an answer is refused instead of quoting weak evidence. rarely refuses only when "
                      "the closest passage is far from the question in both words and meaning (questions the "
                      "library is not about). balanced and strict also ask a small trained reader whether the best "
                      "passages answer the question; on encyclopedic prose it has not seen (docs/answers.md) "
                      "balanced refuses 8% of answerable and 17-33% of trick questions, strict 14% and 33-46%. On "
                      "a technical manual's how-to questions balanced refuses 4% of answerable ones, strict 17%.",
                      choices=ABSTAIN_LEVELS)


@dataclass
class Settings:
    """Every setting of a library. Use `Settings.load(dir)` / `settings.save(dir)`."""

    embedder: EmbedderSettings = field(default_factory=EmbedderSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)

    FILENAME = "settings.json"

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Settings":
        """Build settings from a (possibly partial or older) dict; unknown keys are ignored, types coerced."""
        out = cls()
        for group in fields(cls):
            sub = getattr(out, group.name)
            values = data.get(group.name) or {}
            if not isinstance(values, dict):
                continue
            for f in fields(sub):
                if f.name in values:
                    setattr(sub, f.name, _coerce(values[f.name], f, group.name))
        return out

    @classmethod
    def load(cls, library_dir: str | os.PathLike) -> "Settings":
        path = Path(library_dir) / cls.FILENAME
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(f"The settings file {path} cannot be read: {exc}") from exc
        return cls.from_dict(data if isinstance(data, dict) else {})

    def save(self, library_dir: str | os.PathLike) -> None:
        """Write atomically, so a crash never leaves half a settings file."""
        path = Path(library_dir) / self.FILENAME
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        os.replace(tmp, path)

    def copy(self) -> "Settings":
        return Settings.from_dict(self.to_dict())

    # ------------------------------------------------------------------ access by dotted name
    def get(self, name: str) -> Any:
        group, _, key = name.partition(".")
        return getattr(getattr(self, group), key)

    def set(self, name: str, value: Any) -> None:
        """Set `group.key` with type coercion and range checks; raises SettingsError naming the setting."""
        group, _, key = name.partition(".")
        sub = getattr(self, group, None)
        f = next((f for f in fields(sub) if f.name == key), None) if sub is not None else None
        if f is None:
            raise SettingsError(f"There is no setting called {name!r}.", name)
        setattr(sub, key, _coerce(value, f, group))
        _check(f, getattr(sub, key), group)

    def validate(self) -> None:
        for group in fields(self):
            sub = getattr(self, group.name)
            for f in fields(sub):
                _check(f, getattr(sub, f.name), group.name)
        if self.llm.backend == "openai" and not self.llm.base_url.strip().lower().startswith(("http://", "https://")):
            raise SettingsError("llm.base_url must be the http:// or https:// URL of an OpenAI-compatible server "
                                "(e.g. http://127.0.0.1:8080/v1) when llm.backend is openai; "
                                f"got {self.llm.base_url!r}.", "llm.base_url")

    @staticmethod
    def describe() -> list[dict]:
        """Every setting with its dotted name, title, description, type, default and constraints."""
        out = []
        for group in fields(Settings):
            for f in fields(group.default_factory()):  # type: ignore[misc]
                meta = dict(f.metadata)
                out.append({"name": f"{group.name}.{f.name}", "type": _type_name(f),
                            "default": f.default if f.default is not dataclasses.MISSING else None, **meta})
        return out


def _type_name(f: dataclasses.Field) -> str:
    return f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))


def _coerce(value: Any, f: dataclasses.Field, group: str) -> Any:
    kind = _type_name(f)
    name = f"{group}.{f.name}"
    try:
        if kind == "bool":
            if isinstance(value, str):
                low = value.strip().lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            return bool(value)
        if kind == "int":
            if isinstance(value, str):
                return _parse_int(value)
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if kind == "float":
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{name} must be a {kind}, not {value!r}.", name) from exc


def _parse_int(text: str) -> int:
    """Accept 8192, 8k, 32K, 1m as the CLI and settings file may spell context sizes."""
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1024, t[:-1]
    elif t.endswith("m"):
        mult, t = 1024 * 1024, t[:-1]
    return int(float(t) * mult) if mult > 1 else int(t)


def _check(f: dataclasses.Field, value: Any, group: str) -> None:
    name = f"{group}.{f.name}"
    meta = f.metadata
    if "choices" in meta and value not in meta["choices"]:
        raise SettingsError(f"{name} must be one of {', '.join(meta['choices'])}; got {value!r}.", name)
    if "minimum" in meta and value < meta["minimum"]:
        raise SettingsError(f"{name} must be at least {meta['minimum']}; got {value!r}.", name)
    if "maximum" in meta and value > meta["maximum"]:
        raise SettingsError(f"{name} must be at most {meta['maximum']}; got {value!r}.", name)
