"""SLA arithmetic: when an item must be answered, counting only business hours when the config sets them.

``inbox.sla_hours`` counts wall-clock hours, or, with ``inbox.business_hours``, only the hours inside
the daily window on the listed weekdays in ``project.timezone``. Windows are built from local dates and
times and converted to UTC one day at a time, so a DST change moves them the way the office clock does
(the day of the change keeps its 09:00–18:00; the UTC offset of the deadline differs). No holidays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from listening.config import WEEKDAYS, BusinessHours, ListeningConfig

#: A deadline further than this is not searched for (a config whose window never opens is refused on load).
_HORIZON_DAYS = 400

OK, DUE, BREACHED = "ok", "due", "breached"


def _clock(text: str) -> tuple[time, int]:
    """HH:MM as a time plus a day offset (``24:00`` is the next day's midnight)."""
    if text == "24:00":
        return time(0, 0), 1
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes)), 0


@dataclass(frozen=True)
class Sla:
    """The answer deadline rule: ``hours`` of wall-clock or business time, and the reminder lead."""

    hours: float
    remind: timedelta = timedelta(hours=4)
    business: BusinessHours | None = None
    tz: ZoneInfo = ZoneInfo("UTC")

    @classmethod
    def of(cls, config: ListeningConfig) -> "Sla":
        inbox = config.inbox
        return cls(inbox.sla_hours, timedelta(hours=inbox.remind_hours), inbox.business_hours,
                   ZoneInfo(config.project.timezone))

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business windows in UTC from the local day before ``start`` on (the day before catches late windows)."""
        assert self.business is not None
        days = {WEEKDAYS.index(d) for d in self.business.days}
        (open_at, _), (close_at, close_shift) = _clock(self.business.start), _clock(self.business.end)
        day: date = start.astimezone(self.tz).date() - timedelta(days=1)
        for _ in range(_HORIZON_DAYS):
            if day.weekday() in days:
                begin = datetime.combine(day, open_at, self.tz).astimezone(timezone.utc)
                end = datetime.combine(day + timedelta(days=close_shift), close_at, self.tz).astimezone(timezone.utc)
                if end > begin:
                    yield begin, end
            day += timedelta(days=1)

    def deadline(self, start: datetime) -> datetime:
        """When an item posted at ``start`` breaches the SLA."""
        if self.business is None:
            return start + timedelta(hours=self.hours)
        left = timedelta(hours=self.hours)
        for begin, end in self.windows(start):
            if end <= start:
                continue
            begin = max(begin, start)
            if end - begin >= left:
                return begin + left
            left -= end - begin
        return start + timedelta(days=_HORIZON_DAYS)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """SLA time between ``start`` and ``end``: wall-clock, or the business hours in between."""
        if end <= start:
            return timedelta(0)
        if self.business is None:
            return end - start
        total = timedelta(0)
        for begin, close in self.windows(start):
            if begin >= end:
                break
            overlap = min(close, end) - max(begin, start)
            if overlap > timedelta(0):
                total += overlap
        return total

    def state(self, start: datetime, now: datetime) -> str:
        """``breached`` past the deadline, ``due`` within the reminder lead of it, else ``ok``."""
        deadline = self.deadline(start)
        if now >= deadline:
            return BREACHED
        return DUE if deadline - now <= self.remind else OK


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def waiting(delta: timedelta) -> str:
    """A short human duration.

    >>> waiting(timedelta(minutes=5)), waiting(timedelta(hours=5, minutes=20)), waiting(timedelta(days=2, hours=3))
    ('5m', '5h 20m', '2d 3h')
    """
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)}m"
    if minutes < 24 * 60:
        return f"{minutes // 60}h {minutes % 60}m"
    return f"{minutes // 1440}d {minutes % 1440 // 60}h"
