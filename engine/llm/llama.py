"""The in-process llama.cpp backend. The only module of Lectern that imports llama_cpp.

Loading validates everything first (file, GGUF header, RoPE/KV/flash-attention plan, memory) so that llama.cpp is
never asked to do something it would crash or thrash on. Generation drives llama-cpp-python's `Llama.eval` for
batching and its token bookkeeping (`n_tokens`, `input_ids`), and llama.cpp's own sampler chain for sampling.

Prefix cache: after the prefix tokens are evaluated the context state is saved (`llama_state_get_data`, ~KV size,
no logits matrix: the Python `Llama.save_state` would copy a 96 MiB scores array too). A later call whose prefix is
the same restores it with `llama_state_set_data` and evaluates only the suffix; if the live context already holds
the prefix (the previous call used it) nothing is restored at all. After a restore `n_tokens` and `input_ids` are
set to the prefix, so llama-cpp-python's own view of the context stays true.
"""
from __future__ import annotations

import codecs
import contextlib
import ctypes
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import llama_cpp
import numpy as np
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from ..errors import Cancelled, ContextTooLargeError, ModelError, ModelLoadError
from ..paths import packaged_gguf_path
from ..settings import LlmSettings
from .backend import GenerationEvent, GenerationStats, TextPiece
from .gguf import ModelInfo, read_gguf_info
from .memory import free_memory_bytes
from .prefix_cache import PrefixCache, prefix_key
from .rope import ContextPlan, resolve_context

log = logging.getLogger(__name__)

N_BATCH = 512
MIN_CACHED_PREFIX = 16  # shorter prefixes re-evaluate faster than a state round trip
# The memory LRU may hold at most this share of the memory free at load (states of long prefixes are large).
MEMORY_CACHE_SHARE = 0.25
_CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
           "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

# ---------------------------------------------------------------------------- llama.cpp's log
_recent_log: deque[str] = deque(maxlen=20)
# ggml_log_level: 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous line. llama.cpp's warnings are
# mostly advice for its CLI users ("n_ctx_seq < n_ctx_train"), so they go to our log at info level.
_LOG_LEVELS = {1: logging.DEBUG, 2: logging.DEBUG, 3: logging.INFO, 4: logging.WARNING}


@llama_cpp.llama_log_callback
def _on_llama_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    # llama.cpp writes to stderr by default; keep it in our log instead, and remember warnings and errors so a
    # failed load can say why ("unknown model architecture ...") instead of llama-cpp-python's generic ValueError.
    msg = text.decode("utf-8", errors="replace").rstrip()
    if not msg:
        return
    if level in (3, 4):
        _recent_log.append(msg)
    log.log(_LOG_LEVELS.get(level, logging.DEBUG), "llama.cpp: %s", msg)


def _silence_llama_logs() -> None:
    llama_cpp.llama_log_set(_on_llama_log, ctypes.c_void_p(0))


_silence_llama_logs()


def gpu_offload_supported() -> bool:
    """Whether this llama-cpp-python build can offload layers to a GPU."""
    return bool(llama_cpp.llama_supports_gpu_offload())


def build_info() -> dict:
    """The llama.cpp build as the settings panel shows it."""
    return {"llama_cpp_python": llama_cpp.__version__, "gpu_offload": gpu_offload_supported(),
            "system_info": llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").strip()}


def model_path_from(settings: LlmSettings) -> Path:
    """The GGUF file the settings name: llm.model_path, or the packaged model when it is empty."""
    return Path(settings.model_path).expanduser() if settings.model_path else packaged_gguf_path()


def load_raw_llama(settings: LlmSettings) -> llama_cpp.Llama:
    """A bare `llama_cpp.Llama` with the context parameters `LlamaBackend.load` would give it.

    Benchmarks compare the backend's prefill and decode speed with it on the same tokens (`reset`, `eval`, `sample`).
    """
    path = model_path_from(settings)
    plan = resolve_context(read_gguf_info(path), settings, gpu_offload_supported=gpu_offload_supported())
    _silence_llama_logs()
    return llama_cpp.Llama(str(path), **plan.llama_kwargs(), n_batch=N_BATCH, n_ubatch=N_BATCH, verbose=False)


class LlamaBackend:
    """A GGUF model loaded in this process. One inference at a time (a llama context is not thread-safe)."""

    def __init__(self, llama: llama_cpp.Llama, info: ModelInfo, plan: ContextPlan, cache: PrefixCache,
                 stack: contextlib.ExitStack):
        self._llama, self.info, self.plan, self._cache, self._stack = llama, info, plan, cache, stack
        self.name = info.name
        self._ctx = llama.ctx
        self._vocab = llama_cpp.llama_model_get_vocab(llama.model)
        self._busy = threading.Lock()
        self._closed = False
        st = info.path.stat()
        self._fingerprint = f"{info.path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{llama_cpp.__version__}"
        self._state_settings = {k: v for k, v in plan.effective_settings().items() if k != "n_threads"}
        self._bos = llama.token_bos()
        self.chat_template_source = "gguf" if info.chat_template else "chatml (the model has no chat template)"
        tokens = {"eos_token": self._token_text(llama.token_eos()), "bos_token": self._token_text(self._bos)}
        try:
            self._formatter = Jinja2ChatFormatter(template=info.chat_template or _CHATML, **tokens,
                                                  add_generation_prompt=True)
        except Exception as exc:  # noqa: BLE001 - a broken template must not make the model unusable
            log.warning("the chat template of %s does not compile (%s); using ChatML", info.name, exc)
            self.chat_template_source = "chatml (the model's chat template does not compile)"
            self._formatter = Jinja2ChatFormatter(template=_CHATML, **tokens, add_generation_prompt=True)

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return llama_cpp.llama_vocab_get_text(self._vocab, token).decode("utf-8", errors="replace")

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, settings: LlmSettings, *, cache_dir: Path | None = None,
             free_bytes: int | None = None) -> "LlamaBackend":
        """Load the model the settings name, after checking that llama.cpp can do what they ask.

        Args:
            settings: the llm settings (model_path, n_ctx, rope_mode, type_k/type_v, flash_attn, n_threads,
                n_gpu_layers, memory_cache_entries, disk_cache_mb ...).
            cache_dir: folder for saved prefix states; None keeps them in memory only.
            free_bytes: memory free now (tests); None reads it from the system.
        Returns:
            LlamaBackend.
        Raises:
            ModelLoadError: the file is missing, not a GGUF model, truncated, or llama.cpp cannot load it.
            ContextTooLargeError: the context cannot be stretched that far or does not fit in memory.
            SettingsError: contradictory settings (e.g. a quantized V cache with flash attention off).
        """
        path = model_path_from(settings)
        if not path.exists():
            raise ModelLoadError(f"model file not found: {path}")
        info = read_gguf_info(path)
        plan = resolve_context(info, settings, gpu_offload_supported=gpu_offload_supported(),
                               free_bytes=free_bytes)
        for warning in plan.warnings:
            log.warning(warning)
        _silence_llama_logs()
        _recent_log.clear()
        stack = contextlib.ExitStack()
        try:
            llama = llama_cpp.Llama(str(path), **plan.llama_kwargs(), n_batch=N_BATCH, n_ubatch=N_BATCH,
                                    verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            why = next((m.split(": ", 1)[-1] for m in _recent_log if "error" in m.lower()), str(exc))
            raise ModelLoadError(f"llama.cpp could not load {path}: {why}") from exc
        stack.callback(llama.close)
        free = free_memory_bytes() if free_bytes is None else free_bytes
        cache = PrefixCache(memory_entries=settings.memory_cache_entries,
                            memory_limit_bytes=int(free * MEMORY_CACHE_SHARE),
                            disk_dir=Path(cache_dir) if cache_dir is not None else None,
                            disk_limit_bytes=settings.disk_cache_mb * 2**20)
        try:
            return cls(llama, info, plan, cache, stack)
        except BaseException:
            stack.close()
            raise

    def close(self) -> None:
        """Free the model and its context; later calls raise ModelError."""
        if not self._closed:
            self._closed = True
            self._cache.clear_memory()
            self._stack.close()

    def __enter__(self) -> "LlamaBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ModelError("The model has been closed.")

    # ------------------------------------------------------------------ text
    def effective_settings(self) -> dict:
        """The settings in effect (after auto rules), plus the model file and where its chat template came from."""
        return {**self.plan.effective_settings(), "model_path": str(self.info.path), "model_name": self.name,
                "trained_ctx": self.info.trained_ctx, "chat_template": self.chat_template_source}

    def tokenize(self, text: str, *, bos: bool = False) -> list[int]:
        """Tokens of `text`, special tokens parsed; with `bos` the model's BOS is added if the model wants one."""
        self._check_open()
        if not text:
            return []
        tokens = self._llama.tokenize(text.encode("utf-8"), add_bos=bos, special=True)
        if bos and len(tokens) > 1 and tokens[0] == tokens[1] == self._bos:
            tokens = tokens[1:]  # the chat template wrote the BOS itself
        return tokens

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def render_chat(self, messages: list[dict]) -> str:
        """The model's chat template applied to `messages`, ending with the assistant header."""
        try:
            return self._formatter(messages=messages).prompt
        except Exception as exc:  # noqa: BLE001 - templates are arbitrary Jinja from the model file
            raise ModelError(f"The chat template of {self.name} cannot render these messages: {exc}") from exc

    # ------------------------------------------------------------------ generation
    def generate(self, prefix: str, suffix: str, *, max_tokens: int, temperature: float,
                 stop: list[str] | None = None, cancel: Callable[[], bool] | None = None,
                 seed: int | None = None) -> Iterator[GenerationEvent]:
        """Stream the continuation of prefix + suffix; see LlmBackend.generate.

        The prompt is checked when this is called; the model runs as the iterator is consumed.

        Raises:
            ContextTooLargeError: prefix + suffix + max_tokens do not fit in n_ctx.
            Cancelled: cancel() turned True (raised from the iterator).
            ModelError: the backend is closed, or already generating (raised from the iterator).
        """
        self._check_open()
        t0 = time.perf_counter()
        pre = self.tokenize(prefix, bos=True)
        suf = self.tokenize(suffix, bos=not pre)
        n_prompt = len(pre) + len(suf)
        if n_prompt == 0:
            raise ValueError("generate() needs a non-empty prompt")
        if n_prompt + max_tokens > self.plan.n_ctx:
            raise ContextTooLargeError(
                f"The prompt ({n_prompt:,} tokens) plus the answer ({max_tokens:,} tokens) does not fit in the "
                f"model's context of {self.plan.n_ctx:,} tokens (llm.n_ctx).")
        return self._stream(pre, suf, t0, max_tokens, temperature, stop or [], cancel, seed)

    def _stream(self, *args) -> Iterator[GenerationEvent]:
        # One generation at a time: a llama context is not thread-safe, and two interleaved streams would
        # corrupt each other's KV cache.
        if not self._busy.acquire(blocking=False):
            raise ModelError("The model is already generating; one question at a time.")
        try:
            self._check_open()
            yield from self._generate(*args)
        finally:
            self._busy.release()

    def _generate(self, pre: list[int], suf: list[int], t0: float, max_tokens: int, temperature: float,
                  stop: list[str], cancel: Callable[[], bool] | None, seed: int | None) -> Iterator[GenerationEvent]:
        cancelled = cancel or (lambda: False)
        full = pre + suf
        cached, source, eval_s = self._prefill_prefix(pre, full, cancelled)
        t = time.perf_counter()
        self._eval(full[self._llama.n_tokens:], cancelled)
        eval_s += time.perf_counter() - t
        evaluated = len(full) - cached
        t_prefill = time.perf_counter()

        sampler = self._sampler(temperature, seed)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        held, n_out, finish, t_first = "", 0, "length", None
        try:
            for i in range(max_tokens):
                if cancelled():
                    raise Cancelled("Cancelled.")
                token = llama_cpp.llama_sampler_sample(sampler, self._ctx, -1)
                if t_first is None:
                    t_first = time.perf_counter()
                if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    finish = "eos"
                    break
                n_out += 1
                held += decoder.decode(self._piece(token))
                emit, held, hit_stop = _split_at_stop(held, stop)
                if emit:
                    yield TextPiece(emit)
                if hit_stop:
                    finish = "stop"
                    break
                if i + 1 < max_tokens:
                    self._eval([token], cancelled)
        finally:
            llama_cpp.llama_sampler_free(sampler)
        if finish != "stop":
            held += decoder.decode(b"", final=True)
            if held:
                yield TextPiece(held)
        t_end = time.perf_counter()
        t_first = t_first or t_end
        yield GenerationStats(
            prompt_tokens=len(full), prefix_tokens=len(pre), completion_tokens=n_out, cached_tokens=cached,
            cache_hit=source in ("live", "memory", "disk"), cache_source=source,
            prefill_ms=(t_prefill - t0) * 1000, first_token_ms=(t_first - t0) * 1000, total_ms=(t_end - t0) * 1000,
            prefill_tokens_per_s=evaluated / eval_s if eval_s > 0 else 0.0,
            decode_tokens_per_s=(n_out - 1) / (t_end - t_first) if n_out > 1 and t_end > t_first else 0.0,
            finish_reason=finish)  # type: ignore[arg-type]

    def _prefill_prefix(self, pre: list[int], full: list[int],
                        cancelled: Callable[[], bool]) -> tuple[int, str, float]:
        """Bring the context to hold `pre` (and possibly more of `full`); returns (cached tokens, source, eval s)."""
        llama = self._llama
        live = _common_prefix(llama.input_ids[:llama.n_tokens], full)
        if pre and live >= len(pre):
            # The live context already holds the prefix: llama-cpp-python-style prefix reuse. Keep at least one
            # prompt token to evaluate so the logits belong to this prompt.
            self._truncate(min(live, len(full) - 1))
            return llama.n_tokens, "live", 0.0
        key = (prefix_key(self._fingerprint, self._state_settings, pre)
               if len(pre) >= MIN_CACHED_PREFIX and self._cache.enabled else None)
        if key is not None:
            found = self._cache.get(key, pre)
            if found is not None and self._restore(found[0], pre):
                if len(pre) == len(full):
                    self._truncate(len(pre) - 1)  # re-evaluate the last token for fresh logits
                return llama.n_tokens, found[1], 0.0
        # Reuse what the live context shares with this prompt; a prefix that will be saved must be all that the
        # context holds when it is saved.
        self._truncate(live if key is not None else min(live, len(full) - 1))
        reused = llama.n_tokens
        t = time.perf_counter()
        self._eval(pre[reused:], cancelled)
        eval_s = time.perf_counter() - t
        if key is not None:
            self._cache.put(key, pre, self._snapshot())
        return reused, "none" if reused == 0 else "live-partial", eval_s

    # ------------------------------------------------------------------ llama.cpp plumbing
    def _eval(self, tokens: Sequence[int], cancelled: Callable[[], bool]) -> None:
        for i in range(0, len(tokens), N_BATCH):
            if cancelled():
                raise Cancelled("Cancelled.")
            self._llama.eval(tokens[i:i + N_BATCH])

    def _truncate(self, n: int) -> None:
        """Keep the first `n` tokens of the context, dropping the rest from the KV cache."""
        llama = self._llama
        if n >= llama.n_tokens:
            return
        mem = llama_cpp.llama_get_memory(self._ctx)
        if n == 0 or not llama_cpp.llama_memory_seq_rm(mem, -1, n, -1):
            llama_cpp.llama_memory_clear(mem, True)  # recurrent models cannot drop a tail: start over
            n = 0
        llama.n_tokens = n
        if hasattr(llama, "_requires_eval"):
            llama._requires_eval = True

    def _snapshot(self) -> ctypes.Array:
        size = llama_cpp.llama_state_get_size(self._ctx)
        buf = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(self._ctx, buf, size)
        if written != size:
            buf = (ctypes.c_uint8 * written).from_buffer_copy(memoryview(buf)[:written])
        return buf

    def _restore(self, data: object, tokens: list[int]) -> bool:
        llama = self._llama
        view = memoryview(data).cast("B")  # type: ignore[arg-type]
        src = data if isinstance(data, ctypes.Array) else (ctypes.c_uint8 * view.nbytes).from_buffer(data)
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self._ctx), True)
        if llama_cpp.llama_state_set_data(self._ctx, src, view.nbytes) != view.nbytes:
            log.warning("a saved prefix state did not load; evaluating the prefix instead")
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self._ctx), True)
            llama.n_tokens = 0
            return False
        llama.input_ids[:len(tokens)] = tokens
        llama.n_tokens = len(tokens)
        if hasattr(llama, "_requires_eval"):
            llama._requires_eval = True
        return True

    def _sampler(self, temperature: float, seed: int | None):
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        if temperature <= 0:
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
        else:
            for s in (llama_cpp.llama_sampler_init_top_k(40), llama_cpp.llama_sampler_init_top_p(0.95, 1),
                      llama_cpp.llama_sampler_init_min_p(0.05, 1), llama_cpp.llama_sampler_init_temp(temperature),
                      llama_cpp.llama_sampler_init_dist(llama_cpp.LLAMA_DEFAULT_SEED if seed is None
                                                        else seed & 0xFFFFFFFF)):
                llama_cpp.llama_sampler_chain_add(chain, s)
        return chain

    def _piece(self, token: int) -> bytes:
        buf = ctypes.create_string_buffer(64)
        n = llama_cpp.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, False)
        return buf.raw[:max(n, 0)]

    def perf_counters(self) -> dict:
        """llama.cpp's own counters: tokens evaluated as prompt batches (`n_p_eval`) and one by one (`n_eval`)."""
        data = llama_cpp.llama_perf_context(self._ctx)
        return {"n_p_eval": data.n_p_eval, "n_eval": data.n_eval, "t_p_eval_ms": data.t_p_eval_ms,
                "t_eval_ms": data.t_eval_ms}

    def reset_perf_counters(self) -> None:
        llama_cpp.llama_perf_context_reset(self._ctx)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    if n == 0:
        return 0
    diff = np.flatnonzero(np.asarray(a[:n], dtype=np.int64) != np.asarray(b[:n], dtype=np.int64))
    return int(diff[0]) if len(diff) else n


def _split_at_stop(held: str, stop: list[str]) -> tuple[str, str, bool]:
    """(text safe to emit, text held back, stop reached). Text that could be the start of a stop string is held."""
    if not stop:
        return held, "", False
    cut = min((i for i in (held.find(s) for s in stop if s) if i >= 0), default=-1)
    if cut >= 0:
        return held[:cut], "", True
    keep = 0
    for s in stop:
        for k in range(min(len(s) - 1, len(held)), 0, -1):
            if held.endswith(s[:k]):
                keep = max(keep, k)
                break
    return held[:len(held) - keep], held[len(held) - keep:], False
