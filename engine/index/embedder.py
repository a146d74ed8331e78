"""Sentence embeddings of chunks and queries.

This is the one module that imports torch, transformers, sentence-transformers, tokenizers, OpenVINO and ONNX
Runtime. The model's transformer is converted once, locally and without optimum, to an OpenVINO IR (or an ONNX
file) under `cache_dir()/embedders/`, and run from there. Loading a converted model imports neither torch nor
transformers: about 1.2 s to a first query instead of 6-12 s, which keeps `lectern search` quick to start.
OpenVINO also embeds faster than torch at the same precision (1.1x per CPU-second on 200-token chunks, 1.4x on
mixed lengths), and several times faster in bf16 on CPUs with AMX (tests/bench/bench_embedder.py).

The accelerated backends share our own pipeline: `tokenizers` reads tokenizer.json, inputs are sorted by length
so a batch carries little padding (1.9x on chunks of mixed length), the pooling named in 1_Pooling/config.json
and the L2 normalisation run in numpy. The torch backend is sentence-transformers itself, the reference the others
are measured against, and the fallback for any model whose modules we do not reproduce (Dense layers, routers,
prompts excluded from pooling).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Cancelled, ModelError, ModelLoadError
from ..types import Progress
from .embedder_cache import ModelSpec, cached_conversion, read_model_spec

log = logging.getLogger(__name__)

BACKENDS = ("auto", "openvino", "onnx", "torch")
PRECISIONS = ("int8", "float")
# What each setting tries, in order. ONNX is not in `auto`: ONNX Runtime in float32 was slower than torch per
# CPU-second, int8 changed the top-5 neighbours of 8% of queries, and its exporter needs the `onnx` package.
_ATTEMPTS = {"auto": ("openvino", "torch"), "openvino": ("openvino", "torch"), "onnx": ("onnx", "torch"),
             "torch": ("torch",)}
# int8 is a variant of the OpenVINO conversion (quantized with NNCF); when it cannot be made, float OpenVINO serves.
_INT8 = "openvino-int8"
_QUERY_CACHE_SIZE = 256


def _offline() -> None:
    """Nothing is ever fetched: a model is a local folder, and the hub must not be asked about it."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


# --------------------------------------------------------------------------- runners
class _OpenVinoRunner:
    """Token embeddings from an OpenVINO IR with dynamic batch and sequence dimensions."""

    kind = "openvino"

    def __init__(self, xml: Path, num_threads: int, config: dict[str, Any] | None, quantized: bool = False):
        import openvino as ov

        # LATENCY: one stream using every core for the batch in hand; we submit one batch at a time. No pinning:
        # the app parses PDFs and runs its GUI beside the embedder, and pinned threads wait for a busy core
        # (unpinned was about 5% faster with other work on a 2-core machine).
        cfg: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": False, **(config or {})}
        if "INFERENCE_PRECISION_HINT" not in cfg and not _cpu_has_amx():
            # OpenVINO picks bf16 on any CPU with avx512_bf16; without AMX's tile units that ran at 0.75x of f32
            # (tests/bench/bench_embedder.py), with AMX it runs several times faster at cosine 0.99996 to f32.
            cfg["INFERENCE_PRECISION_HINT"] = "f32"
        if num_threads:
            cfg["INFERENCE_NUM_THREADS"] = num_threads
        core = ov.Core()
        self._compiled = core.compile_model(core.read_model(str(xml)), "CPU", cfg)
        self._request = self._compiled.create_infer_request()
        self._output = self._compiled.output(0)
        last = self._output.get_partial_shape()[-1]
        self.hidden = last.get_length() if last.is_static else 0
        self.precision = self._compiled.get_property("INFERENCE_PRECISION_HINT").to_string()
        if quantized:
            self.precision = f"int8+{self.precision}"  # matmuls in int8, the rest (softmax, norms) in this

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self._request.infer({"input_ids": ids, "attention_mask": mask})[self._output]


class _OnnxRunner:
    """Token embeddings from an ONNX file through ONNX Runtime's CPU provider."""

    kind = "onnx"

    def __init__(self, path: Path, num_threads: int):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if num_threads:
            opts.intra_op_num_threads = num_threads
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        last = self._session.get_outputs()[0].shape[-1]
        self.hidden = last if isinstance(last, int) else 0
        self.precision = "f32"

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


class _SentenceTransformersRunner:
    """The reference: sentence-transformers on torch, for any model it can load."""

    kind = "torch"

    def __init__(self, spec: ModelSpec, num_threads: int):
        _offline()
        try:
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise ModelLoadError(f"sentence-transformers cannot be imported ({exc}); reinstall Lectern.") from exc
        if num_threads:
            torch.set_num_threads(num_threads)
        hf_logging.disable_progress_bar()  # a "Loading weights" bar on stderr would litter CLI output
        try:
            self.model = SentenceTransformer(str(spec.root), device="cpu", local_files_only=True)
        except Exception as exc:  # anything it throws means "not a model we can load"
            raise ModelLoadError(f"The embedding model in {spec.root} could not be loaded: {exc}") from exc
        dimension = (getattr(self.model, "get_embedding_dimension", None)  # sentence-transformers >= 6
                     or self.model.get_sentence_embedding_dimension)
        self.dim = int(dimension())
        self.precision = "f32"

    def encode(self, texts: list[str], prompt: str) -> np.ndarray:
        out = self.model.encode(texts, prompt=prompt or None, batch_size=max(1, len(texts)),
                                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)

    def tokenizer_json(self) -> str | None:
        backend = getattr(self.model.tokenizer, "backend_tokenizer", None)
        return backend.to_str() if backend is not None else None


# --------------------------------------------------------------------------- conversion (imports torch)
def _convert(spec: ModelSpec, backend: str, dest: Path) -> dict[str, Any]:
    """Convert the transformer of `spec` to `backend`'s format in `dest`; returns facts for the manifest.

    `backend` "openvino-int8" converts to OpenVINO and then quantizes the graph with NNCF (see _quantize).

    Runs in the loading process: it costs the torch and transformers imports once, after which the cache serves.
    """
    _offline()
    import warnings

    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about data-dependent branches we cover below
        model = AutoModel.from_pretrained(str(spec.transformer_dir), local_files_only=True).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(spec.transformer_dir), local_files_only=True)
        backend_tokenizer = getattr(tokenizer, "backend_tokenizer", None)
        if backend_tokenizer is None:
            raise ModelLoadError("the model has no fast (Rust) tokenizer")
        (dest / "tokenizer.json").write_text(backend_tokenizer.to_str(), encoding="utf-8")

        class _TokenEmbeddings(torch.nn.Module):
            # Only input_ids and attention_mask: we embed single texts, whose token types are all 0, the
            # models' default; and only the last hidden state, since pooling is ours.
            def __init__(self, inner: torch.nn.Module):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
                return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

        wrapped = _TokenEmbeddings(model)
        # A padded example, so any "mask is all ones" shortcut in the attention code is not baked into the graph.
        ids = torch.full((2, 12), int(spec.pad_token_id) + 1000, dtype=torch.long)
        mask = torch.ones((2, 12), dtype=torch.long)
        mask[1, 7:] = 0
        with torch.no_grad():
            if backend in ("openvino", _INT8):
                import openvino as ov

                converted = ov.convert_model(wrapped, example_input={"input_ids": ids, "attention_mask": mask})
                if backend == _INT8:
                    converted = _quantize(converted, backend_tokenizer, spec)
                ov.save_model(converted, str(dest / "model.xml"), compress_to_fp16=False)
            else:
                if importlib.util.find_spec("onnx") is None:
                    raise ImportError("the ONNX exporter needs the onnx package: pip install onnx")
                axes = {0: "batch", 1: "tokens"}
                torch.onnx.export(wrapped, (ids, mask), str(dest / "model.onnx"),
                                  input_names=["input_ids", "attention_mask"], output_names=["token_embeddings"],
                                  dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_embeddings": axes},
                                  opset_version=17, dynamo=False)
    return {"hidden_size": int(model.config.hidden_size), "torch": torch.__version__}


def _quantize(model: Any, tokenizer: Any, spec: ModelSpec) -> Any:
    """Post-training int8 quantization of an OpenVINO transformer graph with NNCF.

    Why: on CPUs with VNNI the int8 matmuls embed 2.3-2.5x more chunks per second than float32 (docs/retrieval.md
    has the figures), which is what lets ingestion reach 15 pages/s on 2 cores; chunk vectors stay at cosine ~0.996
    to float and search recall was measured unchanged. The activations' ranges are calibrated on prose that ships
    with every Python (calibration.py), so nothing is downloaded and the result is the same on every machine.
    """
    import nncf

    from .calibration import calibration_texts

    tokenizer = type(tokenizer).from_str(tokenizer.to_str())  # a copy: truncation must not leak into tokenizer.json
    tokenizer.enable_truncation(spec.max_seq_length)
    tokenizer.no_padding()
    samples = []
    for text in calibration_texts():
        enc = tokenizer.encode(text.lower() if spec.do_lower_case else text)
        samples.append({"input_ids": np.asarray([enc.ids], dtype=np.int64),
                        "attention_mask": np.asarray([enc.attention_mask], dtype=np.int64)})
    nncf.set_log_level(logging.ERROR)
    return nncf.quantize(model, nncf.Dataset(samples), model_type=nncf.ModelType.TRANSFORMER,
                         subset_size=len(samples))


def _runtime_version(backend: str) -> str:
    if backend == _INT8:
        import openvino as ov

        # Not NNCF's version: running a cached int8 model must not import the quantizer (nor need it installed).
        return f"{ov.get_version()}+int8"
    if backend == "openvino":
        import openvino as ov

        return ov.get_version()
    import onnxruntime as ort

    return ort.__version__


# --------------------------------------------------------------------------- the embedder
class Embedder:
    """Embeds chunks and queries with one model; vectors are float32 and L2-normalised.

    Attributes:
        name: identity of model and pooling, stored with the library so vectors of two models are never mixed.
        dim: length of a vector.
        max_tokens: the model's window in tokens, special tokens included (256 for MiniLM).
        backend: the backend actually running ("openvino", "onnx" or "torch").
        fallback_reason: why a faster backend asked for is not running, or None.
    """

    def __init__(self, spec: ModelSpec, runner: Any, tokenizer_json: str | None, batch_size: int,
                 fallback_reason: str | None = None):
        self._spec = spec
        self._runner = runner
        self.name = spec.name
        self.max_tokens = spec.max_seq_length
        self.backend = runner.kind
        self.precision = runner.precision
        self.fallback_reason = fallback_reason
        self.batch_size = max(1, int(batch_size))
        # sentence-transformers knows its output size; ours is the transformer's width once per pooling mode.
        hidden = getattr(runner, "hidden", 0)
        self.dim = int(getattr(runner, "dim", 0) or (hidden * len(spec.pooling) if hidden else spec.dim))
        self._lock = threading.Lock()  # runners are not thread-safe; held per batch so a query can slip in
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._counter, self._truncating = _tokenizers(tokenizer_json, spec.max_seq_length)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, model_path: str | Path | None = None, backend: str = "auto", batch_size: int = 32, *,
             precision: str = "int8", num_threads: int = 0,
             runtime_config: dict[str, Any] | None = None) -> "Embedder":
        """Load an embedding model, converting it for a faster backend once if needed.

        Args:
            model_path: folder of a sentence-transformers (or plain Hugging Face) model; None or "" means the
                packaged all-MiniLM-L6-v2.
            backend: "auto" (OpenVINO, else torch), "openvino", "onnx" or "torch". A faster backend that is not
                installed or fails to convert falls back to torch; the reason is logged and kept in
                `fallback_reason`.
            batch_size: texts per inference call.
            precision: "int8" quantizes the OpenVINO model (2.3-2.5x faster on CPUs with VNNI, recall unchanged
                on our sets); "float" keeps the model's float32. torch and ONNX always run float32.
            num_threads: CPU threads for inference; 0 lets the runtime use every core.
            runtime_config: extra OpenVINO compile properties (the benchmark compares precisions with it).

        Returns:
            A ready Embedder.

        Raises:
            ModelLoadError: the folder is missing, is not a model, or no backend can load it.
        """
        if backend not in BACKENDS:
            raise ModelLoadError(f"Unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}.")
        if precision not in PRECISIONS:
            raise ModelLoadError(f"Unknown embedding precision {precision!r}; choose one of {', '.join(PRECISIONS)}.")
        start = time.perf_counter()
        spec = read_model_spec(model_path)
        reasons: list[str] = []
        attempts = _ATTEMPTS[backend]
        if precision == "int8":
            attempts = tuple(a for b in attempts for a in ((_INT8, b) if b == "openvino" else (b,)))
        for attempt in attempts:
            try:
                embedder = cls._load_backend(spec, attempt, batch_size, num_threads, runtime_config,
                                             "; ".join(reasons) or None)
            except ModelLoadError as exc:
                if attempt == "torch":
                    raise
                reasons.append(f"{attempt}: {exc}")
                log.warning("Embedding backend %s is unavailable for %s, trying the next one: %s",
                            attempt, spec.root, exc)
                continue
            log.info("Embedder %s loaded on %s (%s) in %.2f s", embedder.name, embedder.backend,
                     embedder.precision, time.perf_counter() - start)
            return embedder
        raise AssertionError("unreachable: the torch attempt raises or returns")

    @classmethod
    def _load_backend(cls, spec: ModelSpec, backend: str, batch_size: int, num_threads: int,
                      runtime_config: dict[str, Any] | None, fallback_reason: str | None) -> "Embedder":
        if backend == "torch":
            runner = _SentenceTransformersRunner(spec, num_threads)
            return cls(spec, runner, spec.tokenizer_json() or runner.tokenizer_json(), batch_size, fallback_reason)
        if spec.unsupported:
            raise ModelLoadError(spec.unsupported)
        try:
            version = _runtime_version(backend)
        except ImportError as exc:
            raise ModelLoadError(f"the {backend} runtime is not installed ({exc})") from exc
        filename = "model.onnx" if backend == "onnx" else "model.xml"

        def open_runner(folder: Path) -> Any:
            if backend != "onnx":
                return _OpenVinoRunner(folder / filename, num_threads, runtime_config, quantized=backend == _INT8)
            return _OnnxRunner(folder / filename, num_threads)

        try:
            folder, runner = cached_conversion(spec, backend, version, lambda dest: _convert(spec, backend, dest),
                                               open_runner)
        except ModelLoadError:
            raise
        except Exception as exc:  # a converter or runtime failure of any kind means: use another backend
            raise ModelLoadError(f"conversion to {backend} failed: {type(exc).__name__}: {exc}") from exc
        tokenizer_json = (folder / "tokenizer.json").read_text(encoding="utf-8")
        return cls(spec, runner, tokenizer_json, batch_size, fallback_reason)

    # ------------------------------------------------------------------ tokens
    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens of each text as the model sees it, without special tokens and without truncation."""
        if not texts:
            return []
        return [len(e.ids) for e in self._counter.encode_batch(self._prepare(texts), add_special_tokens=False)]

    def _prepare(self, texts: list[str], prompt: str = "") -> list[str]:
        # sentence-transformers strips each text (and lower-cases it when the model asks), then adds the prompt.
        out = [prompt + str(t).strip() for t in texts]
        return [t.lower() for t in out] if self._spec.do_lower_case else out

    # ------------------------------------------------------------------ embedding
    def embed(self, texts: list[str], *, cancel: Any = None,
              progress: Callable[[Progress], None] | None = None) -> np.ndarray:
        """Embed texts in batches of similar length.

        Args:
            texts: the chunks' texts; longer ones are truncated to the model's window.
            cancel: a threading.Event (or anything with is_set(), or a callable) checked between batches.
            progress: called with a Progress("embedding", done, total, "chunks") after each batch.

        Returns:
            float32 array (len(texts), dim), each row of unit length, in the order of `texts`.

        Raises:
            Cancelled: `cancel` was set.
            ModelError: the embedder is closed or inference failed.
        """
        return self._embed(texts, self._spec.document_prompt, cancel, progress)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one search query; repeated queries come from a small LRU cache. Returns a read-only (dim,) array."""
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
                return hit
        vector = self._embed([text], self._spec.query_prompt, None, None)[0]
        vector.setflags(write=False)
        with self._lock:
            self._queries[text] = vector
            while len(self._queries) > _QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector

    def _embed(self, texts: list[str], prompt: str, cancel: Any,
               progress: Callable[[Progress], None] | None) -> np.ndarray:
        if self._runner is None:
            raise ModelError("The embedder has been closed.")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        if isinstance(self._runner, _SentenceTransformersRunner):
            prepared = self._prepare(texts)
            lengths = [len(t) for t in prepared]
            encodings = None
        else:
            encodings = [e.ids for e in self._truncating.encode_batch(self._prepare(texts, prompt))]
            lengths = [len(ids) for ids in encodings]
        # Longest first, like sentence-transformers: similar lengths share a batch, so little is padding.
        order = np.argsort(-np.asarray(lengths), kind="stable")
        for start in range(0, len(texts), self.batch_size):
            if _is_set(cancel):
                raise Cancelled("Embedding was cancelled.")
            rows = order[start:start + self.batch_size]
            try:
                with self._lock:
                    if self._runner is None:
                        raise ModelError("The embedder has been closed.")
                    if encodings is None:
                        out[rows] = self._runner.encode([prepared[i] for i in rows], prompt)
                    else:
                        out[rows] = self._pooled([encodings[i] for i in rows])
            except (Cancelled, ModelError):
                raise
            except Exception as exc:
                raise ModelError(f"Embedding failed on the {self.backend} backend: {exc}") from exc
            if progress is not None:
                progress(Progress("embedding", min(start + self.batch_size, len(texts)), len(texts), "chunks"))
        return out

    def _pooled(self, encodings: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in encodings)
        ids = np.full((len(encodings), width), self._spec.pad_token_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, seq in enumerate(encodings):
            ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1
        tokens = np.asarray(self._runner.run(ids, mask), dtype=np.float32)
        return pool(tokens, mask, self._spec.pooling)

    # ------------------------------------------------------------------ lifetime
    def close(self) -> None:
        """Release the model; later calls to embed raise ModelError."""
        with self._lock:
            self._runner = None
            self._queries.clear()

    def __enter__(self) -> "Embedder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Embedder({self.name!r}, backend={self.backend!r}, dim={self.dim})"


# --------------------------------------------------------------------------- helpers
def _tokenizers(tokenizer_json: str | None, max_seq_length: int) -> tuple[Any, Any]:
    """Two copies of the fast tokenizer: one counting whole texts, one truncating to the window for inference."""
    from tokenizers import Tokenizer

    if tokenizer_json is None:
        raise ModelLoadError("The embedding model has no fast tokenizer (tokenizer.json), which Lectern needs.")
    counter = Tokenizer.from_str(tokenizer_json)
    counter.no_truncation()
    counter.no_padding()
    truncating = Tokenizer.from_str(tokenizer_json)
    truncating.enable_truncation(max_length=max_seq_length)
    truncating.no_padding()  # we pad per batch, after sorting by length
    return counter, truncating


def _cpu_has_amx() -> bool:
    """Whether the CPU has AMX bf16 tiles; read from Linux's cpuinfo, and assumed absent elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return "amx_bf16" in line.split()
    except OSError:
        pass
    return False


def _is_set(cancel: Any) -> bool:
    if cancel is None:
        return False
    is_set = getattr(cancel, "is_set", None)
    return bool(is_set()) if is_set is not None else bool(cancel())


def pool(tokens: np.ndarray, mask: np.ndarray, modes: tuple[str, ...]) -> np.ndarray:
    """Pool token embeddings (batch, tokens, hidden) into L2-normalised vectors, as sentence-transformers does.

    Modes are concatenated in the order given (cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken).
    Inputs are right-padded, so the first token is CLS and the last real token ends at mask.sum() - 1.
    """
    m = mask.astype(np.float32)[:, :, None]
    lengths = np.maximum(m.sum(axis=1), 1e-9)
    parts = []
    for mode in modes:
        if mode == "cls":
            parts.append(tokens[:, 0])
        elif mode == "max":
            parts.append(np.where(m > 0, tokens, -np.inf).max(axis=1))
        elif mode == "mean":
            parts.append((tokens * m).sum(axis=1) / lengths)
        elif mode == "mean_sqrt_len_tokens":
            parts.append((tokens * m).sum(axis=1) / np.sqrt(lengths))
        elif mode == "weightedmean":
            w = m * np.arange(1, tokens.shape[1] + 1, dtype=np.float32)[None, :, None]
            parts.append((tokens * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-9))
        elif mode == "lasttoken":
            last = np.maximum(mask.sum(axis=1).astype(np.int64) - 1, 0)
            parts.append(tokens[np.arange(tokens.shape[0]), last])
        else:
            raise ModelError(f"Unknown pooling mode {mode!r}.")
    vectors = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
