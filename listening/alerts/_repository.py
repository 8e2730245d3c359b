"""Where alerts and detector state live: the :class:`AlertRepository` interface, its memory and SQL adapters, and
the delivery claims that let only one run post each alert state."""

from __future__ import annotations

import enum
import json
import os
import socket
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from listening.alerts._model import Alert, AlertExplanation
from listening.errors import StoreError
from listening.utc import as_utc


class AlertRepository(Protocol):
    """The narrow persistence interface the lifecycle needs."""

    def get_alert(self, key: str) -> Alert | None: ...
    def save_alert(self, alert: Alert) -> None: ...
    def undelivered(self) -> list[Alert]: ...
    def load_state(self, key: str) -> dict[str, Any] | None: ...
    def save_state(self, key: str, state: dict[str, Any]) -> None: ...
    def claim(self, key: str, label: str, owner: str) -> "Claim | None": ...
    def mark_delivered(self, key: str, label: str, ts: str, channel: str) -> None: ...
    def release(self, key: str, owner: str) -> None: ...


class Claim(enum.Enum):
    """How a run got the right to post: a fresh claim, or one taken over from a run that died mid-post."""

    FRESH = "fresh"
    TAKEN_OVER = "taken_over"


def new_owner() -> str:
    """A claim owner id naming this host and process, so a restarted run can see that a claimant died."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_is_dead(owner: str | None) -> bool:
    """True only for an owner on this host whose process is gone; unknown hosts count as alive (wait for the lease)."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:32] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


class MemoryRepository:
    """Dict-backed repository for tests and store-less runs."""

    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}
        self.states: dict[str, dict[str, Any]] = {}

    def get_alert(self, key: str) -> Alert | None:
        return self.alerts.get(key)

    def save_alert(self, alert: Alert) -> None:
        old = self.alerts.get(alert.key)
        if old is not None:
            alert = replace(alert, delivered_state=old.delivered_state, slack_ts=old.slack_ts, slack_channel=old.slack_channel)
        self.alerts[alert.key] = alert

    def undelivered(self) -> list[Alert]:
        pending = [a for a in self.alerts.values() if a.delivered_state != a.delivery_label]
        return sorted(pending, key=lambda a: (a.opened_at, a.key))

    def claim(self, key: str, label: str, owner: str) -> Claim | None:
        return Claim.FRESH if self.alerts[key].delivered_state != label else None

    def mark_delivered(self, key: str, label: str, ts: str, channel: str) -> None:
        a = self.alerts[key]
        self.alerts[key] = replace(a, delivered_state=label, slack_ts=a.slack_ts or ts, slack_channel=a.slack_channel or channel)

    def release(self, key: str, owner: str) -> None:
        """Nothing to release: a single process owns a memory repository."""

    def load_state(self, key: str) -> dict[str, Any] | None:
        return self.states.get(key)

    def save_state(self, key: str, state: dict[str, Any]) -> None:
        self.states[key] = json.loads(json.dumps(state, allow_nan=False))


class SqlRepository:
    """Adapter over :mod:`listening.store`'s ``alerts`` and ``detector_state`` tables."""

    def __init__(self, store: Any) -> None:
        from listening import store as store_module

        self.store, self.t_alerts, self.t_state = store, store_module.alerts, store_module.detector_state

    def _read(self, query: Any) -> list[dict[str, Any]]:
        try:
            with self.store.engine.connect() as conn:
                return [dict(r) for r in conn.execute(query).mappings()]
        except SQLAlchemyError as exc:
            raise StoreError(f"reading crisis alerts failed: {exc.__class__.__name__}") from exc

    def get_alert(self, key: str) -> Alert | None:
        rows = self._read(sa.select(self.t_alerts).where(self.t_alerts.c.key == key))
        return alert_from_row(rows[0]) if rows else None

    def save_alert(self, alert: Alert) -> None:
        """Write the lifecycle columns; delivery columns belong to :meth:`mark_delivered` alone.

        The database keeps the newest bucket's version: a restarted or overlapping run replaying older
        buckets cannot move an alert back to an earlier state (which would post that state again).
        """
        row, t = _alert_to_row(alert), self.t_alerts
        with self.store.transaction() as conn:
            self.store.upsert(conn, t, [row], update=[k for k in row if k not in _DELIVERY_COLUMNS],
                              where=lambda new: t.c.window_end <= new.window_end)

    def claim(self, key: str, label: str, owner: str, lease: timedelta = timedelta(minutes=5)) -> Claim | None:
        """Atomically take the right to post ``label`` for ``key``; a second, overlapping run gets None.

        A claim left by a run that died mid-post is taken over at once when that run's process is
        gone from this host, else once it is older than ``lease``; the taker learns it
        (:attr:`Claim.TAKEN_OVER`), because the dead run may have posted before it died.
        """
        t, now = self.t_alerts, datetime.now(timezone.utc)
        with self.store.transaction() as conn:
            held = conn.execute(sa.select(t.c.claimed_by).where(t.c.key == key)).scalar_one_or_none()
            free = sa.or_(t.c.claimed_at.is_(None), t.c.claimed_at < now - lease)
            if held is not None and owner_is_dead(held):
                free = sa.or_(free, t.c.claimed_by == held)
            q = (sa.update(t).where(t.c.key == key)
                 .where(sa.or_(t.c.delivered_state.is_(None), t.c.delivered_state != label))
                 .where(free).values(claimed_by=owner, claimed_at=now))
            if conn.execute(q).rowcount != 1:
                return None
        return Claim.FRESH if held is None else Claim.TAKEN_OVER

    def mark_delivered(self, key: str, label: str, ts: str, channel: str) -> None:
        t = self.t_alerts
        with self.store.transaction() as conn:
            conn.execute(sa.update(t).where(t.c.key == key).values(
                delivered_state=label, claimed_by=None, claimed_at=None,
                slack_ts=sa.func.coalesce(t.c.slack_ts, ts or None),
                slack_channel=sa.func.coalesce(t.c.slack_channel, channel or None)))

    def release(self, key: str, owner: str) -> None:
        t = self.t_alerts
        with self.store.transaction() as conn:
            conn.execute(sa.update(t).where(t.c.key == key, t.c.claimed_by == owner).values(claimed_by=None, claimed_at=None))

    def undelivered(self) -> list[Alert]:
        t = self.t_alerts
        q = sa.select(t).where(sa.or_(t.c.delivered_state.is_(None), t.c.delivered_state != t.c.state))
        alerts = [alert_from_row(r) for r in self._read(q.order_by(t.c.opened_at, t.c.key))]
        return [a for a in alerts if a.delivered_state != a.delivery_label]

    def recent(self, *, brand: str | None = None, state: str | None = None, since: datetime | None = None,
               limit: int = 50) -> list[Alert]:
        """Alerts newest first; ``state`` is ``open`` (not yet resolved, updates included) or ``resolved``;
        ``since`` keeps episodes still running at or after that time."""
        t = self.t_alerts
        q = sa.select(t)
        if brand:
            q = q.where(t.c.brand == brand)
        if state == "open":
            q = q.where(t.c.state != "resolved")
        elif state:
            q = q.where(t.c.state == state)
        if since is not None:
            q = q.where(t.c.window_end >= since)
        return [alert_from_row(r) for r in self._read(q.order_by(t.c.window_start.desc(), t.c.key).limit(limit))]

    def load_state(self, key: str) -> dict[str, Any] | None:
        rows = self._read(sa.select(self.t_state.c.state).where(self.t_state.c.key == key))
        return json.loads(rows[0]["state"]) if rows else None

    def save_state(self, key: str, state: dict[str, Any]) -> None:
        row = {"key": key, "state": json.dumps(state, allow_nan=False), "updated_at": datetime.now(timezone.utc)}
        with self.store.transaction() as conn:
            self.store.upsert(conn, self.t_state, [row], update=("state", "updated_at"))


_DELIVERY_COLUMNS = frozenset({"key", "slack_ts", "slack_channel", "delivered_state"})


def _alert_to_row(a: Alert) -> dict[str, Any]:
    payload = {"revision": a.revision, "explanation": a.explanation.to_dict()}
    return {
        "key": a.key, "brand": a.brand, "state": a.state, "severity": a.severity, "opened_at": a.opened_at,
        "updated_at": a.updated_at, "resolved_at": a.resolved_at, "window_start": a.window_start,
        "window_end": a.window_end, "payload": json.dumps(payload, ensure_ascii=False),
        "slack_ts": a.slack_ts or None, "slack_channel": a.slack_channel or None, "delivered_state": a.delivered_state,
    }


def alert_from_row(r: dict[str, Any]) -> Alert:
    """An :class:`Alert` from a row of the store's ``alerts`` table (the payload JSON decoded)."""
    payload = json.loads(r["payload"])
    return Alert(
        key=r["key"], brand=r["brand"], state=r["state"], severity=r["severity"], opened_at=as_utc(r["opened_at"]),
        updated_at=as_utc(r["updated_at"]), window_start=as_utc(r["window_start"]), window_end=as_utc(r["window_end"]),
        explanation=AlertExplanation.from_dict(payload["explanation"]), revision=int(payload.get("revision", 0)),
        resolved_at=as_utc(r["resolved_at"]), slack_ts=r["slack_ts"] or "", slack_channel=r["slack_channel"] or "",
        delivered_state=r["delivered_state"],
    )
