"""One wall-clock deadline per request, from connect to the last body byte, at the socket.

httpx's read timeout restarts with every byte, so a server that trickles its status line and
headers one byte at a time is never cut off by it, and a whole-response check in the body loop
starts too late (after the headers). Here every socket operation of a request (connect, TLS,
write, each read) waits at most until the request's deadline, so no server can hold a request
past :attr:`Timeouts.total <listening.http.Timeouts.total>`, however it paces its bytes.

The deadline is per thread: sync httpx does all of a request's socket I/O in the calling thread,
and a pooled connection serves one request at a time.
"""

from __future__ import annotations

import ssl
import threading
import time
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx


class _State(threading.local):
    deadline: float | None = None
    hit: bool = False


_state = _State()


class Deadline:
    """The running request's deadline; ``hit`` tells a deadline stop from an ordinary timeout."""

    def __init__(self, at: float) -> None:
        self.at = at

    @property
    def hit(self) -> bool:
        return _state.hit


@contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Bound every socket operation in this block (this thread) to ``seconds`` from now."""
    previous = (_state.deadline, _state.hit)
    _state.deadline, _state.hit = time.monotonic() + seconds, False
    try:
        yield Deadline(_state.deadline)
    finally:
        _state.deadline, _state.hit = previous


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the deadline; past it, ``error``."""
    if _state.deadline is None:
        return timeout
    left = _state.deadline - time.monotonic()
    if left <= 0:
        _state.hit = True
        raise error("request deadline passed (Timeouts.total)")
    if timeout is None or left < timeout:
        _state.hit = True  # if this wait times out, it was the deadline that stopped it
        return left
    _state.hit = False
    return timeout


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's own backend with every wait clamped to the thread's request deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _clamp(timeout, httpcore.ConnectTimeout), local_address,
                                         socket_options)
        return _Stream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _clamp(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(client: httpx.Client) -> None:
    """Put the deadline under every real transport of ``client`` (direct and env proxies).

    Injected transports that do not open sockets (``httpx.MockTransport``) are left alone.
    """
    transports = [client._transport, *client._mounts.values()]  # noqa: SLF001 - httpx has no public hook
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _Backend):
            pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
