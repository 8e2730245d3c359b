"""Real mention-volume series for the crisis bench: loading, thinning, noise statistics, leave-one-out.

The series (5-minute tweet counts naming a company, with labelled event
windows) are not in the repository; ``--real DIR`` points the bench at them
(``DIR/*.csv`` with ``timestamp,value`` and ``DIR/windows.json``: file name ->
list of ``[start, end]``, naive times UTC, ends inclusive).

The same statistics are computed on real and synthetic series so the
generator's noise can be compared with what real streams do.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

BUCKET = 300
PER_DAY = 86400 // BUCKET


def _utc(text: str) -> datetime:
    ts = datetime.fromisoformat(text.strip())
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)


def load_real(directory: Path, series_cls: type) -> list:
    """Each ``*.csv`` in ``directory`` as a bench Series (bucket index from its first row, labelled windows)."""
    labels = json.loads((directory / "windows.json").read_text())
    by_file = {Path(k).name: v for k, v in labels.items()}
    out = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(newline="") as fh:
            rows = [(_utc(r["timestamp"]), float(r["value"])) for r in csv.DictReader(fh)]
        rows.sort()
        origin = rows[0][0]
        index = np.array([round((t - origin).total_seconds() / BUCKET) for t, _ in rows])
        values = np.array([v for _, v in rows])
        windows, starts = [], []
        for lo, hi in by_file.get(path.name, []):
            a = math.ceil((_utc(lo) - origin).total_seconds() / BUCKET)
            b = math.floor((_utc(hi) - origin).total_seconds() / BUCKET) + 1
            windows.append((a, b))
            starts.append(a)
        name = path.stem.rsplit("_", 1)[-1]
        out.append(series_cls(name, index, values, windows, starts, float(np.median(values)), BUCKET, origin))
    if not out:
        raise SystemExit(f"no *.csv series in {directory}")
    return out


def thin(series: list, share: float, seed: int) -> list:
    """Keep each mention with probability ``share`` (binomial thinning), as a negative-only stream would."""
    rng = np.random.default_rng(seed)
    return [replace(s, values=rng.binomial(s.values.astype(np.int64), share).astype(float)) for s in series]


def leave_one_out(
    series: list, grid: Sequence[dict], run: Callable, score: Callable, max_false_per_30d: float = 1.0,
) -> list[tuple[str, dict, dict]]:
    """For each series: choose the grid point on the others, then score it on the held-out one.

    Choice rule: the highest recall among points with at most ``max_false_per_30d``
    false pages per 30 days on the three (ties: fewer false pages, then grid order);
    if none qualifies, the fewest false pages.  Every detector run is cached, so
    the grid is run once per series.
    """
    alarms = {(k, i): run(s, p) for (k, p), (i, s) in itertools.product(enumerate(grid), enumerate(series))}
    out = []
    for i, held in enumerate(series):
        rest = [j for j in range(len(series)) if j != i]

        def on_rest(k: int) -> dict:
            return score([series[j] for j in rest], [alarms[(k, j)] for j in rest])

        fits = [(on_rest(k), k) for k in range(len(grid))]
        ok = [f for f in fits if f[0]["false_per_30d"] <= max_false_per_30d]
        pool = ok or fits
        best = max(pool, key=lambda f: (f[0]["recall"], -f[0]["false_per_30d"], -f[1])) if ok else \
            min(pool, key=lambda f: (f[0]["false_per_30d"], -f[0]["recall"], f[1]))
        k = best[1]
        out.append((held.name, grid[k], score([held], [alarms[(k, i)]])))
    return out


def _trailing_median(values: np.ndarray, width: int) -> np.ndarray:
    """Median of the ``width`` buckets before each bucket (NaN for the first ``width``)."""
    out = np.full(values.size, np.nan)
    if values.size > width:
        view = np.lib.stride_tricks.sliding_window_view(values, width)[:-1]
        out[width:] = np.median(view, axis=1)
    return out


def noise_stats(s, origin: datetime | None = None) -> dict[str, float]:
    """What a stream's normal life looks like, measured the same way on real and synthetic series.

    Labelled windows are left out.  ``bursts/day``, ``burst length`` and
    ``burst peak`` describe runs of 5-minute buckets above 3x the trailing-day
    median (+3 counts); ``noise sd`` and ``lag-1 corr.`` are of
    log((x+1)/(baseline+1)) with the trailing-day median as baseline;
    ``level shift`` is the largest |log| ratio of consecutive weekly medians.
    """
    start = origin or s.origin
    x = np.zeros(int(s.index[-1]) + 1)
    x[s.index] = s.values
    keep = np.ones(x.size, bool)
    for a, b in s.windows:
        keep[a:b] = False
    base = _trailing_median(x, PER_DAY)
    valid = ~np.isnan(base) & keep
    hours = ((np.arange(x.size) * BUCKET + start.hour * 3600 + start.minute * 60) // 3600) % 24
    days = (np.arange(x.size) // PER_DAY + start.weekday()) % 7
    hourly = np.array([x[(hours == h) & keep].mean() for h in range(24)])
    weekend = x[(days >= 5) & keep].mean() / max(x[(days < 5) & keep].mean(), 1e-9)
    resid = np.log((x + 1) / (np.nan_to_num(base) + 1))[valid]
    above = valid & (x > 3 * np.nan_to_num(base) + 3)
    runs, peaks, i = [], [], 0
    while i < x.size:
        if above[i]:
            j = i
            while j < x.size and above[j]:
                j += 1
            runs.append((j - i) * BUCKET / 60)
            peaks.append(float(np.max((x[i:j] + 1) / (base[i:j] + 1))))
            i = j
        else:
            i += 1
    weeks = [np.median(x[w : w + 7 * PER_DAY]) + 1 for w in range(0, x.size - 7 * PER_DAY + 1, 7 * PER_DAY)]
    shifts = [abs(math.log(b / a)) for a, b in zip(weeks, weeks[1:])]
    n_days = valid.sum() / PER_DAY
    return {
        "median count": float(np.median(x[keep])),
        "zeros": float((x[keep] == 0).mean()),
        "peak/trough hour": float(hourly.max() / max(hourly.min(), 1e-9)),
        "weekend/weekday": float(weekend),
        "noise sd": float(resid.std()),
        "lag-1 corr.": float(np.corrcoef(resid[:-1], resid[1:])[0, 1]),
        "bursts/day": len(runs) / max(n_days, 1e-9),
        "burst length p50 (min)": float(np.median(runs)) if runs else 0.0,
        "burst length p90 (min)": float(np.quantile(runs, 0.9)) if runs else 0.0,
        "burst peak p50 (x)": float(np.median(peaks)) if peaks else 0.0,
        "burst peak p99 (x)": float(np.quantile(peaks, 0.99)) if peaks else 0.0,
        "level shift (max weekly |log|)": max(shifts) if shifts else 0.0,
    }


def ordinary_surges(
    s, expected: np.ndarray, ratios: Sequence[float], span: int = 3, min_count: float = 5.0, skip_days: int = 7,
) -> dict[float, tuple[int, int, float]]:
    """Rises of at least ``ratio`` x the expected count over ``span`` buckets (15 minutes), outside labelled windows.

    Why: issue 17 asks for a page within 20 minutes of any clear (>= 5x for 15 min)
    surge; this counts how often a real stream does that on an ordinary day, so a
    detector that paged on every such rise at once would page that often for
    nothing.  ``expected`` is each row's expected count (NaN before a detector is
    warm).  Rises closer than 3 h are one episode; the first ``skip_days`` are
    left out.  Per ratio: (episodes outside every window, windows with one, days).
    """
    n = int(s.index[-1]) + 1
    x, mu = np.full(n, np.nan), np.full(n, np.nan)
    x[s.index], mu[s.index] = s.values, expected
    view = np.lib.stride_tricks.sliding_window_view
    sx, smu = view(x, span).sum(axis=1), view(mu, span).sum(axis=1)  # NaN where a bucket is missing or cold
    end = np.arange(span - 1, n)
    inside = np.zeros(n, bool)
    for a, b in s.windows:
        inside[a:b] = True
    start = skip_days * (86400 // s.bucket)
    out = {}
    for k in ratios:
        with np.errstate(invalid="ignore"):
            rise = (sx >= k * smu) & (sx >= min_count) & (end >= start)
        episodes, last = [], -(10**9)
        for i in end[rise]:
            if i - last > 3 * 3600 // s.bucket:
                episodes.append(int(i))
            last = i
        false = sum(1 for i in episodes if not inside[i])
        hit = {w for i in episodes for w, (a, b) in enumerate(s.windows) if a <= i < b}
        out[k] = (false, len(hit), (n - start) / (86400 // s.bucket))
    return out


def stats_table(groups: dict[str, list]) -> str:
    """Markdown: one column per group (median over its series) of :func:`noise_stats`."""
    cols = {name: [noise_stats(s) for s in series] for name, series in groups.items()}
    keys = list(next(iter(cols.values()))[0])
    lines = ["| statistic (median over series) | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for key in keys:
        cells = [f"{float(np.median([st[key] for st in sts])):.2f}" for sts in cols.values()]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
