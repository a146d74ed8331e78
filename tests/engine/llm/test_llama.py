"""The llama.cpp backend with the real packaged SmolLM2: clear load errors, streaming, and the prefix cache.

Cache hits are checked with llama.cpp's own counter of tokens evaluated as prompt (`n_p_eval`), not with time.
"""
from __future__ import annotations

import pytest

from engine.errors import Cancelled, ContextTooLargeError, ModelError, ModelLoadError, SettingsError
from engine.llm.backend import GenerationStats, LlmBackend, TextPiece
from engine.llm.llama import LlamaBackend, _split_at_stop, build_info, gpu_offload_supported
from engine.paths import packaged_gguf_path
from engine.settings import LlmSettings

from .gguf_files import llama_kv, write_gguf

pytestmark = pytest.mark.llm

DOC = " ".join(f"Fact {i}: the lighthouse on island {i} is painted {c}." for i, c in
               enumerate(["red", "green", "blue", "white", "black", "yellow"] * 2))
QUESTIONS = ["What colour is the lighthouse on island 2?", "Which island has a yellow lighthouse?",
             "Name the colour of the lighthouse on island 4."]


def _prefix(backend, tag: str = "") -> str:
    """Instructions + document as a system turn; `tag` makes a prefix no other test has cached."""
    system = f"Answer from these facts.{tag}\n" + DOC
    return backend.render_chat([{"role": "system", "content": system}]).rsplit("<|im_start|>assistant", 1)[0]


def _suffix(question: str) -> str:
    return f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"


def run(backend, prefix, suffix, **kw):
    kw.setdefault("max_tokens", 6)
    kw.setdefault("temperature", 0.0)
    backend.reset_perf_counters()
    events = list(backend.generate(prefix, suffix, **kw))
    stats = events[-1]
    assert isinstance(stats, GenerationStats)
    assert all(isinstance(e, TextPiece) for e in events[:-1])
    return "".join(e.text for e in events[:-1]), stats, backend.perf_counters()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("prefix-states")


@pytest.fixture(scope="module")
def backend(cache_dir):
    with LlamaBackend.load(LlmSettings(n_ctx=2048), cache_dir=cache_dir) as b:
        yield b


# ---------------------------------------------------------------------------- loading errors
def test_missing_file(tmp_path):
    with pytest.raises(ModelLoadError, match=r"model file not found: .*absent\.gguf"):
        LlamaBackend.load(LlmSettings(model_path=str(tmp_path / "absent.gguf")))


def test_garbage_file(tmp_path):
    bad = tmp_path / "garbage.gguf"
    bad.write_bytes(b"\x89PNG\r\n" + bytes(range(256)) * 10)
    with pytest.raises(ModelLoadError, match="garbage.gguf is not a GGUF model file"):
        LlamaBackend.load(LlmSettings(model_path=str(bad)))


def test_truncated_model(tmp_path):
    cut = tmp_path / "smol-cut.gguf"
    cut.write_bytes(packaged_gguf_path().read_bytes()[:5_000_000])
    with pytest.raises(ModelLoadError, match="truncated"):
        LlamaBackend.load(LlmSettings(model_path=str(cut)))


def test_llama_cpp_refusal_is_translated_with_its_reason(tmp_path):
    odd = write_gguf(tmp_path / "odd.gguf", llama_kv(**{"general.architecture": "nosucharch",
                                                         "nosucharch.context_length": 4096}))
    with pytest.raises(ModelLoadError, match="unknown model architecture: 'nosucharch'"):
        LlamaBackend.load(LlmSettings(model_path=str(odd), n_ctx=512))


def test_impossible_context_is_refused_before_llama_cpp():
    with pytest.raises(ContextTooLargeError, match="limited to 8x"):
        LlamaBackend.load(LlmSettings(n_ctx=1_048_576))
    with pytest.raises(ContextTooLargeError, match="too large for this machine's memory.*llm.n_ctx"):
        LlamaBackend.load(LlmSettings(n_ctx=32768), free_bytes=600 * 10**6)


def test_contradictory_settings():
    with pytest.raises(SettingsError) as err:
        LlamaBackend.load(LlmSettings(type_v="q8_0", flash_attn="off"))
    assert err.value.setting == "llm.flash_attn"


# ---------------------------------------------------------------------------- text and generation
def test_backend_protocol_and_text_helpers(backend):
    assert isinstance(backend, LlmBackend)
    assert backend.info.trained_ctx == 8192
    chat = backend.render_chat([{"role": "user", "content": "Hi"}])
    assert chat.endswith("<|im_start|>assistant\n") and "<|im_start|>user\nHi<|im_end|>" in chat
    assert backend.count_tokens("<|im_start|>") == 1  # special tokens are parsed
    assert backend.count_tokens("hello world") == 2
    eff = backend.effective_settings()
    assert (eff["n_ctx"], eff["rope_mode"], eff["type_k"], eff["flash_attn"]) == (2048, "none", "f16", False)
    assert eff["chat_template"] == "gguf"
    info = build_info()
    assert "AVX" in info["system_info"] or "NEON" in info["system_info"]
    assert info["gpu_offload"] is gpu_offload_supported()


def test_generation_streams_text(backend):
    pieces = []
    stats = None
    for ev in backend.generate(_prefix(backend), _suffix(QUESTIONS[0]), max_tokens=16, temperature=0.7, seed=7):
        if isinstance(ev, TextPiece):
            pieces.append(ev.text)
        else:
            stats = ev
    assert len(pieces) >= 2 and "".join(pieces).strip()
    assert stats.completion_tokens >= len(pieces) - 1
    assert stats.finish_reason in ("eos", "length")
    assert stats.prompt_tokens == backend.count_tokens(_prefix(backend)) + backend.count_tokens(
        _suffix(QUESTIONS[0]))


def test_prefix_cache_live_memory_and_disk(backend, cache_dir):
    prefix = _prefix(backend, " (cache test)")
    n_pre = backend.count_tokens(prefix)
    other = "<|im_start|>system\nYou translate to French.<|im_end|>\n" + "Bonjour. " * 40
    run(backend, other, _suffix("Hello"))  # the live context now holds something else

    _, cold, perf = run(backend, prefix, _suffix(QUESTIONS[0]))
    assert not cold.cache_hit and cold.cached_tokens < n_pre
    assert perf["n_p_eval"] == cold.prompt_tokens - cold.cached_tokens

    # same Llama, same prefix just evaluated: only the new question is prefilled
    _, live, perf = run(backend, prefix, _suffix(QUESTIONS[1]))
    assert live.cache_hit and live.cache_source == "live" and live.prefix_tokens == n_pre
    assert perf["n_p_eval"] == live.prompt_tokens - live.cached_tokens <= backend.count_tokens(_suffix(QUESTIONS[1]))

    # something else in between: the saved state comes back from memory
    run(backend, other, _suffix("Hello"))
    _, mem, perf = run(backend, prefix, _suffix(QUESTIONS[2]))
    assert mem.cache_hit and mem.cache_source == "memory" and mem.cached_tokens == n_pre
    assert perf["n_p_eval"] == backend.count_tokens(_suffix(QUESTIONS[2]))
    assert list(cache_dir.glob("*.kvstate"))

    # a fresh backend finds the state on disk
    with LlamaBackend.load(LlmSettings(n_ctx=2048), cache_dir=cache_dir) as fresh:
        _, disk, perf = run(fresh, prefix, _suffix(QUESTIONS[1]))
        assert disk.cache_hit and disk.cache_source == "disk" and disk.cached_tokens == n_pre
        assert perf["n_p_eval"] == fresh.count_tokens(_suffix(QUESTIONS[1]))


def test_restored_state_continues_exactly_like_a_fresh_prefill(backend, cache_dir):
    prefix, suffix = _prefix(backend, " (restore test)"), _suffix(QUESTIONS[2])
    run(backend, prefix, _suffix(QUESTIONS[0]))  # makes sure the state is saved
    with LlamaBackend.load(LlmSettings(n_ctx=2048, memory_cache_entries=0, disk_cache_mb=0)) as plain:
        expected, fresh, _ = run(plain, prefix, suffix, max_tokens=20)
        assert not fresh.cache_hit
    with LlamaBackend.load(LlmSettings(n_ctx=2048), cache_dir=cache_dir) as restored:
        got, stats, _ = run(restored, prefix, suffix, max_tokens=20)
        assert stats.cache_source == "disk"
    assert got == expected and got.strip()


def test_stop_string_ends_the_answer(backend):
    prefix, suffix = _prefix(backend), _suffix(QUESTIONS[0])
    full, _, _ = run(backend, prefix, suffix, max_tokens=24)
    words = full.split()
    assert len(words) >= 3
    stop = " " + words[2]
    cut, stats, _ = run(backend, prefix, suffix, max_tokens=24, stop=[stop])
    assert stats.finish_reason == "stop"
    assert cut == full[:full.index(stop)]


def test_cancel_between_tokens(backend):
    seen = []
    gen = backend.generate(_prefix(backend), _suffix(QUESTIONS[1]), max_tokens=40, temperature=0.0,
                           cancel=lambda: len(seen) >= 2)
    with pytest.raises(Cancelled):
        for ev in gen:
            seen.append(ev)
    assert 2 <= len(seen) < 40
    text, stats, _ = run(backend, _prefix(backend), _suffix(QUESTIONS[1]))  # still usable
    assert stats.cache_hit and text


def test_prompt_that_does_not_fit_is_refused():
    with LlamaBackend.load(LlmSettings(n_ctx=512, disk_cache_mb=0)) as small:
        long_prefix = "word " * 600
        with pytest.raises(ContextTooLargeError, match="does not fit in the model's context of 512"):
            small.generate(long_prefix, "Q?", max_tokens=16, temperature=0.0)  # refused before running
        with pytest.raises(ContextTooLargeError):  # fits alone, but not with the answer
            small.generate("word " * 450, "Q?", max_tokens=100, temperature=0.0)
        text, _, _ = run(small, "word " * 100, " Q?", max_tokens=4)  # still fine afterwards
        assert isinstance(text, str)


def test_closed_backend_refuses():
    b = LlamaBackend.load(LlmSettings(n_ctx=512, disk_cache_mb=0))
    b.close()
    b.close()  # twice is fine
    with pytest.raises(ModelError, match="closed"):
        b.generate("a", "b", max_tokens=1, temperature=0.0)


def test_one_generation_at_a_time(backend):
    first = backend.generate(_prefix(backend), _suffix(QUESTIONS[0]), max_tokens=4, temperature=0.0)
    next(first)
    with pytest.raises(ModelError, match="already generating"):
        next(backend.generate("x " * 20, "y", max_tokens=2, temperature=0.0))
    first.close()  # abandoning a stream frees the model
    assert list(backend.generate("x " * 20, "y", max_tokens=2, temperature=0.0))


# ---------------------------------------------------------------------------- KV types and long context
@pytest.mark.slow
@pytest.mark.parametrize("kv", ["q8_0", "q4_0"])
def test_quantized_kv_cache_loads_and_generates(kv):
    with LlamaBackend.load(LlmSettings(n_ctx=2048, type_k=kv, type_v=kv, disk_cache_mb=0)) as b:
        eff = b.effective_settings()
        assert (eff["type_k"], eff["type_v"], eff["flash_attn"]) == (kv, kv, True)
        text, stats, _ = run(b, _prefix(b), _suffix(QUESTIONS[0]), max_tokens=8)
        assert text.strip() and stats.completion_tokens > 0


@pytest.mark.slow
def test_yarn_context_loads_at_32k():
    with LlamaBackend.load(LlmSettings(n_ctx=32768, type_k="q8_0", type_v="q8_0", disk_cache_mb=0)) as b:
        eff = b.effective_settings()
        assert (eff["n_ctx"], eff["rope_mode"], eff["rope_factor"], eff["yarn_orig_ctx"]) == (32768, "yarn", 4.0,
                                                                                             8192)
        text, _, _ = run(b, _prefix(b), _suffix(QUESTIONS[0]), max_tokens=8)
        assert text.strip()


# ---------------------------------------------------------------------------- stop-string splitting
@pytest.mark.parametrize("held,stop,expected", [
    ("Hello wor", ["world"], ("Hello ", "wor", False)),
    ("Hello world!", ["world"], ("Hello ", "", True)),
    ("abc", [], ("abc", "", False)),
    ("a\n\n", ["\n\nQ:"], ("a", "\n\n", False)),
    ("x END y", ["END", " y"], ("x ", "", True)),
])
def test_split_at_stop(held, stop, expected):
    assert _split_at_stop(held, stop) == expected
