"""A real local HTTP server that misbehaves on cue, for connector and HTTP-policy tests.

Mocks cannot time out, reset a socket or send a gzip bomb; this can. Each path
gets a script of behaviours: the n-th request to a path runs the n-th
behaviour, and the last one repeats. Every request is recorded (path, query,
headers, monotonic time) so tests can assert on what the client sent and when.

    server.route("/feed", status(500), status(500), fixture("blog_rss2.xml"))
    client.get(server.url("/feed"))
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

__all__ = [
    "FIXTURES",
    "FaultServer",
    "Recorded",
    "Reply",
    "cut_off",
    "fault_server",
    "fixture",
    "gzip_bomb",
    "hang",
    "dynamic",
    "ok",
    "oversize",
    "redirect",
    "reset",
    "retry_after",
    "status",
    "trickle",
    "trickle_headers",
]

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float
    method: str = "GET"
    body: bytes = b""

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Reply:
    """A complete response for :func:`dynamic` handlers."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET", b"")

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = self.headers.get("Content-Length", "0")
        self._serve("POST", self.rfile.read(int(length)) if length.isdigit() else b"")

    def _serve(self, method: str, body: bytes) -> None:
        parts = urlsplit(self.path)
        recorded = Recorded(
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            at=time.monotonic(),
            method=method,
            body=body,
        )
        behaviour = self.server.owner._next(recorded)
        self.recorded = recorded
        behaviour(self)

    def send(self, code: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        """Send a whole response with a correct Content-Length (unless headers set one)."""
        self.send_response(code)
        merged = {"Content-Length": str(len(body)), **(headers or {})}
        for name, value in merged.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "FaultServer"

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hang up on purpose in these tests (timeouts, size caps); that is not an error."""


Behaviour = Callable[[_Handler], None]


class FaultServer:
    """ThreadingHTTPServer on 127.0.0.1 with a free port, scripted per path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, list[Behaviour]] = {}
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, *behaviours: Behaviour) -> str:
        """Script ``path``: request n runs behaviour n, the last repeats. Returns the full URL."""
        if not behaviours:
            raise ValueError("route needs at least one behaviour")
        with self._lock:
            self._routes[path] = list(behaviours)
        return self.url(path)

    def hits(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _next(self, recorded: Recorded) -> Behaviour:
        with self._lock:
            count = sum(1 for r in self.requests if r.path == recorded.path)
            self.requests.append(recorded)
            script = self._routes.get(recorded.path)
        if script is None:
            return status(404, b"no route")
        return script[min(count, len(script) - 1)]

    def start(self) -> "FaultServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "FaultServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A started server, stopped after the test."""
    with FaultServer() as server:
        yield server


def _matches(handler: _Handler, etag: str | None, last_modified: str | None) -> bool:
    inm = handler.headers.get("If-None-Match")
    ims = handler.headers.get("If-Modified-Since")
    if etag and inm:
        return etag in [tag.strip() for tag in inm.split(",")] or inm.strip() == "*"
    return bool(last_modified and ims and ims == last_modified)


def ok(
    body: bytes,
    content_type: str = "application/octet-stream",
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Behaviour:
    """200 with ``body``; answers a matching conditional GET with 304."""
    validators = {k: v for k, v in {"ETag": etag, "Last-Modified": last_modified}.items() if v}

    def behave(handler: _Handler) -> None:
        if _matches(handler, etag, last_modified):
            handler.send(304, b"", validators)
        else:
            handler.send(200, body, {"Content-Type": content_type, **validators, **(headers or {})})

    return behave


def fixture(name: str, content_type: str = "application/xml; charset=utf-8", **kwargs: object) -> Behaviour:
    """Serve a recorded payload from ``tests/fixtures/sources``."""
    return ok((FIXTURES / name).read_bytes(), content_type, **kwargs)  # type: ignore[arg-type]


def status(code: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> Behaviour:
    """A bare status, e.g. ``status(500)`` or ``status(404)``."""
    return lambda handler: handler.send(code, body, headers)


def retry_after(value: str | None, code: int = 429) -> Behaviour:
    """Throttled: ``code`` with ``Retry-After: value`` (omit the header when ``value`` is None)."""
    return status(code, b"slow down", {"Retry-After": value} if value is not None else None)


def hang(seconds: float) -> Behaviour:
    """Accept the request, then say nothing for ``seconds`` (or until the server stops)."""

    def behave(handler: _Handler) -> None:
        handler.server.owner.stopping.wait(seconds)
        handler.close_connection = True

    return behave


def trickle(body: bytes, *, step: int = 1, interval: float = 0.05) -> Behaviour:
    """Slowloris: send ``body`` ``step`` bytes at a time, each within any read timeout."""

    def behave(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            for start in range(0, len(body), step):
                if handler.server.owner.stopping.wait(interval):
                    break
                handler.wfile.write(body[start : start + step])
                handler.wfile.flush()
        except OSError:
            pass
        handler.close_connection = True

    return behave


def trickle_headers(*, interval: float = 0.05, count: int = 100_000) -> Behaviour:
    """Slowloris on the headers: a status line, then one header byte every ``interval`` s, never a blank line."""

    def behave(handler: _Handler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        handler.wfile.flush()
        try:
            for _ in range(count):
                if handler.server.owner.stopping.wait(interval):
                    break
                handler.wfile.write(b"z")
                handler.wfile.flush()
        except OSError:
            pass
        handler.close_connection = True

    return behave


def reset() -> Behaviour:
    """Abort the connection with a TCP RST instead of answering."""

    def behave(handler: _Handler) -> None:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
        handler.close_connection = True

    return behave


def cut_off(body: bytes, at: int, content_type: str = "application/xml") -> Behaviour:
    """Promise the whole body, send ``at`` bytes, hang up (a transfer broken mid-way)."""

    def behave(handler: _Handler) -> None:
        handler.send(200, body[:at], {"Content-Type": content_type, "Content-Length": str(len(body))})
        handler.close_connection = True

    return behave


def oversize(size: int, *, declare_length: bool = True, chunk: int = 64 * 1024) -> Behaviour:
    """Stream ``size`` bytes; without ``declare_length`` the body is close-delimited."""

    def behave(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        if declare_length:
            handler.send_header("Content-Length", str(size))
        handler.end_headers()
        sent = 0
        try:
            while sent < size:
                part = min(chunk, size - sent)
                handler.wfile.write(b"x" * part)
                sent += part
        except OSError:
            pass
        handler.close_connection = True

    return behave


def gzip_bomb(decoded_size: int) -> Behaviour:
    """A small gzip body that inflates to ``decoded_size`` zero bytes."""
    payload = gzip.compress(b"\0" * decoded_size, compresslevel=9)  # before any request: ~0.2 s per 20 MB
    return status(200, payload, {"Content-Type": "application/xml", "Content-Encoding": "gzip"})


def redirect(location: str, code: int = 302) -> Behaviour:
    """Redirect to ``location`` (point it at its own path for a loop)."""
    return status(code, b"", {"Location": location})


def dynamic(respond: Callable[[Recorded], Reply]) -> Behaviour:
    """Compute the reply from the request (e.g. an API emulator that honours query params)."""

    def behave(handler: _Handler) -> None:
        reply = respond(handler.recorded)
        handler.send(reply.status, reply.body, reply.headers)

    return behave
