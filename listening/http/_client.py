"""The client every connector fetches with: the policy applied to real sockets."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx

from listening.errors import FetchError, ParseError, ResponseTooLarge
from listening.http import _deadline
from listening.http._policy import RETRY_STATUSES, HttpPolicy, Politeness, parse_retry_after
from listening.http._redact import redact_text, redact_url

logger = logging.getLogger("listening.http")

_RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True)
class Response:
    """A fully read response: what connectors need, nothing tied to httpx."""

    status: int
    url: str
    headers: Mapping[str, str]
    content: bytes
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    elapsed: float = 0.0
    attempts: int = 1

    def __repr__(self) -> str:
        return (
            f"Response(status={self.status}, url={redact_url(self.url)!r}, "
            f"bytes={len(self.content)}, not_modified={self.not_modified}, attempts={self.attempts})"
        )

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        """Decoded JSON body; malformed JSON is a :class:`ParseError`, not a crash."""
        try:
            return json.loads(self.content)
        except ValueError as exc:
            raise ParseError(f"malformed JSON from {redact_url(self.url)}: {exc}") from exc



class _HostGate:
    """Per-host concurrency slots and minimum spacing between request starts (thread-safe)."""

    def __init__(self, politeness: Politeness, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._politeness = politeness
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    def defer(self, host: str, seconds: float) -> None:
        """Hold back every request to ``host`` (a server asked us to slow down)."""
        with self._lock:
            until = self._clock() + seconds
            self._next_start[host] = max(self._next_start.get(host, 0.0), until)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            sem = self._slots.setdefault(host, threading.BoundedSemaphore(self._politeness.max_concurrency_per_host))
        sem.acquire()
        try:
            with self._lock:
                now = self._clock()
                start = max(now, self._next_start.get(host, 0.0))
                self._next_start[host] = start + self._politeness.min_interval_s
            if start > now:
                self._sleep(start - now)
            yield
        finally:
            sem.release()


class _Retryable(Exception):
    """Internal: one attempt failed in a way the policy retries."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class HttpClient:
    """Sync HTTP client applying an :class:`HttpPolicy`; share one per process (it is thread-safe).

    ``transport`` is injectable (``httpx.MockTransport`` or a real one) so tests
    never patch; ``sleep``/``clock``/``rng`` are injectable for the same reason.
    """

    def __init__(
        self,
        policy: HttpPolicy | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy or HttpPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._gate = _HostGate(self.policy.politeness, clock, sleep)
        self._client = httpx.Client(
            transport=transport,
            timeout=self.policy.timeout.to_httpx(),
            follow_redirects=True,
            max_redirects=self.policy.max_redirects,
            headers={"User-Agent": self.policy.user_agent},
        )
        _deadline.install(self._client)

    @classmethod
    def for_contact(cls, contact: str, *, transport: httpx.BaseTransport | None = None, **policy: Any) -> "HttpClient":
        """Client with the default policy and a User-Agent naming ``contact``."""
        return cls(HttpPolicy.for_contact(contact, **policy), transport=transport)

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """GET ``url`` under the policy; a 304 to a conditional GET comes back with ``not_modified``.

        Raises :class:`FetchError` (after retries) or :class:`ResponseTooLarge`.
        """
        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        response = self._send("GET", url, params=params, headers=request_headers)
        if response.not_modified:
            response = _with_validators(response, etag, last_modified)
        return response

    def post(
        self,
        url: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        raise_for_status: bool = True,
    ) -> Response:
        """POST ``url`` under the same policy as :meth:`get` (timeouts, retries, ``Retry-After``, cap, redaction).

        A redirect is not followed (the body may carry credentials) and fails. With ``raise_for_status``
        false, a 4xx (other than 429) comes back as a :class:`Response`, so callers can read an API's reason.
        """
        return self._send("POST", url, json=json, data=data, content=content, headers=headers,
                          raise_for_status=raise_for_status)

    def _send(self, method: str, url: str, *, raise_for_status: bool = True, **parts: Any) -> Response:
        """One request under the policy: bounded retries of timeouts, network errors and 429/5xx."""
        try:
            request = self._client.build_request(method, url, **parts)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError, TypeError) as exc:
            raise FetchError(f"invalid URL {redact_url(url)}: {redact_text(str(exc))}", url=redact_url(url)) from exc
        shown = f"{method} {redact_url(str(request.url))}"
        retry = self.policy.retry
        for attempt in range(1, retry.attempts + 1):
            try:
                response = self._attempt(request, shown, raise_for_status)
            except _Retryable as failure:
                if attempt == retry.attempts:
                    raise FetchError(
                        f"{shown} failed after {attempt} attempts: {failure.reason}",
                        url=_url_of(shown),
                        status=failure.status,
                    ) from failure.__cause__
                wait = self._wait_for(failure, shown, attempt, request.url.host)
                logger.warning("%s: %s; retry %d/%d in %.2fs", shown, failure.reason, attempt, retry.attempts - 1, wait)
                self._sleep(wait)
                continue
            return replace(response, attempts=attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_for(self, failure: _Retryable, shown: str, attempt: int, host: str) -> float:
        retry = self.policy.retry
        if failure.retry_after is None:
            return retry.delay(attempt, self._rng)
        if failure.retry_after > retry.max_retry_after:
            raise FetchError(
                f"{shown}: server asked to retry after {failure.retry_after:.0f}s, more than the "
                f"policy's cap of {retry.max_retry_after:.0f}s (Retry.max_retry_after); try again later",
                url=_url_of(shown),
                status=failure.status,
            )
        self._gate.defer(host, failure.retry_after)
        return failure.retry_after

    def _attempt(self, request: httpx.Request, shown: str, raise_for_status: bool = True) -> Response:
        with self._gate.slot(request.url.host), _deadline.deadline(self.policy.timeout.total) as deadline:
            started = self._clock()
            try:
                resp = self._client.send(request, stream=True, follow_redirects=request.method == "GET")
                try:
                    return self._read(resp, shown, started, raise_for_status)
                finally:
                    resp.close()
            except httpx.TooManyRedirects as exc:
                raise FetchError(
                    f"{shown}: more than {self.policy.max_redirects} redirects (loop?)", url=_url_of(shown)
                ) from exc
            except httpx.TimeoutException as exc:
                if deadline.hit:
                    raise self._past_deadline(shown, "no complete response") from exc
                raise _Retryable(f"{type(exc).__name__}: {redact_text(str(exc)) or 'no detail'}") from exc
            except _RETRY_EXCEPTIONS as exc:
                raise _Retryable(f"{type(exc).__name__}: {redact_text(str(exc)) or 'no detail'}") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"{shown}: {type(exc).__name__}: {redact_text(str(exc))}", url=_url_of(shown)) from exc

    def _past_deadline(self, shown: str, progress: str, status: int | None = None) -> FetchError:
        """Not retried: a server that trickles once trickles again."""
        return FetchError(
            f"{shown}: response not complete after {self.policy.timeout.total:g}s ({progress}; Timeouts.total)",
            url=_url_of(shown),
            status=status,
        )

    def _read(self, resp: httpx.Response, shown: str, started: float, raise_for_status: bool = True) -> Response:
        status = resp.status_code
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(resp.headers.get("retry-after"))
            raise _Retryable(f"HTTP {status}", status=status, retry_after=retry_after)
        if status == 304:
            return _response(resp, b"", self._clock() - started, not_modified=True)
        if resp.is_redirect:
            raise FetchError(f"{shown} answered a redirect (HTTP {status}); not followed for a {resp.request.method}",
                             url=_url_of(shown), status=status)
        if status >= 400 and raise_for_status:
            raise FetchError(f"{shown} returned HTTP {status}", url=_url_of(shown), status=status)
        body = self._read_capped(resp, shown, started)
        return _response(resp, body, self._clock() - started)

    def _read_capped(self, resp: httpx.Response, shown: str, started: float) -> bytes:
        """Read the decoded body, aborting as soon as it passes ``max_bytes`` (gzip bombs included)
        or takes longer than ``Timeouts.total`` (not retried: a trickling server trickles again)."""
        cap = self.policy.max_bytes
        deadline = started + self.policy.timeout.total
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise ResponseTooLarge(
                f"{shown}: Content-Length {declared} exceeds the {cap}-byte cap (HttpPolicy.max_bytes)",
                url=_url_of(shown),
                status=resp.status_code,
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if self._clock() > deadline:
                raise self._past_deadline(shown, f"{size} bytes so far", resp.status_code)
            if size > cap:
                raise ResponseTooLarge(
                    f"{shown}: body passed the {cap}-byte cap after decoding (HttpPolicy.max_bytes)",
                    url=_url_of(shown),
                    status=resp.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _response(resp: httpx.Response, body: bytes, elapsed: float, *, not_modified: bool = False) -> Response:
    headers = {k.lower(): v for k, v in resp.headers.items()}
    logger.debug("%s %s -> %d (%d bytes, %.3fs)", resp.request.method, redact_url(str(resp.url)), resp.status_code,
                 len(body), elapsed)
    return Response(
        status=resp.status_code,
        url=str(resp.url),
        headers=headers,
        content=body,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        not_modified=not_modified,
        elapsed=elapsed,
    )


def _url_of(shown: str) -> str:
    """The (redacted) URL of a ``"METHOD url"`` label, for :attr:`FetchError.url`."""
    return shown.partition(" ")[2]


def _with_validators(response: Response, etag: str | None, last_modified: str | None) -> Response:
    """A 304 may omit validators; keep the caller's so the cursor is not lost."""
    return replace(response, etag=response.etag or etag, last_modified=response.last_modified or last_modified)
