"""Resuming newest-first paging: a run that stops early leaves a backlog, the next run reads it.

Every paged source reads newest first, down to where the last run left off. When a
run stops before that (request cap, a page that fails mid-way, a truncated answer)
the items between the start and the oldest one read are not lost: the cursor keeps
them as a :class:`~listening.sources.base.Backlog`. A source that can ask for a time
window (``until``) reads new items first, then the backlog with what is left of its
budget; one that can only page from the top reads down to the backlog's start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from listening.sources.base import Backlog, Cursor

__all__ = ["Window", "read_with_backlog"]

#: ``window(after, until)`` reads items dated in ``(after, until]`` (``until=None``: up to now), newest first;
#: returns ``None`` when it reached ``after``, else the date down to which it read before stopping.
Window = Callable[[datetime, datetime | None], datetime | None]


def read_with_backlog(cursor: Cursor, start: datetime, window: Window, *, can_jump: bool = True) -> Backlog | None:
    """Read from ``start`` and the cursor's backlog through ``window``; returns the backlog left for next time.

    ``can_jump=False`` for APIs that only page from the newest item: the one read goes down to the
    older of ``start`` and the backlog's start.

    >>> from datetime import timezone
    >>> day = lambda d: datetime(2026, 11, d, tzinfo=timezone.utc)
    >>> asked = []
    >>> def window(after, until):
    ...     asked.append((after.day, until and until.day))
    ...     return day(20) if until is None else None  # new items stop early; the old gap is read to its end
    >>> read_with_backlog(Cursor(backlog=Backlog(day(1), day(5))), day(10), window)
    Backlog(after=datetime.datetime(2026, 11, 1, 0, 0, tzinfo=datetime.timezone.utc), until=datetime.datetime(2026, 11, 20, 0, 0, tzinfo=datetime.timezone.utc))
    >>> asked
    [(10, None)]
    """
    gap = cursor.backlog
    if not can_jump:
        after = min(start, gap.after) if gap is not None else start
        return _left(after, window(after, None))
    fresh = _left(start, window(start, None))
    if fresh is not None:
        return fresh.merged(gap)
    if gap is None:
        return None
    return _left(gap.after, window(gap.after, gap.until))


def _left(after: datetime, stopped: datetime | None) -> Backlog | None:
    """The window a read starting at ``after`` left unread (none when it finished, or stopped at its end)."""
    return Backlog(after, stopped) if stopped is not None and stopped > after else None
