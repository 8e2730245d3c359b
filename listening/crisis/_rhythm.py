"""A series' own rhythm: hour-of-day and day-of-week factors, fitted robustly.

Factors are multiplicative and average 1, so ``level x season`` is the expected
count.  They are shrunk towards flat while little history exists, and hours are
smoothed and interpolated so the expectation has no steps at hour boundaries.

>>> import numpy as np
>>> epochs = np.arange(0, 7 * 86400, 3600.0)
>>> hour, dow = fit_rhythm(epochs, 10 + 5 * (epochs // 3600 % 24 >= 12), per_day=24)
>>> round(hour[18] / hour[6], 1), [round(d, 2) for d in dow[:2]]
(1.4, [1.0, 1.0])
>>> round(season(hour, dow, 18 * 3600.0) / season(hour, dow, 6 * 3600.0), 1)
1.4
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["fit_rhythm", "season", "seasons"]


def fit_rhythm(epochs: np.ndarray, values: np.ndarray, per_day: int) -> tuple[list[float], list[float]]:
    """Hour-of-day (24) and day-of-week (7, Monday first) factors from bucket values."""
    hours = (epochs // 3600).astype(np.int64) % 24
    dows = ((epochs // 86400).astype(np.int64) + 3) % 7
    mean = max(float(values.mean()), 1e-9)
    kappa = per_day / 24.0
    cnt = np.bincount(hours, minlength=24)
    tot = np.bincount(hours, weights=values, minlength=24)
    hour = (tot / mean + kappa) / (cnt + kappa)
    hour = 0.25 * np.roll(hour, 1) + 0.5 * hour + 0.25 * np.roll(hour, -1)
    hour = np.maximum(hour / hour.mean(), 0.05)
    desea = values / hour[hours]
    dmean = max(float(desea.mean()), 1e-9)
    dcnt = np.bincount(dows, minlength=7)
    dtot = np.bincount(dows, weights=desea, minlength=7)
    dow = (dtot / dmean + per_day) / (dcnt + per_day)
    dow = np.maximum(dow / dow.mean(), 0.05)
    return hour.tolist(), dow.tolist()


def season(hour: list[float], dow: list[float], epoch: float) -> float:
    """Seasonal factor at one instant: hour factor interpolated between hour centres, times weekday."""
    pos = (epoch % 86400) / 3600.0 - 0.5
    lo = math.floor(pos)
    frac = pos - lo
    return (hour[lo % 24] * (1.0 - frac) + hour[(lo + 1) % 24] * frac) * dow[(int(epoch // 86400) + 3) % 7]


def seasons(hour: list[float], dow: list[float], epochs: np.ndarray) -> np.ndarray:
    """Vectorised :func:`season`."""
    h, d = np.asarray(hour), np.asarray(dow)
    pos = (epochs % 86400) / 3600.0 - 0.5
    lo = np.floor(pos).astype(np.int64)
    frac = pos - lo
    return (h[lo % 24] * (1.0 - frac) + h[(lo + 1) % 24] * frac) * d[((epochs // 86400).astype(np.int64) + 3) % 7]
