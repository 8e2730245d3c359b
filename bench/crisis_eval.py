"""Evaluate the crisis detector against simple baselines on seeded synthetic series.

Run: ``.venv/bin/python bench/crisis_eval.py [--series 16] [--days 60] [--seed 7]
[--bucket-minutes 5|15] [--speed]``; it prints Markdown tables (see docs/crisis.md).

Each series has a daily and weekly rhythm, a trend, slow level drift,
overdispersed (gamma-Poisson) counts at a level between ~2 and ~500 per bucket,
plus labelled surges (step, ramp, spike-decay; 30 min to 12 h; x1.6 to x8) and
unlabelled nuisances that must not page: single-bucket blips (x2-x4), 10-minute
bursts (x1.5-x2.5), collection outages (runs of zeros), missing rows and a
modest permanent level shift.  A second, surge-free set with bursty
autocorrelated noise measures false pages where real streams are hardest.
Scoring follows paging rules: an alert inside a labelled window is a hit,
counted once per window; every alert outside all windows is a false page.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from listening.crisis import DetectorConfig, SpikeDetector  # noqa: E402

BUCKET = 300
PER_DAY = 86400 // BUCKET
START = datetime(2024, 3, 4, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Series:
    """One synthetic series: bucket indices present, counts, labelled windows (bucket ranges)."""

    name: str
    index: np.ndarray
    values: np.ndarray
    windows: list[tuple[int, int]]
    starts: list[int]
    level: float
    bucket: int = BUCKET

    @property
    def per_day(self) -> int:
        return 86400 // self.bucket

    @property
    def per_hour(self) -> int:
        return 3600 // self.bucket


def coarsen(s: Series, factor: int) -> Series:
    """The same series in buckets ``factor`` times longer (counts summed, windows widened to cover)."""
    groups = s.index // factor
    keys, inverse = np.unique(groups, return_inverse=True)
    values = np.bincount(inverse, weights=s.values)
    windows = [(lo // factor, -(-hi // factor)) for lo, hi in s.windows]
    return Series(s.name, keys, values, windows, [st // factor for st in s.starts], s.level, s.bucket * factor)


def _surge_shape(kind: str, n: int) -> np.ndarray:
    t = np.arange(n, dtype=float)
    if kind == "step":
        return np.ones(n)
    if kind == "ramp":
        return np.minimum(1.0, (t + 1) / max(1.0, 0.6 * n))
    return np.exp(-t / max(1.0, n / 3.0))


def make_series(rng: np.random.Generator, name: str, days: int) -> Series:
    """Draw one overdispersed rhythmic count series with labelled surges."""
    n = days * PER_DAY
    t = np.arange(n)
    hours = (t * BUCKET / 3600.0) % 24
    dow = (t // PER_DAY) % 7
    level = float(np.exp(rng.uniform(math.log(2), math.log(500))))
    amp, peak = rng.uniform(0.2, 0.8), rng.uniform(0, 24)
    daily = 1 + amp * np.cos(2 * np.pi * (hours - peak) / 24) + 0.15 * amp * np.cos(4 * np.pi * (hours - peak) / 24)
    weekly = np.where(dow >= 5, rng.uniform(0.5, 1.1), 1.0)
    trend = np.exp(rng.uniform(-0.3, 0.4) * t / n)
    drift = np.zeros(n)
    steps = rng.normal(0, 0.1 / math.sqrt(PER_DAY), n)
    for i in range(1, n):
        drift[i] = 0.999 * drift[i - 1] + steps[i]
    mu = level * daily * weekly * trend * np.exp(drift)
    shift_at = int(rng.uniform(0.3, 0.9) * n)
    mu[shift_at:] *= rng.choice([0.75, 1.25])
    phi = rng.uniform(0.01, 0.15)
    extra = np.zeros(n)
    windows: list[tuple[int, int]] = []
    starts: list[int] = []
    cursor = 2 * PER_DAY + rng.integers(0, PER_DAY)
    while True:
        cursor += int(rng.uniform(3, 12) * PER_DAY)
        dur = int(np.exp(rng.uniform(math.log(6), math.log(144))))
        if cursor + dur + 12 >= n:
            break
        mult = float(np.exp(rng.uniform(math.log(1.6), math.log(8))))
        kind = str(rng.choice(["step", "ramp", "spike"]))
        base = float(mu[cursor : cursor + dur].mean())
        extra[cursor : cursor + dur] += (mult - 1) * base * _surge_shape(kind, dur)
        windows.append((cursor, cursor + dur + 12))
        starts.append(int(cursor))
    rate = mu * rng.gamma(1 / phi, phi, n) + extra
    values = rng.poisson(rate).astype(float)
    labelled = np.zeros(n, bool)
    for a, b in windows:
        labelled[a:b] = True
    blips = rng.choice(np.flatnonzero(~labelled[PER_DAY:]) + PER_DAY, size=days // 4, replace=False)
    values[blips] = np.round(values[blips] * rng.uniform(2, 4, blips.size) + 3)
    pairs = rng.choice(np.flatnonzero(~labelled[PER_DAY:-1]) + PER_DAY, size=days // 6, replace=False)
    for p in pairs:
        values[p : p + 2] = np.round(values[p : p + 2] * rng.uniform(1.5, 2.5) + 2)
    keep = np.ones(n, bool)
    for _ in range(2):
        a = int(rng.integers(PER_DAY, n - 60))
        if not labelled[a : a + 48].any() and not labelled[a + 48 : a + 96].any():
            values[a : a + int(rng.integers(12, 48))] = 0
    a = int(rng.integers(PER_DAY, n - 60))
    if not labelled[a : a + 96].any():
        keep[a : a + int(rng.integers(6, 36))] = False
    return Series(name, t[keep], values[keep], windows, starts, level)


def make_bursty(rng: np.random.Generator, name: str, days: int) -> Series:
    """A surge-free series with bursty, autocorrelated noise (log-AR(1), sd 0.2-0.45): every page is false."""
    n = days * PER_DAY
    t = np.arange(n)
    level = float(np.exp(rng.uniform(math.log(3), math.log(300))))
    daily = 1 + 0.6 * np.cos(2 * np.pi * ((t * BUCKET / 3600.0) % 24 - rng.uniform(0, 24)) / 24)
    rho, sd = rng.uniform(0.5, 0.85), rng.uniform(0.2, 0.45)
    shocks = rng.normal(0, sd * math.sqrt(1 - rho**2), n)
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = rho * noise[i - 1] + shocks[i]
    values = rng.poisson(level * daily * np.exp(noise - sd**2 / 2)).astype(float)
    return Series(name, t, values, [], [], level)


def run_ours(s: Series, config: DetectorConfig | None = None) -> list[int]:
    """Bucket indices where our detector pages, feeding the series one bucket at a time."""
    det = SpikeDetector(config or DetectorConfig(bucket_seconds=s.bucket))
    out = []
    for i, v in zip(s.index.tolist(), s.values.tolist()):
        if det.update(START + timedelta(seconds=i * s.bucket), v).alarm:
            out.append(i)
    return out


def _episodes(flag: np.ndarray, index: np.ndarray, rearm: int) -> list[int]:
    """Page on a raised flag, then stay quiet until it has been down for ``rearm`` buckets.

    Baselines get the same episode rule as ours (one page per surge, 3 h to re-arm).
    """
    out, armed, quiet = [], True, 0
    for i in range(len(flag)):
        if flag[i]:
            if armed:
                out.append(int(index[i]))
                armed = False
            quiet = 0
        elif not armed:
            quiet += 1
            armed = quiet >= rearm
    return out


def run_mean_sigma(s: Series, sustain: int = 1) -> list[int]:
    """Huginn-style: value above mean + 3 sigma of the previous 14 days (``sustain`` of the last 4 buckets)."""
    w = 14 * s.per_day
    df = pl.DataFrame({"v": s.values}).with_columns(
        m=pl.col("v").rolling_mean(w, min_samples=s.per_day).shift(1),
        sd=pl.col("v").rolling_std(w, min_samples=s.per_day).shift(1),
    )
    flag = (df["v"] > df["m"] + 3 * df["sd"]).fill_null(False)
    if sustain > 1:
        flag = flag & (flag.cast(pl.Int32).rolling_sum(4, min_samples=1) >= sustain)
    return _episodes(flag.to_numpy(), s.index, 3 * s.per_hour)


def run_last_hour(s: Series) -> list[int]:
    """Meltwater-style: last hour's volume at least double the hourly mean of the previous 12 h."""
    hour = s.per_hour
    df = pl.DataFrame({"v": s.values}).with_columns(h=pl.col("v").rolling_sum(hour))
    df = df.with_columns(prev=pl.col("h").shift(hour).rolling_mean(11 * hour + 1, min_samples=8 * hour))
    flag = ((df["h"] >= 2 * df["prev"]) & (df["h"] >= 10)).fill_null(False).to_numpy()
    return _episodes(flag, s.index, 3 * hour)


def score(series: list[Series], alerts: list[list[int]]) -> dict[str, float]:
    """Paging-rule scores: hits once per window, every alert outside all windows is a false page."""
    hits = fps = total = 0
    delays: list[float] = []
    days = 0.0
    for s, al in zip(series, alerts):
        days += (s.index[-1] - s.index[0] + 1) / s.per_day
        total += len(s.windows)
        seen = set()
        for a in al:
            inside = [k for k, (lo, hi) in enumerate(s.windows) if lo <= a < hi]
            if not inside:
                fps += 1
            elif inside[0] not in seen:
                seen.add(inside[0])
                delays.append((a - s.starts[inside[0]]) * s.bucket / 60)
        hits += len(seen)
    precision = hits / (hits + fps) if hits + fps else 0.0
    recall = hits / total if total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision, "recall": recall, "f1": f1,
        "median_delay_min": statistics.median(delays) if delays else float("nan"),
        "false_per_30d": fps / days * 30, "windows": total, "hits": hits, "false": fps,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=16)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bucket-minutes", type=int, choices=(5, 15), default=5)
    ap.add_argument("--speed", action="store_true", help="also time one 1-year 5-minute series")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    series = [make_series(rng, f"s{i:02d}", args.days) for i in range(args.series)]
    if args.bucket_minutes != 5:
        series = [coarsen(s, args.bucket_minutes // 5) for s in series]
    rows = []
    detectors = (
        ("listening", run_ours),
        ("mean+3sd over 14 d", run_mean_sigma),
        ("mean+3sd over 14 d, 3 of 4 buckets", lambda s: run_mean_sigma(s, sustain=3)),
        ("last hour >= 2x previous 12 h", run_last_hour),
    )
    bursty = [make_bursty(rng, f"b{i:02d}", args.days) for i in range(max(4, args.series // 2))]
    if args.bucket_minutes != 5:
        bursty = [coarsen(s, args.bucket_minutes // 5) for s in bursty]
    for name, fn in detectors:
        t = time.perf_counter()
        res = score(series, [fn(s) for s in series])
        res["seconds"] = time.perf_counter() - t
        res["bursty_false_per_30d"] = score(bursty, [fn(s) for s in bursty])["false_per_30d"]
        rows.append((name, res))
    print(f"{len(series)} series x {args.days} days, {args.bucket_minutes}-min buckets, seed {args.seed}, "
          f"{rows[0][1]['windows']} labelled surges")
    print("| detector | precision | recall | F1 | median delay (min) | false pages / 30 days "
          "| false pages / 30 days, bursty noise | run time (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} | "
              f"{r['median_delay_min']:.0f} | {r['false_per_30d']:.2f} | {r['bursty_false_per_30d']:.2f} "
              f"| {r['seconds']:.1f} |")
    if args.speed:
        big = make_series(np.random.default_rng(args.seed), "year", 365)
        t = time.perf_counter()
        run_ours(big)
        print(f"\n1-year 5-minute series ({big.values.size} points): {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
