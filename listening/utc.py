"""UTC timestamps: every stored and compared time is timezone-aware UTC.

SQLite hands back naive datetimes and CSV contracts accept ``Z`` or offsets; these two
functions are the one place that turns either into aware UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC; a naive value is taken to be UTC already (how the store writes it).

    >>> as_utc(datetime(2026, 11, 20, 9)).isoformat()
    '2026-11-20T09:00:00+00:00'
    """
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def parse_utc(text: str) -> datetime:
    """ISO-8601 (``Z`` suffix or offset; none means UTC) to aware UTC; ValueError if it is not a time.

    >>> parse_utc("2026-11-20T18:00:00+09:00").isoformat()
    '2026-11-20T09:00:00+00:00'
    >>> parse_utc(" 2026-11-20T09:00Z ").isoformat()
    '2026-11-20T09:00:00+00:00'
    """
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    return as_utc(datetime.fromisoformat(raw))  # type: ignore[return-value]
