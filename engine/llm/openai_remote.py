"""The remote backend: a model served by an OpenAI-compatible server (llama.cpp's `llama-server`,
`python -m llama_cpp.server`, vLLM, Ollama ...) while the library, retrieval and verification stay on this machine.

Only the model runs remotely. The answer layer plans the context, verifies every sentence against the sources and
abstains exactly as with the in-process backend, because it talks to the same `LlmBackend` protocol.

Why `render_chat` returns a private serialisation instead of a rendered template: the protocol passes prompts as
strings (prefix + suffix) so that the in-process backend can cache the model state of a prefix. A server applies
its own chat template to a list of messages, and we do not know that template; a prompt rendered with a guessed
one and sent as a single user message would be wrapped in the real template a second time. So `render_chat`
writes the messages in a form of our own that `generate` parses back into messages for `/v1/chat/completions`.
Contents are written verbatim (only NUL is escaped), so `split_prompt` still finds the shared prefix; caching it
is the server's business (llama.cpp and vLLM reuse a common prompt prefix on their own).

Token counts drive the context budget, so they come from the server's tokenizer when it has an endpoint for it
(llama.cpp `POST /tokenize`, llama_cpp.server `POST /extras/tokenize`, vLLM `POST /tokenize`), plus a few tokens
per message for the template; otherwise from a conservative estimate (UTF-8 bytes / 3, more than real tokenizers
produce for prose and code). `effective_settings()` says which.

The standard library only (http.client): one connection per request, with `llm.request_timeout` applied to the
connect and to every read, so a server that stops sending is noticed within that many seconds.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import socket
import ssl
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import BackendError, Cancelled, ContextTooLargeError, ModelError, SettingsError
from ..settings import LlmSettings
from .backend import GenerationEvent, GenerationStats, TextPiece

log = logging.getLogger(__name__)

# The private chat serialisation: MAGIC, then per message "\0m" + role + "\0c" + content, then "\0a" (the
# assistant's turn follows). A NUL inside a content is written "\0z".
MAGIC = "\x00lectern-chat-v1"
_NUL_ESCAPE = "\x00z"
PER_MESSAGE_TOKENS = 8  # role header and end-of-turn tokens of common templates (ChatML: 5, Llama 3: 5)
REPLY_TOKENS = 8  # BOS and the assistant header
BYTES_PER_TOKEN_ESTIMATE = 3
TOKEN_CACHE_ENTRIES = 512
ENV_KEYS = ("LECTERN_API_KEY", "OPENAI_API_KEY")


@dataclass(frozen=True)
class RemoteModelInfo:
    """What the server says about the model it serves (its context length when it tells it)."""

    name: str
    base_url: str
    n_ctx: int
    n_ctx_source: str
    trained_ctx: int | None = None


# --------------------------------------------------------------------------- the chat serialisation
def serialize_chat(messages: list[dict]) -> str:
    """Messages in the private form `parse_chat` reads back (see the module docstring for why)."""
    parts = [MAGIC]
    for m in messages:
        role, content = str(m.get("role", "user")), str(m.get("content") or "")
        if "\x00" in role:
            raise ModelError(f"A chat role cannot contain NUL: {role!r}")
        parts.append(f"\x00m{role}\x00c{content.replace(chr(0), _NUL_ESCAPE)}")
    parts.append("\x00a")
    return "".join(parts)


def parse_chat(text: str) -> list[dict] | None:
    """The messages of a `serialize_chat` string (or of a leading part of one); None for any other text."""
    if not text.startswith(MAGIC):
        return None
    messages: list[dict] = []
    head, *parts = text[len(MAGIC):].split("\x00")
    for part in parts if not head else ["?"]:
        code, rest = part[:1], part[1:]
        if not part:
            continue  # a leading part of a prompt may end just after a NUL
        if code == "m":
            messages.append({"role": rest, "content": ""})
        elif code in ("c", "z") and messages:
            messages[-1]["content"] += rest if code == "c" else "\x00" + rest
        elif code == "a" and not rest:
            break
        else:
            raise ModelError("A prompt for the remote backend is malformed (it was not made by its render_chat).")
    return messages


# --------------------------------------------------------------------------- HTTP
def normalize_base_url(url: str) -> str:
    """`url` without a trailing slash, with `/v1` added when only a host was given.

    Raises:
        SettingsError: not an http(s) URL.
    """
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"llm.base_url must be an http:// or https:// URL such as http://127.0.0.1:8080/v1; "
                            f"got {url!r}.", "llm.base_url")
    path = parts.path.rstrip("/") or "/v1"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class _Server:
    """The server's address, key and timeout; opens one connection per request and translates socket errors."""

    def __init__(self, base_url: str, api_key: str, timeout: float):
        self.url = base_url
        parts = urllib.parse.urlsplit(base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self.base_path = parts.path
        # the server's own extras (/tokenize, /props) live beside /v1, not under it
        self.root_path = self.base_path[:-3] if self.base_path.endswith("/v1") else self.base_path
        self.timeout = timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"

    def _connection(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def open(self, method: str, path: str, body: dict | None = None, *, stream: bool = False
             ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send a request and return the connection and its response (status not checked; the caller closes)."""
        conn = self._connection()
        headers = dict(self._headers)
        if stream:
            headers["Accept"] = "text/event-stream"
        try:
            data = json.dumps(body).encode("utf-8") if body is not None else None
            conn.request(method, path, body=data, headers=headers)
            return conn, conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise self.translate(exc) from exc
        except BaseException:
            conn.close()
            raise

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        """(status, body) of a plain request; socket problems raise BackendError."""
        conn, resp = self.open(method, path, body)
        try:
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException) as exc:
            raise self.translate(exc) from exc
        finally:
            conn.close()

    def json(self, method: str, path: str, body: dict | None = None) -> dict:
        """The JSON answer of a request that must succeed; an HTTP error raises BackendError with its message."""
        status, data = self.call(method, path, body)
        if status >= 400:
            raise self.http_error(status, data)
        try:
            out = json.loads(data)
        except ValueError as exc:
            raise BackendError(f"The inference server at {self.url} did not answer {path} with JSON "
                               f"(is llm.base_url the server's OpenAI API, usually ending in /v1?).") from exc
        if not isinstance(out, dict):
            raise BackendError(f"The inference server at {self.url} answered {path} with unexpected JSON.")
        return out

    def translate(self, exc: BaseException) -> BackendError:
        """A socket or protocol error as a message a reader understands."""
        where = f"the inference server at {self.url}"
        if isinstance(exc, BackendError):
            return exc
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return BackendError(f"The inference server at {self.url} did not answer within {self.timeout:g} s "
                                f"(llm.request_timeout).")
        if isinstance(exc, ConnectionRefusedError):
            return BackendError(f"Cannot reach {where}: connection refused. Is the server running? (llm.base_url)")
        if isinstance(exc, socket.gaierror):
            return BackendError(f"Cannot reach {where}: the host name {self._host!r} is unknown (llm.base_url).")
        if isinstance(exc, ssl.SSLError):
            return BackendError(f"Cannot reach {where}: TLS failed ({exc.reason or exc}).")
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected,
                            http.client.IncompleteRead)):
            return BackendError(f"The inference server at {self.url} closed the connection before it finished "
                                f"answering.")
        if isinstance(exc, OSError):
            return BackendError(f"Cannot reach {where}: {exc.strerror or exc}.")
        return BackendError(f"The inference server at {self.url} sent a malformed answer ({exc}).")

    def http_error(self, status: int, data: bytes) -> BackendError:
        """An HTTP error status with the server's own explanation."""
        reason = http.client.responses.get(status, "")
        return BackendError(f"The inference server at {self.url} answered HTTP {status} {reason}: "
                            f"{_server_message(data)}")


def _server_message(data: bytes) -> str:
    """The message in an error body: OpenAI's {"error": {"message"}}, FastAPI's {"detail"}, or the text."""
    text = data.decode("utf-8", errors="replace").strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text[:300] or "(no message)"
    if isinstance(body, dict):
        err = body.get("error", body.get("detail", body.get("message")))
        if isinstance(err, dict):
            err = err.get("message") or err
        if isinstance(err, list):  # FastAPI validation errors
            err = "; ".join(str(e.get("msg", e)) if isinstance(e, dict) else str(e) for e in err)
        if err:
            return str(err)[:300]
    return text[:300]


def _sse_data(resp: http.client.HTTPResponse, cancelled: Callable[[], bool]) -> Iterator[str]:
    """The `data:` payloads of a server-sent event stream, checking `cancelled` between lines."""
    lines: list[str] = []
    while True:
        if cancelled():
            raise Cancelled("Cancelled.")
        raw = resp.readline()
        if not raw:
            break
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            if lines:
                yield "\n".join(lines)
                lines = []
            continue
        if line.startswith(":"):
            continue  # a keep-alive comment
        name, _, value = line.partition(":")
        if name == "data":
            lines.append(value[1:] if value.startswith(" ") else value)
    if lines:
        yield "\n".join(lines)


# --------------------------------------------------------------------------- the backend
class OpenAIBackend:
    """A model on an OpenAI-compatible server, used through `/v1/chat/completions` with streaming."""

    def __init__(self, server: _Server, info: RemoteModelInfo, tokenize_path: str | None, tokenize_style: str):
        self._server = server
        self.info = info
        self.name = info.name
        self._tokenize_path, self._tokenize_style = tokenize_path, tokenize_style
        self._token_cache: OrderedDict[bytes, int] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = False

    @property
    def n_ctx(self) -> int:
        return self.info.n_ctx

    # ------------------------------------------------------------------ connecting
    @classmethod
    def connect(cls, settings: LlmSettings) -> "OpenAIBackend":
        """Check that the server answers and learn its model, context length and tokenizer endpoint.

        Args:
            settings: llm settings: base_url, api_key (empty: $LECTERN_API_KEY or $OPENAI_API_KEY), remote_model
                (empty: the first model the server lists), request_timeout, and n_ctx for servers that do not
                say their context length.
        Returns:
            OpenAIBackend.
        Raises:
            SettingsError: base_url is not an http(s) URL.
            BackendError: the server is down, too slow, refuses the key, or answers something else than the API.
        """
        url = normalize_base_url(settings.base_url)
        key = settings.api_key or next((os.environ[k] for k in ENV_KEYS if os.environ.get(k)), "")
        server = _Server(url, key, float(settings.request_timeout))
        listed = server.json("GET", server.base_path + "/models").get("data") or []
        entries = {str(m.get("id")): m for m in listed if isinstance(m, dict) and m.get("id")}
        model = settings.remote_model or next(iter(entries), "")
        if not model:
            raise BackendError(f"The inference server at {url} lists no models; name one in llm.remote_model.")
        if settings.remote_model and entries and model not in entries:
            # llama.cpp's servers answer with their one model whatever the name; others will say so when asked
            log.warning("the server at %s does not list %r (it lists %s)", url, model, ", ".join(entries))
        entry = entries.get(model, {})
        n_ctx, source, trained = _context_length(server, entry)
        if n_ctx is None:
            n_ctx, source = settings.n_ctx, "llm.n_ctx (the server does not say)"
        tokenize_path, style = _find_tokenizer(server, model)
        info = RemoteModelInfo(name=model, base_url=url, n_ctx=int(n_ctx), n_ctx_source=source, trained_ctx=trained)
        log.info("remote model %s at %s: n_ctx %d (%s), token counts from %s", model, url, n_ctx, source,
                 tokenize_path or "an estimate")
        return cls(server, info, tokenize_path, style)

    def close(self) -> None:
        """Forget the server; later calls raise ModelError (nothing is held open between requests)."""
        self._closed = True
        self._token_cache.clear()

    def __enter__(self) -> "OpenAIBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ModelError("The remote model has been closed.")

    # ------------------------------------------------------------------ text
    def effective_settings(self) -> dict:
        """The context length in effect and where each figure comes from (no API key)."""
        counts = (f"server ({self._tokenize_path}) + {PER_MESSAGE_TOKENS} per message" if self._tokenize_path
                  else f"estimate (UTF-8 bytes / {BYTES_PER_TOKEN_ESTIMATE})")
        return {"backend": "openai", "base_url": self.info.base_url, "model_name": self.name,
                "n_ctx": self.info.n_ctx, "n_ctx_source": self.info.n_ctx_source,
                "trained_ctx": self.info.trained_ctx, "token_count": counts,
                "request_timeout": self._server.timeout, "chat_template": "the server's"}

    def render_chat(self, messages: list[dict]) -> str:
        """The messages in the private form `generate` sends as messages (the server applies its template)."""
        return serialize_chat(messages)

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes; a `render_chat` string counts its messages plus template overhead per message.

        Raises:
            BackendError: the server's tokenizer endpoint failed.
        """
        self._check_open()
        messages = parse_chat(text)
        if messages is None:
            return self._count_plain(text)
        return REPLY_TOKENS + sum(PER_MESSAGE_TOKENS + self._count_plain(m["content"]) for m in messages)

    def _count_plain(self, text: str) -> int:
        if not text:
            return 0
        if self._tokenize_path is None:
            return -(-len(text.encode("utf-8")) // BYTES_PER_TOKEN_ESTIMATE)
        key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        with self._lock:
            if key in self._token_cache:
                self._token_cache.move_to_end(key)
                return self._token_cache[key]
        n = _tokens_in(self._server.json("POST", self._tokenize_path, _tokenize_body(self._tokenize_style, text,
                                                                                     self.name)))
        if n is None:
            raise BackendError(f"The inference server at {self._server.url} answered {self._tokenize_path} "
                               f"without tokens.")
        with self._lock:
            self._token_cache[key] = n
            while len(self._token_cache) > TOKEN_CACHE_ENTRIES:
                self._token_cache.popitem(last=False)
        return n

    # ------------------------------------------------------------------ generation
    def generate(self, prefix: str, suffix: str, *, max_tokens: int, temperature: float,
                 stop: list[str] | None = None, cancel: Callable[[], bool] | None = None,
                 seed: int | None = None) -> Iterator[GenerationEvent]:
        """Stream the server's continuation of the chat in prefix + suffix; see LlmBackend.generate.

        The prompt is checked when this is called; the request is sent when the iterator is first consumed.
        Text that is not a `render_chat` string is sent as one user message.

        Raises:
            ContextTooLargeError: prompt + max_tokens exceed the server's context (checked here).
            BackendError: the server is down, too slow (llm.request_timeout between chunks) or answers an error.
            Cancelled: cancel() turned True; the connection is closed, which stops the server generating.
        """
        self._check_open()
        t0 = time.perf_counter()
        text = prefix + suffix
        messages = parse_chat(text)
        if messages is None:
            messages = [{"role": "user", "content": text}] if text else []
        if not messages:
            raise ValueError("generate() needs a non-empty prompt")
        n_prompt = self.count_tokens(text)
        if n_prompt + max_tokens > self.n_ctx:
            raise ContextTooLargeError(
                f"The prompt (about {n_prompt:,} tokens) plus the answer ({max_tokens:,} tokens) does not fit in "
                f"the server's context of {self.n_ctx:,} tokens ({self.info.n_ctx_source}).")
        n_prefix = self.count_tokens(prefix) if prefix else 0
        body: dict = {"model": self.name, "messages": messages, "max_tokens": max_tokens,
                      "temperature": temperature, "stream": True, "stream_options": {"include_usage": True}}
        if stop:
            body["stop"] = stop
        if seed is not None:
            body["seed"] = seed
        return self._stream(body, t0, n_prompt, n_prefix, bool(stop), cancel or (lambda: False))

    def _stream(self, body: dict, t0: float, n_prompt: int, n_prefix: int, has_stop: bool,
                cancelled: Callable[[], bool]) -> Iterator[GenerationEvent]:
        server = self._server
        conn, resp = server.open("POST", server.base_path + "/chat/completions", body, stream=True)
        t_first = t_end = None
        n_pieces, finish, usage, timings, done = 0, None, {}, {}, False
        try:
            if resp.status >= 400:
                raise server.http_error(resp.status, resp.read())
            for payload in _sse_data(resp, cancelled):
                if payload.strip() == "[DONE]":
                    done = True
                    break
                chunk = json.loads(payload)
                if chunk.get("error"):
                    raise BackendError(f"The inference server at {server.url} failed while answering: "
                                       f"{_server_message(payload.encode('utf-8'))}")
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        if t_first is None:
                            t_first = time.perf_counter()
                        n_pieces += 1
                        yield TextPiece(piece)
                    finish = choice.get("finish_reason") or finish
                usage = chunk.get("usage") or usage
                timings = chunk.get("timings") or timings
            t_end = time.perf_counter()
        except (OSError, http.client.HTTPException) as exc:
            raise server.translate(exc) from exc
        except ValueError as exc:  # json
            raise BackendError(f"The inference server at {server.url} sent a malformed event: {exc}") from exc
        finally:
            conn.close()  # also when the consumer stops early or cancels: the server sees the disconnect
        if not done and finish is None:
            raise BackendError(f"The inference server at {server.url} closed the connection before it finished "
                               f"answering.")
        yield _stats(t0, t_first or t_end, t_end, n_prompt, n_prefix, n_pieces, finish, has_stop, usage, timings)


def _stats(t0: float, t_first: float, t_end: float, n_prompt: int, n_prefix: int, n_pieces: int,
           finish: str | None, has_stop: bool, usage: dict, timings: dict) -> GenerationStats:
    """Client-side timings; token counts from the server's usage when it sends them."""
    prompt_tokens = int(usage.get("prompt_tokens") or n_prompt)
    completion = int(usage.get("completion_tokens") or n_pieces)  # one streamed piece per token on llama servers
    cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or timings.get("cache_n") or 0)
    first_ms = (t_first - t0) * 1000
    decode_s = t_end - t_first
    reason = "length" if finish == "length" else ("stop" if finish == "stop" and has_stop else "eos")
    return GenerationStats(
        prompt_tokens=prompt_tokens, prefix_tokens=min(n_prefix, prompt_tokens), completion_tokens=completion,
        cached_tokens=cached, cache_hit=cached > 0, cache_source="remote", prefill_ms=first_ms,
        first_token_ms=first_ms, total_ms=(t_end - t0) * 1000,
        prefill_tokens_per_s=(prompt_tokens - cached) / (first_ms / 1000) if first_ms > 0 else 0.0,
        decode_tokens_per_s=(completion - 1) / decode_s if completion > 1 and decode_s > 0 else 0.0,
        finish_reason=reason)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- what the server offers
def _context_length(server: _Server, entry: dict) -> tuple[int | None, str, int | None]:
    """(n_ctx, where it came from, trained context) from /v1/models metadata or llama.cpp's /props."""
    trained = (entry.get("meta") or {}).get("n_ctx_train")
    if isinstance(entry.get("max_model_len"), int):  # vLLM
        return entry["max_model_len"], "server (/v1/models max_model_len)", trained
    try:
        status, data = server.call("GET", server.root_path + "/props")
        props = json.loads(data) if status == 200 else {}
    except (BackendError, ValueError):
        props = {}
    if isinstance(props, dict):
        n = (props.get("default_generation_settings") or {}).get("n_ctx") or props.get("n_ctx")
        if isinstance(n, int) and n > 0:
            return n, "server (/props n_ctx)", trained
    return None, "", trained


def _tokenize_body(style: str, text: str, model: str) -> dict:
    if style == "extras":  # llama_cpp.server
        return {"input": text, "model": model}
    # llama.cpp reads `content`, vLLM reads `prompt`; each ignores the other's fields
    return {"content": text, "prompt": text, "model": model, "add_special": False, "add_special_tokens": False,
            "parse_special": True}


def _tokens_in(answer: dict) -> int | None:
    if isinstance(answer.get("tokens"), list):
        return len(answer["tokens"])
    if isinstance(answer.get("count"), int):
        return answer["count"]
    return None


def _find_tokenizer(server: _Server, model: str) -> tuple[str | None, str]:
    """The server's tokenize endpoint, if it has one that answers: (path, body style) or (None, "")."""
    for path, style in ((server.root_path + "/extras/tokenize", "extras"), (server.root_path + "/tokenize", "plain")):
        try:
            status, data = server.call("POST", path, _tokenize_body(style, "Hello, world.", model))
            if status == 200 and _tokens_in(json.loads(data)) is not None:
                return path, style
        except ValueError:
            continue
    return None, ""
