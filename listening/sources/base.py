"""The connector contract: what every source returns and what it needs to resume.

A connector fetches with the shared :class:`~listening.http.HttpClient`, turns
payloads into :class:`~listening.mention.Mention` records and hands back a new
:class:`Cursor`. The caller persists that cursor only after committing the
mentions, so a crash between the two re-fetches instead of losing items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from listening.http import HttpClient
from listening.mention import Mention, utc

__all__ = ["Connector", "Cursor", "FetchResult", "Skipped"]


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a (source, query) left off: HTTP validators and the newest ``published_at`` seen.

    >>> from datetime import timezone
    >>> c = Cursor(etag='"v1"', watermark=datetime(2026, 11, 20, tzinfo=timezone.utc))
    >>> Cursor.from_dict(c.to_dict()) == c
    True
    >>> c.advanced([datetime(2026, 11, 21, tzinfo=timezone.utc)]).watermark.day
    21
    >>> Cursor(watermark=datetime(2026, 11, 20)).watermark.tzinfo  # naive, as SQLite returns it
    datetime.timezone.utc
    """

    etag: str | None = None
    last_modified: str | None = None
    watermark: datetime | None = None

    def __post_init__(self) -> None:
        if self.watermark is not None:  # stores may hand back naive UTC datetimes (SQLite)
            object.__setattr__(self, "watermark", utc(self.watermark))

    def to_dict(self) -> dict[str, str | None]:
        """JSON-friendly form for the store."""
        return {
            "etag": self.etag,
            "last_modified": self.last_modified,
            "watermark": self.watermark.isoformat() if self.watermark else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Cursor":
        data = data or {}
        mark = data.get("watermark")
        return cls(
            etag=data.get("etag"),
            last_modified=data.get("last_modified"),
            watermark=utc(datetime.fromisoformat(mark)) if mark else None,
        )

    def advanced(
        self,
        published: list[datetime],
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> "Cursor":
        """A cursor moved forward: the watermark never goes back, validators are replaced when given."""
        marks = [m for m in [self.watermark, *published] if m is not None]
        return Cursor(
            etag=etag if etag is not None else self.etag,
            last_modified=last_modified if last_modified is not None else self.last_modified,
            watermark=max(marks) if marks else None,
        )


@dataclass(frozen=True, slots=True)
class Skipped:
    """One item (or feed-level problem) left out, and why: kept as evidence, never silently dropped."""

    reason: str
    detail: str


@dataclass(slots=True)
class FetchResult:
    """What one connector run produced.

    ``cursor`` is the new cursor; persist it only after ``mentions`` are committed.
    ``requests`` counts HTTP requests sent, retries included.
    """

    mentions: list[Mention]
    cursor: Cursor
    skipped: list[Skipped] = field(default_factory=list)
    not_modified: bool = False
    requests: int = 0


@runtime_checkable
class Connector(Protocol):
    """A configured source query; ``key`` identifies its cursor in the store."""

    source: str

    @property
    def key(self) -> str: ...

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        """Fetch everything new since ``cursor``; ``now`` pins ``fetched_at`` (tests, replays)."""
        ...
