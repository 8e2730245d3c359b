"""UTC timestamps: every stored and compared time is timezone-aware UTC.

SQLite hands back naive datetimes and CSV contracts accept ``Z`` or offsets; these two
functions are the one place that turns either into aware UTC. :func:`now` is the product's
one clock, so a test or a reproducible demo can freeze it for every stage at once.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import overload

#: ISO-8601 instant that freezes :func:`now` (tests, reproducible demos and replays).
FROZEN_NOW_ENV = "LISTENING_REPLAY_NOW"


def now() -> datetime:
    """The pipeline's clock: real UTC time, or the instant ``$LISTENING_REPLAY_NOW`` freezes it at.

    >>> os.environ[FROZEN_NOW_ENV] = "2026-11-25T21:00:00+09:00"
    >>> now().isoformat()
    '2026-11-25T12:00:00+00:00'
    >>> del os.environ[FROZEN_NOW_ENV]
    """
    frozen = os.environ.get(FROZEN_NOW_ENV)
    return parse_utc(frozen) if frozen else datetime.now(timezone.utc)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC; a naive value is taken to be UTC already (how the store writes it). The one such helper.

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
    return as_utc(datetime.fromisoformat(raw))
