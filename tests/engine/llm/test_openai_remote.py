"""The OpenAI-compatible remote backend against a real `python -m llama_cpp.server` on loopback (the packaged
SmolLM2), and against servers that are down, silent, stalled or failing: clear errors, timeouts, nothing lost.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from engine import BackendError, Cancelled, Engine, Settings, SettingsError
from engine.answer.prompts import SYSTEM, build_messages, split_prompt
from engine.cli import main as cli_main
from engine.llm.backend import GenerationStats, LlmBackend, TextPiece
from engine.llm.openai_remote import OpenAIBackend, parse_chat, serialize_chat
from engine.paths import packaged_gguf_path
from engine.types import DoneEvent, TokenEvent
from tests.engine.answer.lighthouses import FACT, write_lighthouses_pdf
from tests.engine.llm.fake_servers import fake_openai_server, free_port, silent_server

QUESTION = "When was the Kestrel lighthouse built?"


def remote_settings(base_url: str, **llm) -> Settings:
    s = Settings()
    s.llm.backend, s.llm.base_url = "openai", base_url
    s.llm.n_ctx, s.llm.budget, s.llm.max_answer_tokens = 4096, 2500, 48
    for k, v in llm.items():
        setattr(s.llm, k, v)
    return s


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real llama_cpp.server with the packaged model on a free loopback port; yields its base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(packaged_gguf_path()),
                                 "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def library(tmp_path_factory, embedder):
    """A library with one three-page PDF whose second page holds FACT; yields (library, pdf, embedder)."""
    folder = tmp_path_factory.mktemp("remote")
    pdf = folder / "lighthouses.pdf"
    write_lighthouses_pdf(pdf)
    lib = folder / "lib"
    with Engine.open(lib, embedder=embedder) as eng:
        rep = eng.ingest([pdf])
    assert rep.ok, rep.to_json()
    yield lib, pdf, embedder


# --------------------------------------------------------------------------- the chat serialisation
def test_render_chat_round_trips_and_splits_at_the_question():
    messages, tail = build_messages(SYSTEM, "[1] a.pdf p. 2:\nNUL \x00 and \x01 survive.", QUESTION)
    text = serialize_chat(messages)
    assert parse_chat(text) == messages
    assert parse_chat("plain text") is None
    prefix, suffix = split_prompt(serialize_chat, messages, tail)
    assert prefix and prefix + suffix == text
    assert suffix.startswith("Question:")  # the shared prefix ends where the question begins
    assert parse_chat(prefix)[-1]["content"].endswith("survive.\n\n")


def test_openai_backend_needs_an_http_base_url():
    s = remote_settings("")
    with pytest.raises(SettingsError, match="llm.base_url") as err:
        s.validate()
    assert err.value.setting == "llm.base_url"
    s.llm.base_url = "localhost:8080"
    with pytest.raises(SettingsError):
        s.validate()
    s.llm.base_url = "http://127.0.0.1:8080/v1"
    s.validate()


# --------------------------------------------------------------------------- a real server
@pytest.mark.llm
def test_backend_protocol_tokens_and_context_from_the_server(server):
    with OpenAIBackend.connect(remote_settings(server, api_key="sekrit-key").llm) as backend:
        assert isinstance(backend, LlmBackend)
        assert backend.name.endswith(".gguf")  # llama_cpp.server names its model by the file
        eff = backend.effective_settings()
        assert eff["n_ctx"] == 4096 and eff["backend"] == "openai" and "sekrit-key" not in json.dumps(eff)
        assert eff["token_count"].startswith("server (/extras/tokenize)")
        # the model's tokenizer, not the estimate (which would say ceil(13 / 3) = 5)
        assert backend.count_tokens("Hello, world.") == 4
        chat = backend.render_chat([{"role": "user", "content": "Hello, world."}])
        assert backend.count_tokens(chat) > 4


@pytest.mark.llm
def test_generation_streams_pieces_before_the_end_and_cancel_closes(server):
    with OpenAIBackend.connect(remote_settings(server).llm) as backend:
        messages, tail = build_messages(SYSTEM, "[1] a.pdf p. 2:\n" + FACT, QUESTION)
        prefix, suffix = split_prompt(backend.render_chat, messages, tail)
        arrivals = []
        for ev in backend.generate(prefix, suffix, max_tokens=24, temperature=0.0, seed=1):
            arrivals.append((time.perf_counter(), ev))
        pieces = [ev for _, ev in arrivals if isinstance(ev, TextPiece)]
        stats = arrivals[-1][1]
        assert isinstance(stats, GenerationStats) and len(pieces) >= 3
        assert all(isinstance(ev, TextPiece) for _, ev in arrivals[:-1])
        # streamed, not buffered: the pieces arrive spread over the decoding time
        assert arrivals[-2][0] - arrivals[0][0] > 0.02
        assert 0 < stats.first_token_ms < stats.total_ms
        assert stats.completion_tokens == len(pieces)  # llama_cpp.server sends one piece per token, no usage
        assert stats.prompt_tokens == backend.count_tokens(prefix + suffix)
        assert 0 < stats.prefix_tokens < stats.prompt_tokens
        assert stats.cache_source == "remote" and stats.finish_reason in ("eos", "length")

        stop = {"now": False}
        got = []
        with pytest.raises(Cancelled):
            for ev in backend.generate(prefix, suffix, max_tokens=200, temperature=0.0, cancel=lambda: stop["now"]):
                got.append(ev)
                stop["now"] = True
        assert len(got) == 1
        # the server is free for the next request
        again = list(backend.generate(prefix, suffix, max_tokens=4, temperature=0.0))
        assert isinstance(again[-1], GenerationStats) and again[-1].finish_reason == "length"


@pytest.mark.llm
def test_remote_answers_cite_the_right_page_and_off_topic_abstains(server, library):
    lib, pdf, embedder = library
    with Engine.open(lib, settings=remote_settings(server), embedder=embedder) as eng:
        events = list(eng.ask_stream(QUESTION))
        off = eng.ask("What is the boiling point of liquid nitrogen in kelvin?")
    answer = events[-1].answer
    assert isinstance(events[-1], DoneEvent) and any(isinstance(e, TokenEvent) for e in events)
    assert not answer.abstained and answer.citations, answer.answer
    c = answer.citations[0]
    assert c.path == str(pdf) and c.page == 2 and "1887" in c.quote and c.rects
    assert answer.settings["backend"] == "openai" and answer.settings["n_ctx"] == 4096
    assert answer.timings["prompt_tokens"] > 0 and answer.timings["cache_hit"] is False
    assert off.abstained and off.citations == [] and off.sources


@pytest.mark.llm
def test_cli_ask_with_backend_flags_prints_the_json_contract(server, library, capsys):
    lib, _, _ = library
    code = cli_main(["--library", str(lib), "ask", QUESTION, "--backend", "openai", "--base-url", server,
                     "--timeout", "60", "--n-ctx", "4096", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert set(data) >= {"question", "answer", "abstained", "citations", "sources", "timings", "settings"}
    assert data["citations"] and data["citations"][0]["page"] == 2
    assert data["settings"]["backend"] == "openai" and data["settings"]["base_url"] == server
    assert Settings.load(lib).llm.backend == "llama"  # the flags applied to this call only


# --------------------------------------------------------------------------- servers that fail
def test_server_down_is_a_clear_error_and_the_library_still_works(library, capsys):
    lib, pdf, embedder = library
    url = f"http://127.0.0.1:{free_port()}/v1"
    with Engine.open(lib, settings=remote_settings(url), embedder=embedder) as eng:
        before = [d.path for d in eng.documents()]
        t = time.monotonic()
        with pytest.raises(BackendError) as err:
            eng.ask(QUESTION)
        assert time.monotonic() - t < 2
        assert str(err.value) == (f"Cannot reach the inference server at {url}: connection refused. "
                                  f"Is the server running? (llm.base_url)")
        hits = eng.search(QUESTION, k=3)
        assert hits[0].page == 2 and [d.path for d in eng.documents()] == before == [str(pdf)]
    assert cli_main(["--library", str(lib), "ask", QUESTION, "--backend", "openai", "--base-url", url]) == 1
    assert "connection refused" in capsys.readouterr().err
    with Engine.open(lib, embedder=embedder) as eng:  # nothing lost: the saved library opens and searches
        assert eng.search(QUESTION, k=1)[0].page == 2


def test_silent_server_times_out_naming_the_timeout():
    with silent_server() as url:
        t = time.monotonic()
        with pytest.raises(BackendError) as err:
            OpenAIBackend.connect(remote_settings(url, request_timeout=1.0).llm)
        elapsed = time.monotonic() - t
    assert 1.0 <= elapsed < 2.5
    assert str(err.value) == f"The inference server at {url} did not answer within 1 s (llm.request_timeout)."


def test_a_stream_that_stalls_times_out_after_its_pieces():
    with fake_openai_server(chat="stall") as url:
        backend = OpenAIBackend.connect(remote_settings(url, request_timeout=1.0).llm)
        assert backend.effective_settings()["token_count"].startswith("estimate")  # no tokenize endpoint
        got = []
        t = time.monotonic()
        with pytest.raises(BackendError, match=r"did not answer within 1 s"):
            for ev in backend.generate(backend.render_chat([{"role": "user", "content": "Hi"}]), "",
                                       max_tokens=8, temperature=0.0):
                got.append(ev)
        assert got == [TextPiece("Hello")]
        assert time.monotonic() - t < 2.5


def test_http_errors_carry_the_servers_message_and_the_key_is_sent(monkeypatch):
    for name in ("LECTERN_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with fake_openai_server(chat="error", api_key="sekrit") as url:
        with pytest.raises(BackendError) as err:
            OpenAIBackend.connect(remote_settings(url).llm)
        assert str(err.value) == f"The inference server at {url} answered HTTP 401 Unauthorized: Invalid API key"
        monkeypatch.setenv("OPENAI_API_KEY", "sekrit")  # an empty llm.api_key falls back to the environment
        backend = OpenAIBackend.connect(remote_settings(url, remote_model="nope").llm)
        with pytest.raises(BackendError) as err:
            list(backend.generate(backend.render_chat([{"role": "user", "content": "Hi"}]), "", max_tokens=8,
                                  temperature=0.0))
        assert str(err.value) == (f"The inference server at {url} answered HTTP 500 Internal Server Error: "
                                  f"the model 'nope' is not loaded")


def test_usage_from_the_final_chunk_fills_the_stats():
    with fake_openai_server() as url:
        backend = OpenAIBackend.connect(remote_settings(url).llm)
        events = list(backend.generate(backend.render_chat([{"role": "user", "content": "Hi"}]), "",
                                       max_tokens=8, temperature=0.0, stop=["\n\n"]))
    assert "".join(e.text for e in events[:-1]) == "Hello there."
    stats = events[-1]
    assert (stats.prompt_tokens, stats.completion_tokens, stats.cached_tokens) == (11, 2, 7)
    assert stats.cache_hit is True and stats.cache_source == "remote" and stats.finish_reason == "stop"
