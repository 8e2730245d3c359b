"""Causal spike detector for a regularly bucketed count series.

The detector learns the series' own rhythm (hour of day x day of week, fitted
once a day from the last weeks), tracks a 24-hour deseasonalised level, and
judges each bucket as a count: a variance-stabilised negative-binomial score
whose dispersion is estimated from the series itself (its exact tail where the
mean is small), so 1 -> 3 is noise while 40 -> 120 is not.  A page needs a
sustained rise (several anomalous buckets, or an anomalous rolling 15 min, hour or
3 hours) unless the jump is extreme, and an ongoing surge is one
episode: the detector re-arms only after the series has been normal for a while.
Real streams are heavy-tailed, so a page must also beat a bar calibrated on the
series itself: at some time scale (15 min, 1 h, 3 h) the rise must exceed the
largest rise of its recent days (28 by default), plus a margin that the series
sets itself (how much its daily maxima spread, and how noisy a ratio of so few
mentions is).  Once a week of days calibrates the bar, beating it is enough: the
count model's trigger is then not also required.

Every decision depends only on what was fed before it, so feeding growing
prefixes gives identical decisions, and the state round-trips through JSON.

>>> from datetime import datetime, timedelta
>>> det = SpikeDetector(DetectorConfig(bucket_seconds=900))
>>> t0 = datetime(2024, 1, 1)
>>> quiet = [det.update(t0 + timedelta(minutes=15 * i), 20) for i in range(300)]
>>> any(d.alarm for d in quiet)
False
>>> surge = [det.update(t0 + timedelta(minutes=15 * i), 90) for i in range(300, 304)]
>>> [d.alarm for d in surge]
[False, True, False, False]
>>> surge[1].severity
'high'
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, fields
from datetime import datetime, timezone
from statistics import NormalDist
from typing import Any

import numpy as np

from listening.crisis._rhythm import fit_rhythm, seasons
from listening.crisis._rhythm import season as season_at
from listening.crisis._types import SEVERITIES, Decision, DetectorConfig, Derived, grade

__all__ = ["READABLE", "STATE_VERSION", "SpikeDetector"]

_STATE_VERSION = STATE_VERSION = 4
READABLE = (1, 2, 3, STATE_VERSION)  # saved-state versions from_state migrates
_NEW_IN_V2 = ("_calib", "_day_max", "_calib_day", "_recent", "_sustain")  # the calibrated page bar
_NEW_IN_V3 = ("_peak", "_repeat", "_repeat_day")  # a later wave the same day must beat the episode's peak
_BAR_VECTORS = ("_day_max", "_peak", "_repeat")  # one entry per scale the page bar reads; so does each row of _recent, _calib
_NAN = float("nan")
_NORMAL = NormalDist()


def _score(x: float, mu: float, phi: float) -> float:
    """z-score of a negative-binomial count x with mean mu: Anscombe's variance-stabilised form.

    Below a mean of 20 that form understates how rare a high count is (7 against 0.4 scores 3.7, while at low
    dispersion its tail probability, 3e-7, is a z of 5.0), so there the exact tail's z is used when higher.
    """
    z = 2.0 * (math.sqrt(x + 0.375) - math.sqrt(mu + 0.375)) / math.sqrt(1.0 + phi * mu)
    if z < 1.0 or mu >= 20.0:
        return z
    return max(z, _tail_z(x, mu, phi))


def _tail_z(x: float, mu: float, phi: float) -> float:
    """Normal equivalent of P(X >= x) for X negative-binomial with mean mu and dispersion phi (x > mu).

    >>> round(_tail_z(7, 0.4, 0.01), 2), round(_tail_z(4, 0.05, 0.01), 2)
    (5.01, 5.02)
    """
    r = 1.0 / phi
    q = mu / (r + mu)
    log_first = math.lgamma(x + r) - math.lgamma(r) - math.lgamma(x + 1.0) + r * math.log1p(-q) + x * math.log(q)
    total = term = 1.0
    j = x
    for _ in range(500):
        term *= (j + r) / (j + 1.0) * q
        j += 1.0
        total += term
        if term < 1e-12 * total:
            break
    p = math.exp(max(log_first + math.log(total), -700.0))
    return -_NORMAL.inv_cdf(min(p, 0.5))


def _stdev(values: list[float]) -> float:
    """Sample standard deviation in floats (``statistics.stdev`` works in exact fractions: a tenth of the detector's time).

    >>> _stdev([1.0, 2.0, 3.0, 4.0])
    1.2909944487358056
    """
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _epoch(ts: datetime) -> float:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return ts.timestamp()


class SpikeDetector:
    """Incremental detector: feed buckets in time order with :meth:`update`."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = cfg = config or DetectorConfig()
        self.derived = Derived.of(cfg)
        per_day = cfg.per_day
        self._hist: list[float] = [_NAN] * (cfg.history_days * per_day)
        self._ylev: list[float] = [_NAN] * per_day
        self._wx = [[0.0] * cfg.buckets(m) for m in cfg.window_minutes]
        self._wmu = [[0.0] * len(w) for w in self._wx]
        self._wsum = [[0.0, 0.0, 0] for _ in self._wx]
        self._hour = [1.0] * 24
        self._dow = [1.0] * 7
        self._t0: float | None = None
        self._last: int = -1
        self._seen = 0
        self._profile_day: int | None = None
        self._fitted = False
        self._ysum = 0.0
        self._ycount = 0
        self._long: float | None = None
        scales = 1 + len(self._wx)
        self._phi = [cfg.prior_dispersion] * scales
        self._num = [0.0] * scales
        self._den = [0.0] * scales
        self._flags = 0
        self._runz = [0.0] * (self.derived.need + 1)
        self._rho = [0.0, 0.0, 0.0]
        self._wrun = [0] * len(self._wx)
        self._armed = True
        self._quiet = 0
        self._episode_start: float | None = None
        self._calib: list[list[float]] = []
        self._sustain = [[0.0, 0.0] for _ in range(self.derived.need)]
        bar = 1 + len(self.derived.bar_windows)
        self._recent = [[0.0] * bar for _ in range(self.derived.need + 1)]
        self._day_max = [0.0] * bar
        self._calib_day: int | None = None
        self._peak = [0.0] * bar
        self._repeat: list[float] | None = None
        self._repeat_day: int | None = None

    # -- public ---------------------------------------------------------------
    @property
    def last_timestamp(self) -> datetime | None:
        """Start of the last bucket fed, so callers can feed only newer ones on the next run."""
        if self._t0 is None or self._last < 0:
            return None
        return datetime.fromtimestamp(self._t0 + self._last * self.config.bucket_seconds, timezone.utc)

    def update(self, timestamp: datetime, value: float) -> Decision:
        """Judge one bucket using only the buckets fed before it, then learn from it."""
        cfg, c = self.config, self.derived
        x = float(value)
        if not math.isfinite(x) or x < 0:
            raise ValueError(f"value must be a finite count >= 0, got {value!r}")
        epoch = _epoch(timestamp)
        if self._t0 is None:
            self._t0 = epoch
        idx = round((epoch - self._t0) / cfg.bucket_seconds)
        if idx <= self._last:
            raise ValueError(f"timestamps must increase by at least one bucket; got {timestamp.isoformat()}")
        resolved = self._skip(idx)
        day = int(epoch // 86400)
        if self._profile_day != day and self._seen >= c.per_day // 2:
            self._fit_profile(idx)
        self._profile_day = day

        season = season_at(self._hour, self._dow, epoch)
        level = self._level(x)
        mu = max(level * season, 0.05)
        warm = self._fitted and self._seen >= c.warmup
        phi = self._phi[0]
        sd = math.sqrt(mu + phi * mu * mu)
        z = _score(x, mu, phi)
        ratio = x / mu
        excess = x - mu
        anomalous = warm and z >= cfg.z_bucket and ratio >= cfg.min_ratio and excess >= cfg.min_excess

        sums = []
        wanom = False
        wratio, zw = 1.0, 0.0
        evidence = (z, ratio, cfg.bucket_seconds // 60)
        # One bucket adds at most 5 sd to a window (a blip must not make a window alone), but never less than the
        # excess a window needs: on a thin stream 5 sd of 0.05 is one mention, and 4 mentions in 5 minutes would count as 1.
        capped = min(x, mu + max(5.0 * sd, cfg.min_excess))
        for k, (wxs, wmus, acc) in enumerate(zip(self._wx, self._wmu, self._wsum)):
            slot = idx % len(wxs)
            acc[0] += capped - wxs[slot]
            acc[1] += mu - wmus[slot]
            acc[2] += wmus[slot] == 0.0
            wxs[slot], wmus[slot] = capped, mu
            sx, smu = acc[0], max(acc[1], 1e-9)
            full = acc[2] * 2 >= len(wmus)
            sums.append((sx, smu, full))
            zk = _score(sx, smu, self._phi[k + 1]) if full else 0.0
            rk = sx / smu if full else 1.0
            hit = warm and full and zk >= cfg.z_window and rk >= cfg.window_ratio and sx - smu >= cfg.min_excess
            self._wrun[k] = self._wrun[k] + 1 if hit else 0
            wanom = wanom or hit
            if hit and (zk > evidence[0] or not anomalous):
                evidence = (zk, rk, cfg.window_minutes[k])
            if zk > zw:
                zw, wratio = zk, rk

        self._flags = ((self._flags << 1) | anomalous) & c.mask
        self._runz = self._runz[1:] + [z if anomalous else 0.0]
        sustained = (
            anomalous and self._flags.bit_count() >= c.need
            and sum(sorted(self._runz)[-c.need :]) >= cfg.z_bucket * c.need * self._inflation()
        )
        extreme = anomalous and z >= cfg.extreme_z and ratio >= cfg.extreme_ratio
        trigger = sustained or extreme or (max(self._wrun) >= 2 and x > mu)
        surprise, scale_mu = self._surprise(sums, x, mu)
        self._recent = self._recent[1:] + [surprise]
        if self._armed and warm:
            self._roll_day(day)
            if trigger:
                trigger = self._beats_bar(day, [max(r[k] for r in self._recent) for k in range(len(surprise))], scale_mu)
            elif cfg.bar_alone_days > 0 and len(self._calib) >= cfg.bar_alone_days and x > mu and (anomalous or wanom):
                trigger = self._beats_bar(day, surprise, scale_mu)
            self._day_max = [max(a, b) for a, b in zip(self._day_max, surprise)]
        elif not self._armed:
            self._peak = [max(a, b) for a, b in zip(self._peak, surprise)]

        alarm = False
        if self._armed and trigger:
            alarm, self._armed, self._quiet = True, False, 0
            self._episode_start = epoch
            self._peak = list(surprise)
        elif not self._armed:
            normal = not anomalous and zw < cfg.z_window / 2
            self._quiet = self._quiet + 1 if normal else 0
            if self._quiet >= c.rearm:
                resolved = True
                self._armed, self._episode_start = True, None
                same = self._repeat is not None and self._repeat_day == day
                self._repeat = [max(a, b) for a, b in zip(self._repeat, self._peak)] if same else list(self._peak)
                self._repeat_day = day
        severity = None
        if anomalous or wanom or alarm:
            severity = max(grade(ratio, z), grade(wratio, zw), key=SEVERITIES.index)

        self._learn(idx, x, mu, sd, season, sums, warm)
        start = self._episode_start
        return Decision(
            timestamp=timestamp, value=x, baseline=mu, zscore=evidence[0], ratio=evidence[1],
            scale_minutes=evidence[2],
            anomalous=anomalous or wanom, alarm=alarm, in_episode=not self._armed,
            resolved=resolved, severity=severity, warm=warm,
            episode_start=datetime.fromtimestamp(start, timezone.utc) if start is not None else None,
        )

    def to_state(self) -> dict[str, Any]:
        """JSON-ready state (NaN stored as null) so the pipeline can resume later."""
        state = copy.deepcopy({k: v for k, v in vars(self).items() if k.startswith("_")})
        state["_hist"] = [None if math.isnan(v) else v for v in self._hist]
        state["_ylev"] = [None if math.isnan(v) else v for v in self._ylev]
        return {"version": _STATE_VERSION, "config": asdict(self.config), "state": state}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> "SpikeDetector":
        """Rebuild a detector from :meth:`to_state` output; raises ``ValueError`` when it does not fit (see :func:`restore_detector`)."""
        if data.get("version") not in READABLE:
            raise ValueError(f"unsupported detector state version {data.get('version')!r}")
        names = {f.name for f in fields(DetectorConfig)}
        conf = {k: v for k, v in data["config"].items() if k in names}
        conf["window_minutes"] = tuple(conf.get("window_minutes", ()))
        det = cls(DetectorConfig(**conf))
        state = data["state"]
        if data["version"] in (2, 3):  # saved while the bar also read the window as long as the sustain span
            state = _without_near_copy(state, det)
        if data["version"] == 1:  # saved before the calibrated bar: it starts learning from now
            state = {**{k: getattr(det, k) for k in _NEW_IN_V2}, **state}
        if data["version"] in (1, 2):  # saved before the same-day repeat rule: no episode peak remembered
            state = {**{k: getattr(det, k) for k in _NEW_IN_V3}, **state}
        if set(state) != {k for k in vars(det) if k.startswith("_")}:
            raise ValueError("detector state does not match this version's fields")
        for key, value in copy.deepcopy(state).items():
            if key in ("_hist", "_ylev"):
                value = [_NAN if v is None else float(v) for v in value]
            setattr(det, key, value)
        return det

    # -- internals ------------------------------------------------------------
    def _skip(self, idx: int) -> bool:
        """Mark buckets between the last one and ``idx`` as missing; long gaps end an episode."""
        cfg = self.config
        missing = idx - self._last - 1
        if self._last < 0 or missing <= 0:
            return False
        for i in range(self._last + 1, self._last + 1 + min(missing, len(self._hist))):
            self._hist[i % len(self._hist)] = _NAN
            self._drop_level(i)
            for wxs, wmus, acc in zip(self._wx, self._wmu, self._wsum):
                j = i % len(wxs)
                acc[0] -= wxs[j]
                acc[1] -= wmus[j]
                acc[2] -= wmus[j] != 0.0
                wxs[j] = wmus[j] = 0.0
        self._flags <<= min(missing, 8)
        self._runz = [0.0] * len(self._runz)
        self._sustain = [[0.0, 0.0] for _ in self._sustain]
        self._rho[2] = 0.0
        self._wrun = [0] * len(self._wrun)
        if missing >= cfg.buckets(cfg.max_gap_minutes) and not self._armed:
            self._armed, self._episode_start, self._quiet = True, None, 0
            return True
        return False

    def _drop_level(self, i: int) -> None:
        j = i % len(self._ylev)
        old = self._ylev[j]
        if not math.isnan(old):
            self._ysum -= old
            self._ycount -= 1
        self._ylev[j] = _NAN

    def _learn(
        self, idx: int, x: float, mu: float, sd: float, season: float,
        sums: list[tuple[float, float, bool]], warm: bool,
    ) -> None:
        """Store a clipped copy of the bucket so surges and outages barely move the baseline.

        A zero where several mentions were expected is a collection outage, not
        news: it is remembered as missing.
        """
        cfg = self.config
        self._last = idx
        self._seen += 1
        self._drop_level(idx)
        if warm and x == 0.0 and mu >= cfg.outage_mean:
            self._hist[idx % len(self._hist)] = _NAN
            return
        stored = min(max(x, mu - cfg.clip_sd * sd), mu + cfg.clip_sd * sd) if warm else x
        self._hist[idx % len(self._hist)] = stored
        y = stored / season
        self._ylev[idx % len(self._ylev)] = y
        self._ysum += y
        self._ycount += 1
        if not self._fitted:
            return
        decay = self.derived.decay
        self._moment(0, x, mu, decay)
        resid = min(max((x - mu) / sd, -2.5), 2.5)
        self._rho[0] = decay * self._rho[0] + resid * self._rho[2]
        self._rho[1] = decay * self._rho[1] + resid * resid
        self._rho[2] = resid
        for k, (sx, smu, full) in enumerate(sums, start=1):
            if full:
                self._moment(k, sx, smu, decay)

    def _surprise(self, sums: list[tuple[float, float, bool]], x: float, mu: float) -> tuple[list[float], list[float]]:
        """Log ratio of observed to expected volume over the sustain span (15 min) and each other rolling window
        (:func:`~listening.crisis._types.bar_windows`), and the expected counts.

        A pseudo-count (``pseudo_count`` mentions) shrinks ratios of small counts towards 0.
        """
        m = self.config.pseudo_count
        self._sustain = self._sustain[1:] + [[x, mu]]
        smu0 = sum(b[1] for b in self._sustain)
        out = [math.log((sum(b[0] for b in self._sustain) + m) / (smu0 + m))]
        bar = [sums[k] for k in self.derived.bar_windows]
        out += [math.log((sx + m) / (smu + m)) if full else 0.0 for sx, smu, full in bar]
        return out, [smu0] + [smu for _, smu, _ in bar]

    def _beats_bar(self, day: int, surprise: list[float], scale_mu: list[float]) -> bool:
        """Whether ``surprise`` beats, at some scale, the largest of the last ``calibration_days`` plus a self-set margin.

        Real streams are heavy-tailed, so the bar is the series' own days (today counts from tomorrow); the margin is
        ``margin_spread`` sd of those daily maxima (records break more often where they spread) plus ``margin_noise``
        sampling sd of the log ratio, sqrt(mu) / (mu + pseudo_count).  A later wave the same day must beat the peak.
        """
        cfg = self.config
        days = self._calib or [self._day_max]
        extra = [self._repeat] if self._repeat is not None and self._repeat_day == day else []
        n = len(days)
        for k in range(len(surprise)):
            tops = [d[k] for d in days]
            spread = _stdev(tops) if n > 2 else 0.0
            noise = math.sqrt(max(scale_mu[k], 0.0)) / (max(scale_mu[k], 0.0) + cfg.pseudo_count)
            bar = max(tops + [e[k] for e in extra]) + cfg.page_margin + cfg.margin_spread * spread + cfg.margin_noise * noise
            if surprise[k] > bar:
                return True
        return False

    def _roll_day(self, day: int) -> None:
        """Start a new day's maxima; the finished day joins the last ``calibration_days`` (while armed, the page's own bucket included)."""
        if self._calib_day is None:
            self._calib_day = day
        if day != self._calib_day:
            self._calib = (self._calib + [self._day_max])[-self.config.calibration_days :]
            self._day_max, self._calib_day = [0.0] * len(self._day_max), day

    def _inflation(self) -> float:
        """How much wider a run of bucket scores spreads given their lag-1 autocorrelation.

        Bursty series (correlated noise) produce runs of high scores by chance, so
        the sustained rule asks for proportionally stronger runs there.
        """
        n = self.derived.need
        rho = min(max(self._rho[0] / self._rho[1], 0.0), 0.9) if self._rho[1] > 0 else 0.0
        var = n + 2.0 * sum((n - k) * rho**k for k in range(1, n))
        return math.sqrt(var / n)

    def _level(self, x: float) -> float:
        """Mean deseasonalised volume of the last day, topped up with the long-run level when sparse."""
        need = self.derived.per_day / 4.0
        if self._ycount >= need:
            return self._ysum / self._ycount
        if self._long is None:
            return self._ysum / self._ycount if self._ycount else x
        return (self._ysum + self._long * (need - self._ycount)) / need

    def _moment(self, k: int, x: float, mu: float, decay: float) -> None:
        """Moment estimator of NB dispersion, E[(x-mu)^2 - mu] / E[mu^2], exponentially weighted.

        Residuals are winsorised at 2.5 sd so a surge in progress barely inflates the noise estimate.
        """
        bound = 2.5 * math.sqrt(mu + self._phi[k] * mu * mu)
        resid = min(max(x - mu, -bound), bound)
        self._num[k] = decay * self._num[k] + resid * resid - mu
        self._den[k] = decay * self._den[k] + mu * mu
        self._phi[k] = min(max(self._num[k] / self._den[k], 0.01), 5.0)

    def _fit_profile(self, idx: int) -> None:
        """Refit hour-of-day and day-of-week factors from stored history (once a day)."""
        cfg = self.config
        n = len(self._hist)
        ids = np.arange(max(0, idx - n), idx)
        vals = np.asarray(self._hist)[ids % n]
        ok = ~np.isnan(vals)
        if ok.sum() < cfg.per_day // 2:
            return
        ids, vals = ids[ok], vals[ok]
        epochs = self._t0 + ids * float(cfg.bucket_seconds)
        self._hour, self._dow = fit_rhythm(epochs, vals, cfg.per_day)
        self._wsum = [[math.fsum(wxs), math.fsum(wmus), sum(m != 0.0 for m in wmus)] for wxs, wmus in zip(self._wx, self._wmu)]
        desea = vals / seasons(self._hour, self._dow, epochs)
        recent = ids >= idx - len(self._ylev)
        self._ylev = [_NAN] * len(self._ylev)
        for i, y in zip(ids[recent].tolist(), desea[recent].tolist()):
            self._ylev[i % len(self._ylev)] = y
        self._ysum, self._ycount = float(desea[recent].sum()), int(recent.sum())
        self._long = float(desea.mean())
        if not self._fitted:
            self._fitted = True
            scale = (self._ysum / max(self._ycount, 1)) ** 2 * cfg.per_day / 4.0
            self._den = [scale] + [scale * len(w) ** 2 for w in self._wx]
            self._num = [cfg.prior_dispersion * d for d in self._den]


def _without_near_copy(state: dict[str, Any], det: SpikeDetector) -> dict[str, Any]:
    """A version 2-3 state's bar vectors (sustain span, then every window) cut to the scales this code reads."""
    keep = [0, *(1 + k for k in det.derived.bar_windows)]

    def cut(vector: list[float] | None) -> list[float] | None:
        return None if vector is None else [vector[k] for k in keep]

    out = {**state, **{k: cut(state[k]) for k in _BAR_VECTORS if k in state}}
    out.update({k: [cut(row) for row in state[k]] for k in ("_recent", "_calib") if k in state})
    return out
