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

#: ``window(after, until, token)`` reads items dated in ``(after, until]`` (``until=None``: up to now), newest
#: first, starting at page ``token`` when given; returns ``None`` when it reached ``after``, else where it
#: stopped: the date down to which it read and the token of the next page (``None`` if the API has none).
Window = Callable[[datetime, "datetime | None", "str | None"], "tuple[datetime, str | None] | None"]


def read_with_backlog(cursor: Cursor, start: datetime, window: Window, *, can_jump: bool = True) -> Backlog | None:
    """Read from ``start`` and the cursor's backlog through ``window``; returns the backlog left for next time.

    ``can_jump=False`` for APIs that only page from the newest item: the one read goes down to the
    older of ``start`` and the backlog's start.

    >>> from datetime import timezone
    >>> day = lambda d: datetime(2026, 11, d, tzinfo=timezone.utc)
    >>> asked = []
    >>> def window(after, until, token):
    ...     asked.append((after.day, until and until.day, token))
    ...     return (day(20), "p4") if until is None else None  # new items stop early at page 4
    >>> gap = read_with_backlog(Cursor(backlog=Backlog(day(1), day(5), "p9")), day(10), window)
    >>> gap.after.day, gap.until.day, gap.token, asked
    (1, 20, None, [(10, None, None)])
    >>> read_with_backlog(Cursor(backlog=Backlog(day(1), day(5), "p9")), day(10), lambda *a: asked.append(a[2]))
    >>> asked[-2:]
    [None, 'p9']
    """
    gap = cursor.backlog
    if not can_jump:
        after = min(start, gap.after) if gap is not None else start
        return _left(after, window(after, None, None))
    fresh = _left(start, window(start, None, None))
    if fresh is not None:
        return fresh.merged(gap)
    if gap is None:
        return None
    return _left(gap.after, window(gap.after, gap.until, gap.token))


def _left(after: datetime, stopped: tuple[datetime, str | None] | None) -> Backlog | None:
    """The window a read starting at ``after`` left unread (none when it finished, or stopped at its end)."""
    if stopped is None or stopped[0] <= after:
        return None
    return Backlog(after, stopped[0], stopped[1])
