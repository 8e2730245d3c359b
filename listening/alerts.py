"""Crisis alert lifecycle (open -> updated -> resolved), its explanation, and delivery.

Pure logic first: :class:`AlertLifecycle` takes a brand's per-bucket stats,
feeds the negative count to :class:`~listening.crisis.SpikeDetector`, and keeps
one :class:`Alert` per surge episode (key ``brand:episode-start-iso``).  State
lives behind the narrow :class:`AlertRepository` interface
(:class:`MemoryRepository`, or :class:`SqlRepository` over the store's
``alerts`` and ``detector_state`` tables), and :func:`deliver` posts each alert
state to Slack exactly once: a new thread when opened, thread replies for
updates and resolution, retried on the next run if Slack was unreachable.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import socket
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from listening.crisis import SEVERITIES, BucketStats, Decision, DetectorConfig, Post, SpikeDetector
from listening.errors import DeliveryError, StoreError
from listening.slack import PostResult, SlackClient, context, divider, escape, header, link, section, truncate

__all__ = [
    "Alert", "AlertExplanation", "AlertLifecycle", "AlertRepository", "BucketStats", "Claim",
    "MemoryRepository", "Post", "SqlRepository", "deliver", "render", "sparkline",
]

log = logging.getLogger(__name__)

_SPARK = "▁▂▃▄▅▆▇█"
_EMOJI = {"low": ":large_yellow_circle:", "medium": ":large_orange_circle:", "high": ":red_circle:", "critical": ":rotating_light:"}


@dataclass(frozen=True)
class AlertExplanation:
    """Everything on-call needs to judge a surge at a glance (stored as the alert's payload)."""

    brand: str
    ratio: float
    baseline: float
    current: float
    share_now: float
    share_baseline: float
    since: str
    peak: float = 0.0
    reach_negative: float = 0.0
    terms: list[tuple[str, int]] = field(default_factory=list)
    topics: list[tuple[str, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    evolution: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AlertExplanation":
        data = dict(data)
        for key in ("terms", "topics", "languages", "sources"):
            data[key] = [(str(k), int(v)) for k, v in data.get(key, [])]
        data["posts"] = [Post(**p) for p in data.get("posts", [])]
        return cls(**data)


@dataclass(frozen=True)
class Alert:
    """One surge episode; mirrors a row of the store's ``alerts`` table."""

    key: str
    brand: str
    state: str
    severity: str
    opened_at: datetime
    updated_at: datetime
    window_start: datetime
    window_end: datetime
    explanation: AlertExplanation
    revision: int = 0
    resolved_at: datetime | None = None
    slack_ts: str = ""
    slack_channel: str = ""
    delivered_state: str | None = None

    @property
    def delivery_label(self) -> str:
        """What "this state" means for once-only delivery: each update revision counts once."""
        return f"updated:{self.revision}" if self.state == "updated" else self.state


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
        return _alert_from_row(rows[0]) if rows else None

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
        alerts = [_alert_from_row(r) for r in self._read(q.order_by(t.c.opened_at, t.c.key))]
        return [a for a in alerts if a.delivered_state != a.delivery_label]

    def load_state(self, key: str) -> dict[str, Any] | None:
        rows = self._read(sa.select(self.t_state.c.state).where(self.t_state.c.key == key))
        return json.loads(rows[0]["state"]) if rows else None

    def save_state(self, key: str, state: dict[str, Any]) -> None:
        row = {"key": key, "state": json.dumps(state, allow_nan=False), "updated_at": datetime.now(timezone.utc)}
        with self.store.transaction() as conn:
            self.store.upsert(conn, self.t_state, [row], update=("state", "updated_at"))


def _aware(ts: datetime | None) -> datetime | None:
    return ts.replace(tzinfo=timezone.utc) if ts is not None and ts.tzinfo is None else ts


_DELIVERY_COLUMNS = frozenset({"key", "slack_ts", "slack_channel", "delivered_state"})


def _alert_to_row(a: Alert) -> dict[str, Any]:
    payload = {"revision": a.revision, "explanation": a.explanation.to_dict()}
    return {
        "key": a.key, "brand": a.brand, "state": a.state, "severity": a.severity, "opened_at": a.opened_at,
        "updated_at": a.updated_at, "resolved_at": a.resolved_at, "window_start": a.window_start,
        "window_end": a.window_end, "payload": json.dumps(payload, ensure_ascii=False),
        "slack_ts": a.slack_ts or None, "slack_channel": a.slack_channel or None, "delivered_state": a.delivered_state,
    }


def _alert_from_row(r: dict[str, Any]) -> Alert:
    payload = json.loads(r["payload"])
    return Alert(
        key=r["key"], brand=r["brand"], state=r["state"], severity=r["severity"], opened_at=_aware(r["opened_at"]),
        updated_at=_aware(r["updated_at"]), window_start=_aware(r["window_start"]), window_end=_aware(r["window_end"]),
        explanation=AlertExplanation.from_dict(payload["explanation"]), revision=int(payload.get("revision", 0)),
        resolved_at=_aware(r["resolved_at"]), slack_ts=r["slack_ts"] or "", slack_channel=r["slack_channel"] or "",
        delivered_state=r["delivered_state"],
    )


def sparkline(values: list[float]) -> str:
    """Volume evolution in one line.

    >>> sparkline([0, 1, 2, 7])
    '▁▂▃█'
    """
    if not values:
        return ""
    lo, span = min(values), (max(values) - min(values)) or 1.0
    return "".join(_SPARK[round((v - lo) / span * (len(_SPARK) - 1))] for v in values)


class AlertLifecycle:
    """Turns one brand's bucket stream into alert episodes; resumable from the repository."""

    def __init__(
        self, brand: str, repo: AlertRepository, config: DetectorConfig | None = None,
        *, growth: float = 1.5, keep_buckets: int = 24, share_halflife: float = 96.0,
    ) -> None:
        self.brand, self.repo, self.growth, self.keep = brand, repo, growth, keep_buckets
        self._share_decay = 0.5 ** (1.0 / share_halflife)
        saved = repo.load_state(self.state_key)
        if saved:
            self.detector = SpikeDetector.from_state(saved["detector"])
            self.s = saved["lifecycle"]
        else:
            self.detector = SpikeDetector(config)
            self.s = {"open": None, "share": None, "recent": [], "episode": None}

    @property
    def state_key(self) -> str:
        return f"crisis:{self.brand}"

    def observe_many(self, buckets: list[BucketStats]) -> list[Alert]:
        """Feed buckets in time order, saving state once at the end.

        Buckets at or before the last one already fed are skipped, so re-running a
        window changes nothing.  Feed complete buckets only.
        """
        last = self.detector.last_timestamp
        fresh = [b for b in buckets if last is None or b.start.astimezone(timezone.utc) > last]
        changed = [a for b in fresh for a in self.observe(b, save=False)]
        self.save()
        return changed

    def save(self) -> None:
        self.repo.save_state(self.state_key, {"detector": self.detector.to_state(), "lifecycle": self.s})

    def observe(self, stats: BucketStats, *, save: bool = True) -> list[Alert]:
        """Feed one bucket; return the alerts it resolved, opened or grew (usually none)."""
        d = self.detector.update(stats.start, stats.negative)
        self.s["recent"] = (self.s["recent"] + [float(stats.negative)])[-self.keep :]
        changed: list[Alert] = []
        if self.s["open"] and d.resolved:
            _accumulate(self.s["episode"], stats)
            changed.append(self._save(self.s["open"], "resolved", stats, d))
            self.s["open"], self.s["episode"] = None, None
        if d.alarm:
            self.s["episode"] = _new_episode()
            self.s["open"] = f"{self.brand}:{(d.episode_start or stats.start).astimezone(timezone.utc).isoformat()}"
            _accumulate(self.s["episode"], stats)
            changed.append(self._save(self.s["open"], "open", stats, d))
        elif self.s["open"]:
            _accumulate(self.s["episode"], stats)
            if self._grew(self.s["episode"], stats):
                changed.append(self._save(self.s["open"], "updated", stats, d))
        if self.s["open"] is None and stats.total:
            prev = self.s["share"]
            self.s["share"] = stats.negative_share if prev is None else (
                self._share_decay * prev + (1 - self._share_decay) * stats.negative_share)
        if save:
            self.save()
        return changed

    def _grew(self, ep: dict[str, Any], stats: BucketStats) -> bool:
        """Notable growth since the last notification: x1.5 volume, or a new language or source.

        A language or source counts once it has 3 negative mentions in the episode, so a
        single stray post does not trigger an update.
        """
        if stats.negative >= self.growth * ep["notified_peak"]:
            return True
        return bool(_involved(ep["languages"]) - set(ep["notified_languages"])
                    or _involved(ep["sources"]) - set(ep["notified_sources"]))

    def _save(self, key: str, state: str, stats: BucketStats, d: Decision) -> Alert:
        ep = self.s["episode"] or _new_episode()
        old = self.repo.get_alert(key)
        explanation = self._explain(stats, d, ep, old.window_start if old else None)
        severity = d.severity or "low"
        if old is not None and SEVERITIES.index(old.severity) > SEVERITIES.index(severity):
            severity = old.severity
        opened = old.opened_at if old else stats.start
        alert = Alert(
            key=key, brand=self.brand, state=state, severity=severity, opened_at=opened, updated_at=stats.start,
            window_start=d.episode_start or (old.window_start if old else stats.start), window_end=stats.start,
            explanation=explanation, revision=_revision(old, state, stats.start),
            resolved_at=stats.start if state == "resolved" else None,
        )
        if old is not None:
            alert = replace(alert, slack_ts=old.slack_ts, slack_channel=old.slack_channel,
                            delivered_state=old.delivered_state, window_start=old.window_start)
        ep["notified_peak"] = max(ep["notified_peak"], float(stats.negative))
        ep["notified_languages"] = sorted(_involved(ep["languages"]) | set(ep["notified_languages"]))
        ep["notified_sources"] = sorted(_involved(ep["sources"]) | set(ep["notified_sources"]))
        self.repo.save_alert(alert)
        return alert

    def _explain(self, stats: BucketStats, d: Decision, ep: dict[str, Any],
                 opened_window: datetime | None = None) -> AlertExplanation:
        """``since`` is the episode's start; a resolving bucket has none, so the alert's own start is kept."""
        since = (d.episode_start or opened_window or stats.start).astimezone(timezone.utc)
        top = lambda c: Counter(c).most_common(5)  # noqa: E731
        share_base = self.s["share"] if self.s["share"] is not None else stats.negative_share
        return AlertExplanation(
            brand=self.brand, ratio=round(stats.negative / max(d.baseline, 1e-9), 2), baseline=round(d.baseline, 2),
            current=float(stats.negative), share_now=round(stats.negative_share, 4), share_baseline=round(share_base, 4),
            since=since.isoformat(), peak=ep["peak"], reach_negative=round(ep["reach"], 1),
            terms=top(ep["terms"]), topics=top(ep["topics"]), languages=top(ep["languages"]),
            sources=top(ep["sources"]), posts=[Post(**p) for p in ep["posts"]], evolution=list(self.s["recent"]),
        )


def _revision(old: Alert | None, state: str, bucket: datetime) -> int:
    """The next revision, or the same one when a restarted or overlapping run replays a bucket already recorded."""
    if old is None:
        return 0
    return old.revision if (old.state, old.window_end) == (state, bucket) else old.revision + 1


def _involved(counts: dict[str, int], least: int = 3) -> set[str]:
    return {k for k, v in counts.items() if v >= least}


def _new_episode() -> dict[str, Any]:
    return {"terms": {}, "topics": {}, "languages": {}, "sources": {}, "posts": [], "peak": 0.0, "reach": 0.0,
            "notified_peak": 0.0, "notified_languages": [], "notified_sources": []}


def _accumulate(ep: dict[str, Any], stats: BucketStats) -> None:
    """Fold one bucket into the episode's running explanation (JSON-friendly dicts)."""
    for name in ("terms", "topics", "languages", "sources"):
        for k, v in getattr(stats, name).items():
            ep[name][k] = ep[name].get(k, 0) + int(v)
    ep["peak"] = max(ep["peak"], float(stats.negative))
    ep["reach"] += stats.reach_negative
    posts = {p["url"]: p for p in ep["posts"]}
    for p in stats.posts:
        posts.setdefault(p.url, asdict(p))
    ep["posts"] = sorted(posts.values(), key=lambda p: -p["reach"])[:5]


def render(alert: Alert) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and Block Kit blocks for an alert in its current state; all user text escaped."""
    e = alert.explanation
    brand = escape(alert.brand)
    title = {"open": "Negative spike", "updated": "Spike growing", "resolved": "Resolved"}[alert.state]
    icon = ":white_check_mark:" if alert.state == "resolved" else _EMOJI.get(alert.severity, "")
    since = datetime.fromisoformat(e.since).strftime("%Y-%m-%d %H:%M UTC")
    text = f"{title}: {brand} ({alert.severity}) {e.ratio:.1f}x normal negative volume since {since}"
    blocks: list[dict[str, Any]] = [header(f"{title}: {alert.brand} ({alert.severity})")]
    blocks.append(section(
        f"{icon} *{e.ratio:.1f}×* normal negative volume: *{e.current:.0f}* vs ~{e.baseline:.1f} per bucket"
        f" (peak {e.peak:.0f}) since {since}\n"
        f"Negative share *{e.share_now:.0%}* (usually {e.share_baseline:.0%})"
        + (f" · negative reach {e.reach_negative:,.0f}" if e.reach_negative else "")
    ))
    facts = [
        ("Languages", e.languages), ("Sources", e.sources), ("Top terms", e.terms), ("Topics", e.topics),
    ]
    lines = [f"*{name}:* " + ", ".join(f"{escape(k)} ({v})" for k, v in items) for name, items in facts if items]
    if lines:
        blocks.append(section("\n".join(lines)))
    if e.posts:
        blocks.append(divider())
    for p in e.posts:
        who = " · ".join(x for x in (p.author, p.source, f"reach {p.reach:,}" if p.reach else "") if x)
        blocks.append(section(f"{link(p.url, who or 'post')}\n>{escape(truncate(p.text.replace(chr(10), ' '), 280))}"))
    blocks.append(context(f"volume {sparkline(e.evolution)}", f"alert `{escape(alert.key)}`"))
    return text, blocks


def deliver(repo: AlertRepository, client: SlackClient, brands: set[str] | None = None) -> list[tuple[str, str]]:
    """Post every alert whose current state was not yet delivered; returns (key, label) posted.

    ``brands`` limits paging to those brands (on-call is paged for the own brand;
    competitors' crises stay in the store for the digest and the UI). A failure
    leaves ``delivered_state`` untouched so the next run retries it. Each post carries
    its (alert, state) as Slack message metadata: a run that takes over the claim of a
    run killed mid-post first looks for that post in Slack and records it instead of
    posting twice (bot mode with a channel id; webhooks cannot be read back).
    """
    posted: list[tuple[str, str]] = []
    owner = new_owner()
    for pending in repo.undelivered():
        if brands is not None and pending.brand not in brands:
            continue
        claim = repo.claim(pending.key, pending.delivery_label, owner)
        if claim is None:
            continue
        alert = repo.get_alert(pending.key) or pending
        marker = (ALERT_EVENT, {"key": alert.key, "state": alert.delivery_label})
        try:
            landed = _landed_before(client, alert, marker) if claim is Claim.TAKEN_OVER else None
            if landed is not None:
                log.info("alert %s (%s) was posted by a run that died before recording it", alert.key, alert.delivery_label)
            text, blocks = render(alert)
            result = landed or client.post(text, blocks, thread_ts=alert.slack_ts, marker=marker)
        except DeliveryError as exc:
            repo.release(alert.key, owner)
            log.warning("alert %s (%s) not delivered, will retry next run: %s", alert.key, alert.delivery_label, exc)
            continue
        repo.mark_delivered(alert.key, alert.delivery_label, result.ts, result.channel)
        if landed is None:
            posted.append((alert.key, alert.delivery_label))
    return posted


ALERT_EVENT = "listening_alert"


def _landed_before(client: SlackClient, alert: Alert, marker: tuple[str, dict[str, str]]) -> PostResult | None:
    """The post an interrupted run made for this state, if Slack has it; None when it did not land or cannot be known."""
    try:
        return client.find_post(marker, channel=alert.slack_channel, thread_ts=alert.slack_ts)
    except DeliveryError as exc:
        log.warning("cannot check whether alert %s (%s) was already posted (%s); posting it, "
                    "which may repeat a post made just before a crash", alert.key, alert.delivery_label, exc)
        return None
