"""Misbehaving servers on loopback for the remote backend's tests: one that never answers, and a tiny
OpenAI-style HTTP server whose chat endpoint fails, stalls mid-stream, or checks the API key.
"""
from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Iterator


def free_port() -> int:
    """A loopback port nobody listens on (bound and released; nothing else binds it this quickly)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers; yields its base URL.

    It listens but never calls accept(): the kernel completes the TCP handshake for the backlog, so the client
    connects and sends its request, and then waits for an answer that never comes.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        sock.close()


@contextmanager
def fake_openai_server(chat: str = "ok", api_key: str | None = None) -> Iterator[str]:
    """An OpenAI-style server listing one model, `fake-model`; yields its base URL.

    Args:
        chat: what /v1/chat/completions does: "ok" streams two pieces, "error" answers HTTP 500 with an OpenAI
            error body, "stall" streams one piece and then sends nothing until the server is stopped.
        api_key: when set, every request must carry `Authorization: Bearer <api_key>` or gets HTTP 401.
    """
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep the test output clean
            pass

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if api_key is None or self.headers.get("Authorization") == f"Bearer {api_key}":
                return True
            self._json(401, {"error": {"message": "Invalid API key", "type": "invalid_request_error"}})
            return False

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if not self._authorised():
                return
            if self.path == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
            else:
                self.send_error(404)

        def do_POST(self) -> None:  # noqa: N802
            if not self._authorised():
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            if chat == "error":
                self._json(500, {"error": {"message": f"the model {body.get('model')!r} is not loaded",
                                           "type": "server_error"}})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()  # HTTP/1.0 without a length: the body ends when the connection closes
            self._event({"choices": [{"index": 0, "delta": {"content": "Hello"}, "finish_reason": None}]})
            if chat == "stall":
                release.wait(30)
                return
            self._event({"choices": [{"index": 0, "delta": {"content": " there."}, "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 11, "completion_tokens": 2,
                                   "prompt_tokens_details": {"cached_tokens": 7}}})
            self.wfile.write(b"data: [DONE]\n\n")

        def _event(self, chunk: dict) -> None:
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
