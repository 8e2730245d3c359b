"""Data retention: clear raw payloads and delete mentions older than the configured ages.

A step of the main cycle (``retention:`` in the listening config). Aggregates
survive it: before mentions are deleted their hours are counted into
``brand_hourly`` (hours no timeseries run ever materialised included), and the
retention mark then freezes those hours, so a later timeseries rebuild cannot
recount them from what is left and ingest drops re-fetched items that are
already past the horizon (a feed serving an old post again would otherwise be
stored, counted and deleted once per cycle). Alerts, detector state, reach
changes and digest records are never touched. One transaction: a crash prunes
all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from listening.config import Retention
from listening.store import Store, intents, mentions, retention_marks, scores, skipped_items
from listening.timeseries import pruned_before, write_hours
from listening.utc import as_utc

EMPTY_RAW = "{}"


@dataclass
class RetentionReport:
    """What one pass removed; the ``*_before`` times are the horizons applied (None: kept forever)."""

    raw_before: datetime | None = None
    mentions_before: datetime | None = None
    raw_cleared: int = 0
    mentions_deleted: int = 0
    scores_deleted: int = 0
    skipped_deleted: int = 0
    hours_counted: int = 0


def horizon(days: int, now: datetime) -> datetime:
    """``days`` before ``now``, down to the hour, so no hour of ``brand_hourly`` is ever half pruned.

    >>> horizon(30, datetime(2026, 11, 25, 7, 42, tzinfo=timezone.utc)).isoformat()
    '2026-10-26T07:00:00+00:00'
    """
    return (now - timedelta(days=days)).astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def apply_retention(store: Store, retention: Retention, *, now: datetime) -> RetentionReport:
    """Prune by publication time; running it twice at the same ``now`` changes nothing the second time."""
    report = RetentionReport()
    if retention.mention_days:
        cutoff = horizon(retention.mention_days, now)
        with store.transaction() as conn:
            # The mark is written first: on SQLite that takes the write lock before anything is read.
            previous = pruned_before(store, conn)
            mark = max(previous, cutoff) if previous else cutoff
            store.upsert(conn, retention_marks, [{"what": "mentions", "before": mark, "updated_at": now}],
                         update=("before", "updated_at"))
            oldest = conn.execute(sa.select(sa.func.min(mentions.c.published_at))).scalar_one_or_none()
            start = max(as_utc(oldest), previous) if previous and oldest else as_utc(oldest)
            if start is not None and start < cutoff:
                start = start.replace(minute=0, second=0, microsecond=0)
                report.hours_counted = write_hours(store, conn, start, cutoff)["hour"].n_unique()
            report.mentions_deleted = conn.execute(sa.delete(mentions).where(mentions.c.published_at < cutoff)).rowcount
            orphans = scores.c.text_hash.not_in(sa.select(mentions.c.text_hash).distinct())
            report.scores_deleted = conn.execute(sa.delete(scores).where(orphans)).rowcount
            conn.execute(sa.delete(intents).where(intents.c.text_hash.not_in(sa.select(mentions.c.text_hash).distinct())))
            report.skipped_deleted = conn.execute(sa.delete(skipped_items).where(skipped_items.c.last_seen < cutoff)).rowcount
        report.mentions_before = mark
    if retention.raw_days:
        report.raw_before = horizon(retention.raw_days, now)
        with store.transaction() as conn:
            report.raw_cleared = conn.execute(
                sa.update(mentions).where(mentions.c.published_at < report.raw_before, mentions.c.raw != EMPTY_RAW)
                .values(raw=EMPTY_RAW)).rowcount
    return report
