"""How the library talks HTTP, as values: timeouts, retries, politeness, User-Agent."""

from __future__ import annotations

import email.utils
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

from listening import __version__

logger = logging.getLogger("listening.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def user_agent(contact: str) -> str:
    """The User-Agent every request carries, so source operators can reach us.

    >>> user_agent("ops@example.com")
    'listening/0.1.0 (+https://github.com/listening; contact: ops@example.com)'
    """
    return f"listening/{__version__} (+https://github.com/listening; contact: {contact})"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait for a connection, for each read, and for the whole request.

    ``total`` is one wall-clock deadline per request, from connect to the last body byte, headers
    included: a server that trickles its headers or body a few bytes at a time (slowloris) answers
    every single read within ``read``, so only a whole-request deadline stops it. It is not retried.
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


