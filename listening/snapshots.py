"""Engagement snapshots: which looks at a tracked account's posts are kept for the reach model.

A tracked account's feed is re-read on every run (every 10 minutes on the
schedule). Keeping every look would grow the table with every poll; keeping
only looks whose counts changed would drop the ones that say "still nothing at
24 h", and so bias the reach model against quiet posts. A look is kept when the
post is new to the table or has passed one of the re-poll ages since its last
kept look: the reach model then sees each post at about 1 h, 6 h, 12 h, 24 h,
48 h, 72 h and 7 d. An immediate re-run passes no new age, so it writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from listening.mention import Mention
from listening.utc import as_utc

__all__ = ["REPOLL_AGES", "is_due", "snapshot_rows"]

REPOLL_AGES = tuple(timedelta(hours=h) for h in (1, 6, 12, 24, 48, 72, 168))


def is_due(posted_at: datetime, last_observed: datetime | None, observed_at: datetime) -> bool:
    """Whether a look at ``observed_at`` is kept, given the post's last kept look.

    >>> from datetime import timezone
    >>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> is_due(t0, None, t0 + timedelta(minutes=5)), is_due(t0, t0 + timedelta(hours=2), t0 + timedelta(hours=5))
    (True, False)
    >>> is_due(t0, t0 + timedelta(hours=2), t0 + timedelta(hours=6, minutes=10))
    True
    """
    if last_observed is None:
        return True
    before, now = as_utc(last_observed) - as_utc(posted_at), as_utc(observed_at) - as_utc(posted_at)
    return any(before < age <= now for age in REPOLL_AGES)


def snapshot_rows(posts: Iterable[Mention], platform: str, account: str,
                  last_observed: dict[str, datetime]) -> list[dict[str, Any]]:
    """Rows for ``engagement_snapshots`` from one fetch of an account, only for looks that are due.

    ``last_observed`` maps a post id (the source's native id) to its last kept
    look; the look itself is the mention's ``fetched_at``.
    """
    rows = []
    for m in posts:
        if not is_due(m.published_at, last_observed.get(m.native_id), m.fetched_at):
            continue
        rows.append({
            "post_id": m.native_id, "observed_at": as_utc(m.fetched_at), "platform": platform, "account": account,
            "posted_at": as_utc(m.published_at), "likes": m.likes, "reposts": m.reposts, "replies": m.replies,
            "views": m.views, "followers": m.author_followers,
        })
    return rows
