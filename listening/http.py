"""One HTTP policy for every connector.

Public sources throttle, flake and occasionally send garbage; every connector
gets the same answer to that here instead of its own: connect/read timeouts,
bounded retries with backoff and jitter, ``Retry-After``, per-host politeness,
conditional GET, a response size cap counted on decoded bytes, a descriptive
User-Agent, and errors that never leak secrets. httpx exceptions are mapped
once, here, to :mod:`listening.errors`.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from listening import __version__
from listening.errors import FetchError, ParseError, ResponseTooLarge

__all__ = [
    "HttpClient",
    "HttpPolicy",
    "Politeness",
    "Response",
    "Retry",
    "Timeouts",
    "redact_text",
    "redact_url",
    "user_agent",
]

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_SECRET_SUFFIXES = ("key", "token", "secret", "password", "passwd", "signature", "credential")
_SECRET_NAMES = frozenset({"sig", "auth", "authorization", "pwd", "session", "sessionid"})
_URL_IN_TEXT = re.compile(r"https?://[^\s'\"<>]+")


def user_agent(contact: str) -> str:
    """The User-Agent every request carries, so source operators can reach us.

    >>> user_agent("ops@example.com")
    'listening/0.1.0 (+https://github.com/listening; contact: ops@example.com)'
    """
    return f"listening/{__version__} (+https://github.com/listening; contact: {contact})"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait for a connection, for each read, and for the whole response.

    ``total`` bounds a server that trickles its body a few bytes at a time (slowloris):
    every single read then arrives within ``read``, so only a whole-response deadline stops it.
    """

    connect: float = 5.0
    read: float = 20.0
    total: float = 120.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.read, pool=self.read)


@dataclass(frozen=True, slots=True)
class Retry:
    """Bounded retries: exponential backoff with jitter, ``Retry-After`` honoured up to a cap.

    >>> fixed = Retry(backoff=0.5, max_backoff=3, jitter=False)
    >>> [fixed.delay(n) for n in (1, 2, 3, 4)]
    [0.5, 1.0, 2.0, 3.0]
    """

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: bool = True
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("Retry.attempts must be at least 1 (1 means no retries)")

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return base * (0.5 + rng() / 2) if self.jitter else float(base)


@dataclass(frozen=True, slots=True)
class Politeness:
    """Per-host limits so one source is never hammered, whatever the thread count."""

    max_concurrency_per_host: int = 2
    min_interval_s: float = 1.0

    def __post_init__(self) -> None:
        if self.max_concurrency_per_host < 1:
            raise ValueError("Politeness.max_concurrency_per_host must be at least 1")


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """Everything that decides how the library talks HTTP; compares and prints as a value."""

    timeout: Timeouts = field(default_factory=Timeouts)
    retry: Retry = field(default_factory=Retry)
    politeness: Politeness = field(default_factory=Politeness)
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    user_agent: str = user_agent("ops@example.com")

    @classmethod
    def for_contact(cls, contact: str, **changes: Any) -> "HttpPolicy":
        """Default policy whose User-Agent names ``contact`` (an email or URL from the config)."""
        if not contact.strip():
            logger.warning("no contact configured (project.contact): sources cannot reach the operator")
            return cls(user_agent=user_agent("unset"), **changes)
        return cls(user_agent=user_agent(contact.strip()), **changes)


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


def _is_secret(name: str) -> bool:
    key = re.sub(r"[-_.]", "", name.lower())
    return key in _SECRET_NAMES or key.endswith(_SECRET_SUFFIXES)


def redact_url(url: str) -> str:
    """The URL with secret query values and userinfo passwords masked, for messages and logs.

    >>> redact_url("https://u:pw@api.example.com/x?q=brand&api_key=abc&access_token=t&page=2")
    'https://u:***@api.example.com/x?q=brand&api_key=***&access_token=***&page=2'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:***@{hostport}" if colon else netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret(k) for k, _ in pairs):
            query = urlencode([(k, "***" if _is_secret(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Redact every URL inside free text (e.g. a foreign exception message).

    >>> redact_text("failed: https://x.test/a?token=s3cret now")
    'failed: https://x.test/a?token=*** now'
    """
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP-date), ``None`` if absent/invalid.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 25 Nov 2026 10:00:30 GMT", now=datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc))
    30.0
    >>> parse_retry_after("soon") is None
    True
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


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
        try:
            request = self._client.build_request("GET", url, params=params, headers=request_headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            raise FetchError(f"invalid URL {redact_url(url)}: {redact_text(str(exc))}", url=redact_url(url)) from exc
        shown = redact_url(str(request.url))
        retry = self.policy.retry
        for attempt in range(1, retry.attempts + 1):
            try:
                response = self._attempt(request, shown)
            except _Retryable as failure:
                if attempt == retry.attempts:
                    raise FetchError(
                        f"GET {shown} failed after {attempt} attempts: {failure.reason}",
                        url=shown,
                        status=failure.status,
                    ) from failure.__cause__
                wait = self._wait_for(failure, attempt, shown, request.url.host)
                logger.warning(
                    "GET %s: %s; retry %d/%d in %.2fs", shown, failure.reason, attempt, retry.attempts - 1, wait
                )
                self._sleep(wait)
                continue
            if response.not_modified:
                response = _with_validators(response, etag, last_modified)
            return replace(response, attempts=attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_for(self, failure: _Retryable, attempt: int, shown: str, host: str) -> float:
        retry = self.policy.retry
        if failure.retry_after is None:
            return retry.delay(attempt, self._rng)
        if failure.retry_after > retry.max_retry_after:
            raise FetchError(
                f"GET {shown}: server asked to retry after {failure.retry_after:.0f}s, more than the "
                f"policy's cap of {retry.max_retry_after:.0f}s (Retry.max_retry_after); try again later",
                url=shown,
                status=failure.status,
            )
        self._gate.defer(host, failure.retry_after)
        return failure.retry_after

    def _attempt(self, request: httpx.Request, shown: str) -> Response:
        with self._gate.slot(request.url.host):
            started = self._clock()
            try:
                resp = self._client.send(request, stream=True)
                try:
                    return self._read(resp, shown, started)
                finally:
                    resp.close()
            except httpx.TooManyRedirects as exc:
                raise FetchError(
                    f"GET {shown}: more than {self.policy.max_redirects} redirects (loop?)", url=shown
                ) from exc
            except _RETRY_EXCEPTIONS as exc:
                raise _Retryable(f"{type(exc).__name__}: {redact_text(str(exc)) or 'no detail'}") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"GET {shown}: {type(exc).__name__}: {redact_text(str(exc))}", url=shown) from exc

    def _read(self, resp: httpx.Response, shown: str, started: float) -> Response:
        status = resp.status_code
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(resp.headers.get("retry-after"))
            raise _Retryable(f"HTTP {status}", status=status, retry_after=retry_after)
        if status == 304:
            return _response(resp, b"", self._clock() - started, not_modified=True)
        if status >= 400:
            raise FetchError(f"GET {shown} returned HTTP {status}", url=shown, status=status)
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
                f"GET {shown}: Content-Length {declared} exceeds the {cap}-byte cap (HttpPolicy.max_bytes)",
                url=shown,
                status=resp.status_code,
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if self._clock() > deadline:
                raise FetchError(
                    f"GET {shown}: response not complete after {self.policy.timeout.total:g}s "
                    f"({size} bytes so far; Timeouts.total)",
                    url=shown,
                    status=resp.status_code,
                )
            if size > cap:
                raise ResponseTooLarge(
                    f"GET {shown}: body passed the {cap}-byte cap after decoding (HttpPolicy.max_bytes)",
                    url=shown,
                    status=resp.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _response(resp: httpx.Response, body: bytes, elapsed: float, *, not_modified: bool = False) -> Response:
    headers = {k.lower(): v for k, v in resp.headers.items()}
    logger.debug("GET %s -> %d (%d bytes, %.3fs)", redact_url(str(resp.url)), resp.status_code, len(body), elapsed)
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


def _with_validators(response: Response, etag: str | None, last_modified: str | None) -> Response:
    """A 304 may omit validators; keep the caller's so the cursor is not lost."""
    return replace(response, etag=response.etag or etag, last_modified=response.last_modified or last_modified)
