"""Online reach-change detection per account, pooled per platform, with attribution.

Each account keeps a robust baseline (median / MAD of its last log-rates,
the scale shrunk towards a prior, re-levelled at each change, and held where a
CUSUM run began so a change in progress cannot drag its own baseline along)
and a two-sided CUSUM of clipped residuals; a confirmed change point is
re-estimated as the best two-sample split near the run's start.  A
platform keeps a pooled CUSUM over all its accounts' residuals, which finds an
algorithm change sooner than any single account could.  Either alarm is
checked with a two-window test per competitor (its posts since the change
against its own earlier posts), which also decides ``platform`` versus
``account``; an account alarm whose competitors are still ambiguous waits a
little for them.  Posts are fed in the order they reached the reference age,
so every decision only uses snapshots observed up to that moment.
"""

from __future__ import annotations

import bisect
import math
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from listening.reach._types import ReachChange, ReachConfig

__all__ = ["ReachDetector", "Step"]

_MAD = 1.4826


def _robust(values: np.ndarray, config: ReachConfig) -> tuple[float, float]:
    """Median and MAD scale, the scale shrunk towards ``prior_scale`` as if ``prior_posts`` posts had it.

    A few posts can sit unusually close together (six of the first ten within
    5 %), and a MAD of ten posts then makes every later post look like an
    outlier; the prior keeps a young baseline honest and fades as posts
    accumulate. The floor stops a quiet account from doing the same.
    """
    med = float(np.median(values))
    mad = _MAD * float(np.median(np.abs(values - med)))
    n, n0 = len(values), config.prior_posts
    scale = math.sqrt((n * mad * mad + n0 * config.prior_scale ** 2) / (n + n0))
    return med, max(scale, config.min_scale)


@dataclass(slots=True)
class _Pending:
    start: int
    direction: str
    since: datetime
    raised: datetime


@dataclass(slots=True)
class _Account:
    posted: list[datetime] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    up: float = 0.0
    down: float = 0.0
    up_start: int = 0
    down_start: int = 0
    last_change: datetime | None = None
    last_direction: str = ""
    anchor: int | None = None
    anchor_base: float = 0.0
    applied: float = 0.0
    pending: _Pending | None = None


@dataclass(slots=True)
class _Platform:
    up: float = 0.0
    down: float = 0.0
    up_start: datetime | None = None
    down_start: datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """What one post told the detector: its residual against the baseline known at the time."""

    baseline: float | None
    z: float | None
    changes: tuple[ReachChange, ...]


@dataclass(frozen=True, slots=True)
class _Evidence:
    """Competitors' movement since a change: pooled t, share individually moved, how many posts seen."""

    pooled: float
    share: float
    same_sign: float
    known: int
    posts: int


class ReachDetector:
    """Feed posts with :meth:`update` in ``matured_at`` order; changes come back as they are confirmed.

    >>> from datetime import datetime, timedelta, timezone
    >>> det, t0 = ReachDetector(), datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> found = []
    >>> for i in range(60):
    ...     rate = -3.0 + (0.05 if i % 2 else -0.05) - (0.7 if i >= 30 else 0.0)
    ...     t = t0 + timedelta(hours=8 * i)
    ...     found += det.update("mastodon", "acme", t, t + timedelta(hours=24), rate).changes
    >>> [(c.direction, c.attribution, c.changed_at == t0 + timedelta(hours=240)) for c in found]
    [('down', 'account', True)]
    """

    def __init__(self, config: ReachConfig | None = None) -> None:
        self.config = config or ReachConfig()
        self._accounts: dict[tuple[str, str], _Account] = {}
        self._platforms: dict[str, _Platform] = {}

    def update(self, platform: str, account: str, posted_at: datetime, matured_at: datetime, log_rate: float) -> Step:
        """Take one matured post; return its residual and any change confirmed by it."""
        cfg = self.config
        acc = self._accounts.setdefault((platform, account), _Account())
        i = len(acc.rates)
        acc.posted.append(posted_at)
        acc.rates.append(log_rate)
        changes = self._resolve_pending(platform, matured_at)
        end = i
        if acc.anchor is None:
            runs = [start for stat, start in ((acc.up, acc.up_start), (acc.down, acc.down_start))
                    if stat > cfg.hold_at * cfg.cusum_h]
            if runs and min(runs) >= cfg.warmup_posts:
                end = min(runs)  # a change in progress must not pull its own baseline along
        history = np.asarray(acc.rates[max(0, end - cfg.baseline_posts):end])
        if len(history) < cfg.warmup_posts:
            return Step(None, None, tuple(changes))
        med, scale = _robust(history, cfg)
        z = float(np.clip((log_rate - med) / scale, -cfg.clip_z, cfg.clip_z))
        if acc.anchor is not None:
            self._relevel(acc)
            return Step(med, z, tuple(changes))
        if acc.pending is None:
            _cusum(acc, z, cfg.cusum_k, i)
            for direction, stat, start in (("up", acc.up, acc.up_start), ("down", acc.down, acc.down_start)):
                if stat > cfg.cusum_h:
                    since = acc.posted[start] - timedelta(hours=cfg.window_slack_hours)
                    acc.pending = _Pending(start, direction, since, matured_at)
                    changes += self._resolve_pending(platform, matured_at)
                    break
        plat = self._platforms.setdefault(platform, _Platform())
        _cusum(plat, z, cfg.platform_k, posted_at)
        for direction in ("up", "down"):
            stat = plat.up if direction == "up" else plat.down
            start_time = plat.up_start if direction == "up" else plat.down_start
            if stat > cfg.platform_h and start_time is not None:
                changes += self._platform_alarm(platform, plat, start_time, direction, matured_at)
        return Step(med, z, tuple(changes))

    def _shift(self, acc: _Account, since: datetime) -> np.ndarray | None:
        """Clipped residuals of the posts since ``since`` against the account's own posts before it."""
        cfg = self.config
        cut = bisect.bisect_left(acc.posted, since)
        pre = np.asarray(acc.rates[max(0, cut - cfg.baseline_posts):cut])
        post = np.asarray(acc.rates[cut:])
        if len(pre) < cfg.warmup_posts or len(post) < cfg.min_posts_after:
            return None
        med, scale = _robust(pre, cfg)
        return np.clip((post - med) / scale, -cfg.clip_z, cfg.clip_z)

    def _t(self, acc: _Account, since: datetime, direction: str) -> tuple[float, int] | None:
        """Signed t of an account's move towards ``direction`` since ``since``; None when it cannot tell.

        An account that already changed the same way inside the window counts
        as fully moved; one still settling after another change cannot tell.
        """
        if acc.last_change is not None and acc.last_change >= since - timedelta(days=3) and acc.last_direction == direction:
            return math.inf, 0
        if acc.anchor is not None:
            return None
        z = self._shift(acc, since)
        if z is None:
            return None
        sign = 1.0 if direction == "up" else -1.0
        return sign * float(z.mean()) * math.sqrt(len(z)), len(z)

    def _evidence(self, accounts: list[_Account], since: datetime, direction: str) -> _Evidence:
        """Pool the accounts' moves; ones that already changed this way count as moved but add no posts."""
        ts = [t for t in (self._t(a, since, direction) for a in accounts) if t is not None]
        finite = [(t, n) for t, n in ts if math.isfinite(t)]
        n_posts = sum(n for _, n in finite)
        pooled = sum(t * math.sqrt(n) for t, n in finite) / math.sqrt(n_posts) if n_posts else 0.0
        if ts and not finite:
            pooled = self.config.agree_t
        moved = sum(t >= self.config.affected_t for t, _ in ts)
        same = sum(t > 0 for t, _ in ts)
        known = len(ts)
        return _Evidence(pooled, moved / known if known else 0.0, same / known if known else 0.0, known, n_posts)

    def _resolve_pending(self, platform: str, now: datetime) -> list[ReachChange]:
        """Decide waiting account alarms once competitors clearly did or did not move, or time is up.

        At the deadline a weaker, pooled-only test decides: slow platforms
        (a video a day) rarely give each competitor enough posts to pass alone.
        """
        cfg = self.config
        out = []
        for (p, name), acc in self._accounts.items():
            if p != platform or acc.pending is None:
                continue
            pend = acc.pending
            others = [o for (q, other), o in self._accounts.items() if q == platform and other != name]
            ev = self._evidence(others, pend.since, pend.direction)
            moved = ev.known > 0 and ev.share >= 0.5 and ev.pooled >= cfg.agree_t
            still = ev.known == 0 or (ev.posts >= cfg.pending_posts and ev.pooled < cfg.agree_t / 2)
            late = now - pend.raised >= timedelta(hours=cfg.pending_hours)
            if late and not moved:
                moved = ev.same_sign >= 0.5 and ev.pooled >= cfg.late_agree_t
            if moved or still or late:
                acc.pending = None
                out.append(self._emit(platform, name, acc, pend.start, pend.direction, "platform" if moved else "account", now))
        return out

    def _platform_alarm(self, platform: str, plat: _Platform, since: datetime, direction: str, now: datetime) -> list[ReachChange]:
        """Accept a pooled alarm only if most accounts moved, even without the one that moved most."""
        cfg = self.config
        window = since - timedelta(hours=cfg.window_slack_hours)
        members = [(name, acc) for (p, name), acc in self._accounts.items() if p == platform]
        ts = {name: self._t(acc, window, direction) for name, acc in members}
        known = {name: t for name, t in ts.items() if t is not None}
        accepted = False
        if len(known) >= 2:
            top = max(known, key=lambda n: known[n][0])
            ev = self._evidence([a for _, a in members], window, direction)
            rest = self._evidence([a for n, a in members if n != top], window, direction)
            accepted = ev.share >= cfg.platform_share and ev.pooled >= cfg.platform_t and rest.share >= 0.5 and rest.pooled >= cfg.agree_t
        if not accepted:
            plat.up, plat.down = min(plat.up, cfg.platform_h), min(plat.down, cfg.platform_h)
            return []
        plat.up = plat.down = 0.0
        out = []
        for name, acc in members:
            t = known.get(name)
            if t is None or not math.isfinite(t[0]) or t[0] < cfg.affected_t:
                continue
            if acc.pending is not None and acc.pending.direction == direction:
                start = acc.pending.start
            else:
                own = acc.up_start if direction == "up" else acc.down_start
                stat = acc.up if direction == "up" else acc.down
                start = own if stat > 0 and own < len(acc.posted) and acc.posted[own] >= window else bisect.bisect_left(acc.posted, since)
            acc.pending = None
            if start < len(acc.posted):
                out.append(self._emit(platform, name, acc, start, direction, "platform", now))
        return out

    def _relevel(self, acc: _Account) -> None:
        """Shift the rates before the last change by the level change measured so far.

        The shift is re-estimated on every post until ``settle_posts`` posts follow
        the change (the alarm's own posts overstate it), and no new alarm is raised
        for the account meanwhile; afterwards the history is level again.
        """
        assert acc.anchor is not None
        delta = float(np.median(acc.rates[acc.anchor:])) - acc.anchor_base
        step = delta - acc.applied
        acc.rates[:acc.anchor] = [r + step for r in acc.rates[:acc.anchor]]
        acc.applied = delta
        if len(acc.rates) - acc.anchor >= self.config.settle_posts:
            acc.anchor = None

    def _refine(self, acc: _Account, start: int, direction: str) -> int:
        """The split near ``start`` that best separates the account's rates: the first post affected.

        A CUSUM run often begins a few posts early (a chance low post before the
        change) or late; among splits up to ``refine_posts`` either side, the one
        with the largest two-sample t in the alarm's direction wins. Only posts
        already seen are used, so this stays causal.
        """
        cfg = self.config
        rates = np.asarray(acc.rates)
        lo = max(cfg.min_posts_before, start - cfg.refine_posts)
        hi = min(len(rates) - cfg.min_posts_after, start + cfg.refine_posts)
        sign = 1.0 if direction == "up" else -1.0
        best, best_t = start, -math.inf
        for k in range(lo, hi + 1):
            pre, post = rates[max(0, k - cfg.baseline_posts):k], rates[k:]
            t = sign * (post.mean() - pre.mean()) * math.sqrt(len(pre) * len(post) / (len(pre) + len(post)))
            if t > best_t:
                best, best_t = k, t
        return best

    def _emit(self, platform: str, account: str, acc: _Account, start: int, direction: str, attribution: str, now: datetime) -> ReachChange:
        """Measure the change from ``start`` on, then re-level the account's history by it.

        Re-levelling (rather than restarting from the few posts since the
        change) keeps the next baseline well estimated, which is what stops one
        true change from being followed by a run of false ones.
        """
        cfg = self.config
        start = self._refine(acc, start, direction)
        post = np.asarray(acc.rates[start:])
        base = np.asarray(acc.rates[max(0, start - cfg.baseline_posts):start])
        if len(base) == 0:
            base = post
        delta = float(np.median(post) - np.median(base))
        rng = np.random.default_rng(zlib.crc32(f"{platform}|{account}|{acc.posted[start].isoformat()}".encode()))
        boot = (
            np.median(rng.choice(post, (cfg.bootstrap, len(post))), axis=1)
            - np.median(rng.choice(base, (cfg.bootstrap, len(base))), axis=1)
        )
        lo, hi = np.percentile(boot, [2.5, 97.5])
        acc.anchor, acc.anchor_base, acc.applied = start, float(np.median(base)), 0.0
        self._relevel(acc)
        acc.up = acc.down = 0.0
        acc.last_change, acc.last_direction = acc.posted[start], direction
        return ReachChange(
            platform=platform, account=account, changed_at=acc.posted[start], direction=direction,
            magnitude=round(math.expm1(delta), 4), attribution=attribution,
            ci_low=round(math.expm1(float(lo)), 4), ci_high=round(math.expm1(float(hi)), 4),
            detected_at=now, posts_after=len(post),
        )


def _cusum(state: Any, z: float, k: float, here: Any) -> None:
    """One two-sided CUSUM step on ``state.up``/``state.down``; a side leaving zero remembers ``here`` as its start."""
    if state.up == 0.0:
        state.up_start = here
    if state.down == 0.0:
        state.down_start = here
    state.up = max(0.0, state.up + z - k)
    state.down = max(0.0, state.down - z - k)
