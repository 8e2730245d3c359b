"""The connector contract: what every source returns and what it needs to resume.

A connector fetches with the shared :class:`~listening.http.HttpClient`, turns
payloads into :class:`~listening.mention.Mention` records and hands back a new
:class:`Cursor`. The caller persists that cursor only after committing the
mentions, so a crash between the two re-fetches instead of losing items.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from listening.http import HttpClient
from listening.mention import Mention
from listening.utc import as_utc

__all__ = ["Backlog", "Connector", "Cursor", "FetchResult", "Skipped", "WATERMARK_SKEW"]

#: How far past the fetch time a watermark may move (servers' clocks run a little ahead of ours).
WATERMARK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Backlog:
    """Items dated in ``(after, until]`` were not read: a run stopped early (request cap, deadline, page error).

    Everything newer than ``until`` up to the cursor's watermark was stored, so the next
    run reads only this window (newest first) and then shrinks or clears it. ``token`` is
    where paging stopped, for APIs that cannot be asked for a time window (a page offset
    or an opaque page cursor); without one such a source pages down from its newest item.

    >>> from datetime import timezone
    >>> a = Backlog(datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 5, tzinfo=timezone.utc))
    >>> b = Backlog(datetime(2026, 11, 6, tzinfo=timezone.utc), datetime(2026, 11, 9, tzinfo=timezone.utc))
    >>> a.merged(b).after.day, a.merged(b).until.day
    (1, 9)
    """

    after: datetime
    until: datetime
    token: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "after", as_utc(self.after))
        object.__setattr__(self, "until", as_utc(self.until))

    def to_list(self) -> list[str | None]:
        """JSON form: ``[after, until, token]``."""
        return [self.after.isoformat(), self.until.isoformat(), self.token]

    @classmethod
    def from_list(cls, data: list[str | None]) -> "Backlog":
        return cls(datetime.fromisoformat(str(data[0])), datetime.fromisoformat(str(data[1])),
                   data[2] if len(data) > 2 else None)

    def merged(self, other: "Backlog | None") -> "Backlog":
        """One window covering both (re-reading what lies between is harmless: the store upserts)."""
        if other is None:
            return self
        return Backlog(min(self.after, other.after), max(self.until, other.until))


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
    backlog: Backlog | None = None

    def __post_init__(self) -> None:
        if self.watermark is not None:  # stores may hand back naive UTC datetimes (SQLite)
            object.__setattr__(self, "watermark", as_utc(self.watermark))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for the store."""
        return {
            "etag": self.etag,
            "last_modified": self.last_modified,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "backlog": self.backlog.to_list() if self.backlog else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Cursor":
        data = data or {}
        mark = data.get("watermark")
        gap = data.get("backlog")
        return cls(
            etag=data.get("etag"),
            last_modified=data.get("last_modified"),
            watermark=as_utc(datetime.fromisoformat(mark)) if mark else None,
            backlog=Backlog.from_list(gap) if gap else None,
        )

    def as_of(self, now: datetime) -> "Cursor":
        """This cursor, minus a watermark beyond ``now`` (+ skew) that an older run let a future-dated item set.

        Such a watermark would ask only for items newer than that date, blinding the query
        until then; without it the query reads its lookback window again and recovers.

        >>> from datetime import timezone
        >>> blinded = Cursor(watermark=datetime(2100, 1, 1, tzinfo=timezone.utc))
        >>> blinded.as_of(datetime(2026, 11, 25, tzinfo=timezone.utc))
        Cursor(etag=None, last_modified=None, watermark=None, backlog=None)
        """
        if self.watermark is not None and self.watermark > as_utc(now) + WATERMARK_SKEW:
            return replace(self, watermark=None)
        return self

    def advanced(
        self,
        published: list[datetime],
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        now: datetime | None = None,
    ) -> "Cursor":
        """A cursor moved forward: the watermark never goes back, validators are replaced when given.

        With ``now`` (the fetch time), items dated past ``now`` + :data:`WATERMARK_SKEW` are
        stored with their date but do not move the watermark.

        >>> from datetime import timezone
        >>> now = datetime(2026, 11, 25, tzinfo=timezone.utc)
        >>> Cursor().advanced([datetime(2026, 11, 24, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)],
        ...                   now=now).watermark.day
        24
        """
        base = self.as_of(now) if now is not None else self
        ceiling = as_utc(now) + WATERMARK_SKEW if now is not None else None
        marks = [m for m in [base.watermark, *published] if m is not None and (ceiling is None or m <= ceiling)]
        return Cursor(
            etag=etag if etag is not None else self.etag,
            last_modified=last_modified if last_modified is not None else self.last_modified,
            watermark=max(marks) if marks else None,
            backlog=self.backlog,
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
