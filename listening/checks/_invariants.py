"""The invariants, each one query over the store, and the task outcomes they read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from listening.alerts import SqlRepository
from listening.store import Store, cursors, mentions, scores, task_health
from listening.utc import as_utc

Task = tuple[str, str]  # (source, task key) as the cursors and mentions.query store it


@dataclass(frozen=True)
class CheckOutcome:
    """One evaluation: passed or not, a one-line summary, the failing subjects and a row per subject looked at."""

    name: str
    passed: bool
    summary: str
    failing: tuple[str, ...] = ()
    rows: list[dict[str, Any]] = field(default_factory=list)


def record_outcome(store: Store, source: str, key: str, at: datetime, error: str = "") -> None:
    """Keep a task's latest outcome (``error`` already redacted): what :func:`tasks_succeeded` reports."""
    with store.transaction() as conn:
        old = conn.execute(sa.select(task_health.c.failing_since, task_health.c.error)
                           .where(task_health.c.source == source, task_health.c.key == key)).first()
        since = (as_utc(old.failing_since) if old is not None and old.error else None) or at
        row = {"source": source, "key": key, "attempted_at": at, "error": error or None,
               "failing_since": since if error else None}
        if not error:
            row["succeeded_at"] = at
        store.upsert(conn, task_health, [row], update=[c for c in row if c not in ("source", "key")])


def tasks_succeeded(store: Store, tasks: Sequence[Task], *, now: datetime,
                    within: timedelta = timedelta(hours=1)) -> CheckOutcome:
    """Every task succeeded within ``within`` of ``now``; a task that did not says why (its last error)."""
    with store.engine.connect() as conn:
        health = {(r.source, r.key): r for r in conn.execute(sa.select(task_health))}
    rows, failing = [], []
    for source, key in tasks:
        h = health.get((source, key))
        last_ok = as_utc(h.succeeded_at) if h is not None else None
        if last_ok is not None and now - last_ok <= within:
            why = ""
        elif h is None:
            why = "never fetched"
        elif h.error:
            why = f"failing since {as_utc(h.failing_since):%Y-%m-%d %H:%M} UTC: {h.error}"
        else:
            why = f"no fetch since {as_utc(h.attempted_at):%Y-%m-%d %H:%M} UTC (is the schedule running?)"
        rows.append({"task": key, "last_success": _when(last_ok), "why": why or "ok"})
        if why:
            failing.append(key)
    summary = (f"all {len(tasks)} tasks succeeded in the last {_span(within)}" if not failing
               else f"{len(failing)} of {len(tasks)} tasks did not succeed in the last {_span(within)}: "
               + "; ".join(f"{r['task']}: {r['why']}" for r in rows if r["why"] != "ok")[:600])
    return CheckOutcome("tasks_succeeded", not failing, summary, tuple(failing), rows)


@dataclass(frozen=True)
class Silence:
    """How a task's usual gap is learned: a high quantile of the gaps between its mentions' publication
    times over ``history``, times ``factor``, never below ``floor``; under ``min_gaps`` gaps it is not judged."""

    floor: timedelta = timedelta(hours=24)
    factor: float = 3.0
    quantile: float = 0.9
    min_gaps: int = 5
    history: timedelta = timedelta(days=90)

    def allowed(self, published: Sequence[datetime]) -> timedelta | None:
        """The longest silence this history allows, ``None`` when it is too short to learn from.

        >>> hours = [datetime(2026, 11, 1) + timedelta(hours=6 * i) for i in range(10)]
        >>> Silence().allowed(hours), Silence(floor=timedelta(hours=1)).allowed(hours)
        (datetime.timedelta(days=1), datetime.timedelta(seconds=64800))
        >>> Silence().allowed(hours[:3]) is None
        True
        """
        times = np.array(sorted(t.timestamp() for t in published))
        gaps = np.diff(times)
        if len(gaps) < self.min_gaps:
            return None
        usual = float(np.quantile(gaps, self.quantile))
        return max(self.floor, timedelta(seconds=self.factor * usual))


def tasks_not_silent(store: Store, tasks: Sequence[Task], *, now: datetime, rule: Silence = Silence()) -> CheckOutcome:
    """No task has gone longer without a new item than its own history allows (a feed that answers 200 with nothing)."""
    rows, failing = [], []
    published_by: dict[Task, list[datetime]] = {task: [] for task in tasks}
    sources = sorted({source for source, _ in tasks})
    with store.engine.connect() as conn:  # one pass over the window, not one query per task
        for source, key, at in conn.execute(
                sa.select(mentions.c.source, mentions.c.query, mentions.c.published_at)
                .where(mentions.c.source.in_(sources), mentions.c.published_at >= now - rule.history)):
            if (source, key) in published_by:
                published_by[(source, key)].append(as_utc(at))
        marks = {(r.source, r.key): as_utc(r.watermark) for r in conn.execute(
            sa.select(cursors.c.source, cursors.c.key, cursors.c.watermark).where(cursors.c.source.in_(sources)))}
    for source, key in tasks:
        published = sorted(published_by[(source, key)], reverse=True)
        watermark = marks.get((source, key))
        newest = max([t for t in (*published[:1], watermark) if t is not None], default=None)
        allowed = rule.allowed(published)
        silent = now - newest if newest is not None else None
        if allowed is None:
            verdict = f"learning ({len(published)} items in {rule.history.days} days)"
        elif silent is not None and silent > allowed:
            verdict = f"silent for {_span(silent)}, usually at most {_span(allowed)}"
            failing.append(key)
        else:
            verdict = "ok"
        rows.append({"task": key, "newest_item": _when(newest), "allowed_gap": _span(allowed) if allowed else "",
                     "verdict": verdict})
    summary = (f"no task silent beyond its usual gap ({len(tasks)} tasks)" if not failing else
               f"{len(failing)} of {len(tasks)} tasks silent beyond their usual gap: "
               + "; ".join(f"{r['task']}: {r['verdict']}" for r in rows if r["task"] in failing)[:600])
    return CheckOutcome("tasks_not_silent", not failing, summary, tuple(failing), rows)


def mentions_scored(store: Store, model_id: str, *, now: datetime, lookback: timedelta) -> CheckOutcome:
    """Every mention fetched before ``now - lookback`` (what the cycle's scoring no longer looks at) has a score."""
    cutoff = now - lookback
    scored = sa.exists().where(scores.c.text_hash == mentions.c.text_hash, scores.c.model_id == model_id)
    where = sa.and_(mentions.c.fetched_at < cutoff, ~scored)
    with store.engine.connect() as conn:
        missing = int(conn.execute(sa.select(sa.func.count()).select_from(mentions).where(where)).scalar_one())
        sample = [dict(r) for r in conn.execute(
            sa.select(mentions.c.id, mentions.c.source, mentions.c.fetched_at).where(where)
            .order_by(mentions.c.fetched_at).limit(10)).mappings()]
    summary = (f"every mention fetched before {cutoff:%Y-%m-%d %H:%M} UTC is scored by {model_id}" if not missing
               else f"{missing} mentions fetched before {cutoff:%Y-%m-%d %H:%M} UTC have no score by {model_id}")
    rows = [{"mention": r["id"], "source": r["source"], "fetched": _when(as_utc(r["fetched_at"]))} for r in sample]
    return CheckOutcome("mentions_scored", not missing, summary, tuple(r["mention"] for r in rows), rows)


def native_ids_unique(store: Store) -> CheckOutcome:
    """No (source, native id) is stored twice: the stable mention id still derives from them."""
    count = sa.func.count().label("copies")
    q = (sa.select(mentions.c.source, mentions.c.native_id, count).group_by(mentions.c.source, mentions.c.native_id)
         .having(count > 1).order_by(count.desc()).limit(20))
    with store.engine.connect() as conn:
        dupes = [dict(r) for r in conn.execute(q).mappings()]
    failing = tuple(f"{d['source']}:{d['native_id']}" for d in dupes)
    summary = ("no (source, native id) is stored twice" if not dupes
               else f"{len(dupes)}{'+' if len(dupes) == 20 else ''} (source, native id) pairs stored more than once")
    return CheckOutcome("native_ids_unique", not dupes, summary, failing, dupes)


def alerts_delivered(store: Store, brands: Iterable[str], *, now: datetime, slack: bool,
                     grace: timedelta = timedelta(minutes=30)) -> CheckOutcome:
    """Every alert state of the paged ``brands`` older than ``grace`` reached Slack (when Slack is configured)."""
    paged = set(brands)
    late = [a for a in SqlRepository(store).undelivered() if a.brand in paged and now - as_utc(a.updated_at) > grace]
    rows = [{"alert": a.key, "brand": a.brand, "state": a.delivery_label, "since": _when(as_utc(a.updated_at))}
            for a in late]
    if not slack:
        return CheckOutcome("alerts_delivered", True,
                            f"Slack is not configured: {len(late)} alert states are kept in the store only", (), rows)
    summary = ("every alert state older than " + _span(grace) + " was delivered" if not late
               else f"{len(late)} alert states not delivered after {_span(grace)} (Slack refused or unreachable)")
    return CheckOutcome("alerts_delivered", not late, summary, tuple(a.key for a in late), rows)


def _when(t: datetime | None) -> str:
    return f"{t:%Y-%m-%d %H:%M}" if t is not None else "never"


def _span(d: timedelta) -> str:
    """A duration as people read it.

    >>> _span(timedelta(hours=36)), _span(timedelta(minutes=90)), _span(timedelta(seconds=30))
    ('1.5 d', '1.5 h', '0 min')
    """
    seconds = d.total_seconds()
    if seconds >= 86400:
        return f"{seconds / 86400:.3g} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds // 60:.0f} min"
