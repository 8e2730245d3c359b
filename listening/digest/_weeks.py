"""ISO week strings to UTC windows in the project's timezone and week start."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from listening.errors import InputError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    """One digest week: ISO label plus its UTC bounds (end exclusive)."""

    label: str
    start: datetime
    end: datetime
    first_day: date

    def shift(self, weeks: int, tz: str, week_start: str) -> "Week":
        """The week ``weeks`` later (negative: earlier), with its own DST-correct bounds."""
        year, num, _ = (self.first_day + timedelta(days=1 + 7 * weeks)).isocalendar()
        return week_bounds(f"{year}-W{num:02d}", tz, week_start)


def parse_week(text: str) -> tuple[int, int]:
    """``"2026-W46"`` to ``(2026, 46)``; anything else is an :class:`InputError`.

    >>> parse_week("2026-W46")
    (2026, 46)
    >>> parse_week("2026-W54")
    Traceback (most recent call last):
    ...
    listening.errors.InputError: 2026 has no ISO week 54 (use YYYY-Www, e.g. 2026-W46)
    """
    match = _WEEK.match((text or "").strip())
    if not match:
        raise InputError(f"not an ISO week: {text!r} (use YYYY-Www, e.g. 2026-W46)")
    year, num = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, num, 1)
    except ValueError:
        raise InputError(f"{year} has no ISO week {num} (use YYYY-Www, e.g. 2026-W46)") from None
    return year, num


def zone(name: str) -> ZoneInfo:
    """The configured timezone, or an :class:`InputError` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown timezone {name!r} in project.timezone (use an IANA name like Asia/Seoul)") from None


def week_bounds(text: str, tz: str = "UTC", week_start: str = "monday") -> Week:
    """Local-midnight bounds of an ISO week, in UTC; a Sunday start begins the day before ISO Monday.

    >>> w = week_bounds("2026-W46", "Asia/Seoul")
    >>> w.start.isoformat(), w.end.isoformat()
    ('2026-11-08T15:00:00+00:00', '2026-11-15T15:00:00+00:00')
    >>> week_bounds("2026-W46", "UTC", "sunday").first_day.isoformat()
    '2026-11-08'
    """
    year, num = parse_week(text)
    first = date.fromisocalendar(year, num, 1) - timedelta(days=1 if week_start == "sunday" else 0)
    return Week(f"{year}-W{num:02d}", local_midnight(first, tz), local_midnight(first + timedelta(days=7), tz), first)


def local_midnight(day: date, tz: str) -> datetime:
    """Start of ``day`` in ``tz`` as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(timezone.utc)


def day_edges(first_day: date, days: int, tz: str) -> list[datetime]:
    """``days + 1`` local-midnight edges from ``first_day``: DST-correct daily buckets."""
    return [local_midnight(first_day + timedelta(days=i), tz) for i in range(days + 1)]


def last_complete_week(now: datetime) -> str:
    """The ISO week before the one holding ``now`` (UTC): the newest week a digest can cover whole.

    >>> last_complete_week(datetime(2026, 1, 26, 0, 5, tzinfo=timezone.utc))
    '2026-W04'
    >>> last_complete_week(datetime(2026, 2, 1, 23, 59, tzinfo=timezone.utc))
    '2026-W04'
    """
    year, num, _ = (now.astimezone(timezone.utc).date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{num:02d}"


def week_partition_key(week: str) -> str:
    """An ISO week to its Dagster weekly partition key (the week's Monday).

    >>> week_partition_key("2026-W46")
    '2026-11-09'
    """
    year, num = parse_week(week)
    return date.fromisocalendar(year, num, 1).isoformat()


def partition_to_week(key: str) -> str:
    """A Dagster weekly partition key (the week's first date) to its ISO week.

    The day after the first day is always inside the ISO week the digest means,
    whether weeks start on Monday or on Sunday.

    >>> partition_to_week("2026-11-09")
    '2026-W46'
    >>> partition_to_week("2026-11-08")
    '2026-W46'
    """
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", key or ""):
            raise ValueError(key)
        first = date.fromisoformat(key)
    except ValueError:
        raise InputError(f"not a weekly partition key: {key!r} (expected YYYY-MM-DD)") from None
    year, num, _ = (first + timedelta(days=1)).isocalendar()
    return f"{year}-W{num:02d}"
