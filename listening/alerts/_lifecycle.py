"""The alert lifecycle (open -> updated -> resolved): one brand's bucket stream turned into surge episodes."""

from __future__ import annotations

import copy
import logging
from collections import Counter
from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from listening.alerts._model import Alert, AlertExplanation
from listening.alerts._repository import AlertRepository
from listening.alerts._severity import INVOLVED, grade_episode
from listening.crisis import (
    SEVERITIES, BucketStats, Decision, DetectorConfig, Post, SpikeDetector, evidence_rank, restore_detector,
)


log = logging.getLogger(__name__)


def _last_fed(saved: Any) -> datetime | None:
    """Start of the last bucket judged before, read defensively (the state may be any old shape).

    The lifecycle's own mark first (independent of the detector's internals), else the detector's.
    """
    try:
        mark = _time_or_none(saved["lifecycle"]["fed_until"])
    except (KeyError, TypeError):
        mark = None
    if mark is not None:
        return mark
    try:
        state, config = saved["detector"]["state"], saved["detector"]["config"]
        if state["_t0"] is None or state["_last"] < 0:
            return None
        return datetime.fromtimestamp(float(state["_t0"]) + int(state["_last"]) * int(config["bucket_seconds"]), timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _time_or_none(value: Any) -> datetime | None:
    """An ISO time kept in the lifecycle state, or None when absent or unreadable (the state may be hand-edited)."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class AlertLifecycle:
    """Turns one brand's bucket stream into alert episodes; resumable from the repository."""

    def __init__(
        self, brand: str, repo: AlertRepository, config: DetectorConfig | None = None,
        *, growth: float = 1.5, keep_buckets: int = 24, share_halflife: float = 96.0,
    ) -> None:
        self.brand, self.repo, self.growth, self.keep = brand, repo, growth, keep_buckets
        self._share_decay = 0.5 ** (1.0 / share_halflife)
        saved = repo.load_state(self.state_key)
        fresh: dict[str, Any] = {"open": None, "share": None, "recent": [], "episode": None, "replay_until": None,
                                 "fed_until": None}
        #: Why the saved detector was discarded on this load (None when it was kept or there was none).
        self.reset: str | None = None
        if not saved:
            self.detector, self.s = SpikeDetector(config), fresh
            return
        detector, self.reset = restore_detector(saved.get("detector") if isinstance(saved, dict) else saved, config)
        lifecycle = saved.get("lifecycle") if isinstance(saved, dict) else None
        self.s = {**fresh, **lifecycle} if isinstance(lifecycle, dict) else fresh
        if detector is None:
            detector = SpikeDetector(config or DetectorConfig())
            last = _last_fed(saved)
            self.s["replay_until"] = last.isoformat() if last else None
            log.warning("crisis detector for %s discarded (%s); re-learning from stored history%s", brand, self.reset,
                        f", silently up to {last.isoformat()}" if last else "")
        self.detector = detector
        if self.reset:
            self.save()  # the discard is logged once: the next load finds the fresh state

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
        """Feed one bucket; return the alerts it resolved, opened or grew (usually none).

        Buckets up to ``replay_until`` (the last one a discarded detector had judged) only re-teach the
        fresh detector: they were judged before, so they open, update and resolve nothing.
        """
        d = self.detector.update(stats.start, stats.negative)
        self.s["recent"] = (self.s["recent"] + [float(stats.negative)])[-self.keep :]
        self.s["fed_until"] = stats.start.astimezone(timezone.utc).isoformat()
        replay = _time_or_none(self.s.get("replay_until"))
        if replay and stats.start.astimezone(timezone.utc) <= replay:
            if save:
                self.save()
            return []
        self.s["replay_until"] = None
        step = timedelta(seconds=self.detector.config.bucket_seconds)
        changed: list[Alert] = []
        if self.s["open"] and (d.resolved or not d.in_episode):  # a re-learned detector may be past the episode
            _accumulate(self.s["episode"], stats, d, step)
            changed.append(self._save(self.s["open"], "resolved", stats, d))
            self.s["open"], self.s["episode"] = None, None
        if d.alarm:
            self.s["episode"] = _new_episode()
            self.s["open"] = f"{self.brand}:{(d.episode_start or stats.start).astimezone(timezone.utc).isoformat()}"
            _accumulate(self.s["episode"], stats, d, step)
            changed.append(self._save(self.s["open"], "open", stats, d))
        elif self.s["open"]:
            _accumulate(self.s["episode"], stats, d, step)
            if self._grew(self.s["episode"]):
                changed.append(self._save(self.s["open"], "updated", stats, d))
        if self.s["open"] is None and stats.total:
            prev = self.s["share"]
            self.s["share"] = stats.negative_share if prev is None else (
                self._share_decay * prev + (1 - self._share_decay) * stats.negative_share)
        if save:
            self.save()
        return changed

    def _grew(self, ep: dict[str, Any]) -> bool:
        """A change worth a reply: a new peak ``growth`` x the last notified one, a higher severity, or a new language or source.

        A language or source counts once it has :data:`INVOLVED` negative mentions in the episode,
        so a single stray post does not trigger an update.
        """
        if ep["peak"] >= self.growth * max(ep["notified_peak"], 1.0):
            return True
        if SEVERITIES.index(_severity(ep)) > SEVERITIES.index(ep["notified_severity"]):
            return True
        return bool(_involved(ep["languages"]) - set(ep["notified_languages"])
                    or _involved(ep["sources"]) - set(ep["notified_sources"]))

    def _save(self, key: str, state: str, stats: BucketStats, d: Decision) -> Alert:
        ep = self.s["episode"] or _new_episode()
        old = self.repo.get_alert(key)
        explanation = self._explain(stats, d, ep, state, old.window_start if old else None)
        severity = _severity(ep)
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
        ep["notified_peak"] = max(ep["notified_peak"], ep["peak"])
        ep["notified_severity"] = severity
        ep["notified_languages"] = sorted(_involved(ep["languages"]) | set(ep["notified_languages"]))
        ep["notified_sources"] = sorted(_involved(ep["sources"]) | set(ep["notified_sources"]))
        ep["shown"] = sorted(set(ep["shown"]) | {p.url for p in explanation.posts})
        self.repo.save_alert(alert)
        return alert

    def _explain(self, stats: BucketStats, d: Decision, ep: dict[str, Any], state: str,
                 opened_window: datetime | None = None) -> AlertExplanation:
        """``since`` is the episode's start; a resolving bucket has none, so the alert's own start is kept."""
        since = (d.episode_start or opened_window or stats.start).astimezone(timezone.utc)
        top = lambda c: Counter(c).most_common(5)  # noqa: E731
        share_base = self.s["share"] if self.s["share"] is not None else stats.negative_share
        new_langs = sorted(_involved(ep["languages"]) - set(ep["notified_languages"])) if state == "updated" else []
        new_srcs = sorted(_involved(ep["sources"]) - set(ep["notified_sources"])) if state == "updated" else []
        _, reasons = _grade(ep)
        raised = ep["notified_severity"] if state == "updated" and _severity(ep) != ep["notified_severity"] else ""
        return AlertExplanation(
            brand=self.brand, ratio=round(stats.negative / max(d.baseline, 1e-9), 2), baseline=round(d.baseline, 2),
            current=float(stats.negative), share_now=round(stats.negative_share, 4), share_baseline=round(share_base, 4),
            since=since.isoformat(), peak=ep["peak"], reach_negative=round(ep["reach"], 1), reach_posts=int(ep["reach_posts"]),
            terms=top(ep["terms"]), topics=top(ep["topics"]), languages=top(ep["languages"]),
            sources=top(ep["sources"]), posts=_fresh_posts(ep, new_langs, new_srcs), evolution=list(self.s["recent"]),
            peak_at=ep["peak_at"], peak_baseline=round(ep["peak_baseline"], 2), peak_ratio=round(ep["peak_ratio"], 2),
            surprise=round(ep["surprise"], 2), total=int(ep["total_active"] or ep["total"]),
            active_until=ep["active_until"], timeline=list(ep["timeline"]), new_languages=new_langs,
            new_sources=new_srcs, severity_reasons=reasons, top_posts=[Post(**p) for p in ep["posts"][:5]],
            bucket_minutes=self.detector.config.bucket_seconds // 60, severity_raised_from=raised,
        )


def _revision(old: Alert | None, state: str, bucket: datetime) -> int:
    """The next revision, or the same one when a restarted or overlapping run replays a bucket already recorded."""
    if old is None:
        return 0
    return old.revision if (old.state, old.window_end) == (state, bucket) else old.revision + 1


def _involved(counts: dict[str, int], least: float = INVOLVED) -> set[str]:
    return {k for k, v in counts.items() if v >= least}


def _grade(ep: dict[str, Any]) -> tuple[str, list[str]]:
    return grade_episode(peak_ratio=ep["peak_ratio"], surprise=ep["surprise"], languages=len(_involved(ep["languages"])),
                         sources=len(_involved(ep["sources"])), reach=ep["reach"])


def _severity(ep: dict[str, Any]) -> str:
    return _grade(ep)[0]


_EPISODE: dict[str, Any] = {
    "terms": {}, "topics": {}, "languages": {}, "sources": {}, "posts": [], "peak": 0.0, "reach": 0.0, "reach_posts": 0,
    "notified_peak": 0.0, "notified_languages": [], "notified_sources": [], "peak_at": "", "peak_baseline": 0.0,
    "peak_ratio": 0.0, "surprise": 0.0, "total": 0, "notified_severity": "low", "total_active": 0, "active_until": "", "timeline": [], "shown": [],
    "tail": {},
}
#: What an episode counts by key. Like ``total_active``, they cover the surge up to its last active bucket: the calm
#: buckets before it resolves are held in ``tail`` and join only if the surge picks up again.
_BREAKDOWNS = ("terms", "topics", "languages", "sources")
#: A bucket belongs to the surge itself while the detector finds it abnormal and it holds this many times the
#: usual count (a rolling window stays abnormal for a while after the surge; its calm buckets do not count).
ACTIVE = 1.5
#: Posts an episode keeps as candidates, so every update can show ones not shown before.
POOL = 40
#: Buckets of an episode's timeline kept (a week of 15-minute buckets).
TIMELINE = 672


def _new_episode() -> dict[str, Any]:
    return copy.deepcopy(_EPISODE)


def _accumulate(ep: dict[str, Any], stats: BucketStats, d: Decision, step: timedelta) -> None:
    """Fold one bucket into the episode's running explanation (JSON-friendly dicts).

    Episodes saved by an earlier version lack the peak fields; they are filled in here.
    """
    for k, v in _EPISODE.items():
        ep.setdefault(k, copy.deepcopy(v))
    active = d.alarm or (d.anomalous and stats.negative >= ACTIVE * d.baseline)
    held = {name: getattr(stats, name) for name in _BREAKDOWNS} | {"": {"reach": stats.reach_negative, "reach_posts": stats.reach_posts}}
    for name, counts in held.items():  # held back until the next bucket of the surge: they describe the same mentions as the total
        tail = ep["tail"].setdefault(name, {})
        for k, v in counts.items():
            tail[k] = tail.get(k, 0) + v
    if active:
        for name, tail in ep["tail"].items():
            into = ep[name] if name else ep  # "": the episode's own sums (reach)
            for k, v in tail.items():
                into[k] = into.get(k, 0) + v
        ep["tail"] = {}
    if stats.negative > ep["peak"] or not ep["peak_ratio"]:
        if stats.negative >= ep["peak"]:
            ep["peak"], ep["peak_at"] = float(stats.negative), stats.start.astimezone(timezone.utc).isoformat()
        ep["peak_baseline"] = float(d.baseline)  # for an episode saved before peaks were kept: today's baseline
        ep["peak_ratio"] = ep["peak"] / max(d.baseline, 1e-9)
    ep["total"] += int(stats.negative)
    if active:
        ep["surprise"] = max(ep["surprise"], float(d.zscore))
        ep["total_active"] = ep["total"]
        ep["active_until"] = (stats.start + step).astimezone(timezone.utc).isoformat()
    ep["timeline"] = (ep["timeline"] + [float(stats.negative)])[-TIMELINE:]
    posts = {p["url"]: p for p in ep["posts"]}
    for p in stats.posts:
        posts.setdefault(p.url, asdict(p))
    ep["posts"] = sorted(posts.values(), key=evidence_rank)[:POOL]


def _fresh_posts(ep: dict[str, Any], languages: list[str], sources: list[str], k: int = 5) -> list[Post]:
    """Up to ``k`` posts not shown in an earlier message, those from newly involved languages or sources first,
    then by :func:`~listening.crisis.evidence_rank`."""
    shown = set(ep["shown"])
    fresh = [p for p in ep["posts"] if p["url"] not in shown]
    fresh.sort(key=lambda p: (p.get("lang") not in languages and p.get("source") not in sources, *evidence_rank(p)))
    return [Post(**p) for p in fresh[:k]]
