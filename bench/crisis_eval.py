"""Evaluate the crisis detector against simple baselines on seeded synthetic series and real ones.

Run: ``.venv/bin/python bench/crisis_eval.py [--series 16] [--days 60] [--seed 7]
[--bucket-minutes 5|15] [--noise real|legacy] [--real DIR [--stats]] [--speed]``;
it prints Markdown tables (see docs/crisis.md).  ``--real DIR`` adds the real
series (all detectors, leave-one-series-out choice of the page bar, streams
thinned to 25 % and 5 %); ``--stats`` the noise statistics, real vs synthetic.

Each synthetic series has a daily and weekly rhythm, a trend, slow level drift,
overdispersed (gamma-Poisson) counts at a level between ~2 and ~500 per bucket,
plus labelled surges (step, ramp, spike-decay; 30 min to 12 h; x1.6 to x8) and
unlabelled nuisances that must not page: single-bucket blips (x2-x4), 10-minute
bursts (x1.5-x2.5), collection outages (runs of zeros), missing rows and a
modest permanent level shift; with ``--noise real`` (default) also log-AR(1)
noise and heavy-tailed unlabelled bursts re-fitted to real streams.  A second, surge-free set with bursty
autocorrelated noise measures false pages where real streams are hardest.
Scoring follows paging rules: an alert inside a labelled window is a hit,
counted once per window; every alert outside all windows is a false page.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crisis_real import leave_one_out, load_real, noise_stats, ordinary_surges, stats_table, thin  # noqa: E402, F401
from listening.crisis import Decision, DetectorConfig, SpikeDetector  # noqa: E402

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
    origin: datetime = START

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
    starts = [st // factor for st in s.starts]
    return Series(s.name, keys, values, windows, starts, s.level, s.bucket * factor, s.origin)


def _surge_shape(kind: str, n: int) -> np.ndarray:
    t = np.arange(n, dtype=float)
    if kind == "step":
        return np.ones(n)
    if kind == "ramp":
        return np.minimum(1.0, (t + 1) / max(1.0, 0.6 * n))
    return np.exp(-t / max(1.0, n / 3.0))


@dataclass(frozen=True)
class RealNoise:
    """Noise of real tweet-volume series, as the generator draws it (re-fitted by eye to ``--real DIR --stats``).

    Levels reach down to sparse streams (many zero buckets), the daily rhythm is
    deeper, a log-AR(1) term makes quiet and busy hours cluster, and unlabelled
    bursts arrive several times a day, mostly 5-15 minutes long, with a
    heavy-tailed size (log multiplier exponential: median ~x2, 1 in 100 above ~x30).
    """

    level: tuple[float, float] = (0.3, 300.0)
    amplitude: tuple[float, float] = (0.4, 0.9)
    weekend: tuple[float, float] = (0.5, 0.9)
    ar_rho: tuple[float, float] = (0.4, 0.85)
    ar_sd: tuple[float, float] = (0.1, 0.25)
    bursts_per_day: tuple[float, float] = (1.5, 6.0)
    burst_continue: float = 0.5
    burst_log_size: float = 0.7


def _ar1(rng: np.random.Generator, n: int, rho: float, sd: float) -> np.ndarray:
    shocks = rng.normal(0, sd * math.sqrt(1 - rho**2), n)
    out = np.zeros(n)
    for i in range(1, n):
        out[i] = rho * out[i - 1] + shocks[i]
    return out


def _real_bursts(rng: np.random.Generator, mu: np.ndarray, labelled: np.ndarray, noise: RealNoise) -> np.ndarray:
    """Unlabelled heavy-tailed spike-decay bursts outside the labelled windows."""
    extra = np.zeros(mu.size)
    days = mu.size / PER_DAY
    free = np.flatnonzero(~labelled[PER_DAY:]) + PER_DAY
    for at in rng.choice(free, size=rng.poisson(rng.uniform(*noise.bursts_per_day) * days), replace=False):
        length = int(rng.geometric(1 - noise.burst_continue))
        size = math.expm1(rng.exponential(noise.burst_log_size)) + 1.0
        span = slice(at, min(at + length, mu.size))
        extra[span] += size * mu[at] * _surge_shape("spike", span.stop - span.start)
    return extra


def make_series(rng: np.random.Generator, name: str, days: int, noise: RealNoise | None = None) -> Series:
    """Draw one overdispersed rhythmic count series with labelled surges (real-like noise when ``noise``)."""
    n = days * PER_DAY
    t = np.arange(n)
    hours = (t * BUCKET / 3600.0) % 24
    dow = (t // PER_DAY) % 7
    lo, hi = noise.level if noise else (2, 500)
    level = float(np.exp(rng.uniform(math.log(lo), math.log(hi))))
    amp, peak = rng.uniform(*(noise.amplitude if noise else (0.2, 0.8))), rng.uniform(0, 24)
    daily = 1 + amp * np.cos(2 * np.pi * (hours - peak) / 24) + 0.15 * amp * np.cos(4 * np.pi * (hours - peak) / 24)
    weekly = np.where(dow >= 5, rng.uniform(*(noise.weekend if noise else (0.5, 1.1))), 1.0)
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
    labelled = np.zeros(n, bool)
    for a, b in windows:
        labelled[a:b] = True
    if noise:
        mu = mu * np.exp(_ar1(rng, n, rng.uniform(*noise.ar_rho), rng.uniform(*noise.ar_sd)))
        extra += _real_bursts(rng, mu, labelled, noise)
    rate = mu * rng.gamma(1 / phi, phi, n) + extra
    values = rng.poisson(rate).astype(float)
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


def decisions(s: Series, config: DetectorConfig | None = None) -> Iterator[tuple[int, Decision]]:
    """Our detector's decision on each row, feeding the series one bucket at a time."""
    det = SpikeDetector(config or DetectorConfig(bucket_seconds=s.bucket))
    for i, v in zip(s.index.tolist(), s.values.tolist()):
        yield i, det.update(s.origin + timedelta(seconds=i * s.bucket), v)


def run_ours(s: Series, config: DetectorConfig | None = None) -> list[int]:
    """Bucket indices where our detector pages."""
    return [i for i, d in decisions(s, config) if d.alarm]


def expected_ours(s: Series) -> np.ndarray:
    """Our detector's expected count for each row (NaN until it is warm)."""
    return np.array([d.baseline if d.warm else np.nan for _, d in decisions(s)])


def margin_runner() -> Callable[[Series, dict], list[int]]:
    """:func:`run_ours` with the bar's margins ``params``, each (series, params) run once per report."""
    cache: dict[tuple[int, tuple], list[int]] = {}

    def run(s: Series, params: dict) -> list[int]:
        key = (id(s), tuple(sorted(params.items())))
        if key not in cache:
            cache[key] = run_ours(s, DetectorConfig(bucket_seconds=s.bucket, **params))
        return cache[key]

    return run


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


NO_BAR = DetectorConfig(page_margin=-1e9, bar_alone_days=0)  # the count model alone: the calibrated page bar (issue 17) switched off
GRID = [  # leave-one-series-out choices for the self-calibrated bar's margin (pseudo_count stays 20)
    {"margin_spread": c, "margin_noise": z}
    for c in (0.25, 0.5, 0.75, 1.0) for z in (1.0, 2.0)
]


def detectors() -> list[tuple[str, Callable[[Series], list[int]]]]:
    return [
        ("**listening**", run_ours),
        ("listening, count model alone (no calibrated bar)", lambda s: run_ours(s, replace_bucket(NO_BAR, s))),
        ("windowed Gaussian: mean+3sd over 14 d (Huginn-style)", run_mean_sigma),
        ("windowed Gaussian, 3 of 4 buckets", lambda s: run_mean_sigma(s, sustain=3)),
        ("last hour >= 2x previous 12 h (Meltwater-style)", run_last_hour),
    ]


def replace_bucket(config: DetectorConfig, s: Series) -> DetectorConfig:
    return dataclasses.replace(config, bucket_seconds=s.bucket)


def table(rows: list[tuple[str, dict[str, float]]], extra: str | None = None) -> str:
    head = "| detector | precision | recall | F1 | median delay (min) | false pages / 30 days |"
    head += f" {extra} |" if extra else ""
    lines = [head, "|---" * (6 + bool(extra)) + "|"]
    for name, r in rows:
        line = (f"| {name} | {r['precision']:.2f} | {r['recall']:.2f} ({r['hits']}/{r['windows']}) | {r['f1']:.2f} | "
                f"{r['median_delay_min']:.0f} | {r['false_per_30d']:.2f} ({r['false']}) |")
        lines.append(line + (f" {r[extra]:.2f} |" if extra else ""))
    return "\n".join(lines)


def real_report(directory: Path, seed: int, factor: int = 1) -> None:
    """Real series: all detectors, leave-one-series-out choice of the bar, thinned streams."""
    real = load_real(directory, Series)
    if factor != 1:
        real = [coarsen(s, factor) for s in real]
    days = sum((s.index[-1] - s.index[0] + 1) / s.per_day for s in real)
    names = ", ".join(s.name for s in real)
    print(f"\n## Real series ({directory}, {real[0].bucket // 60}-min buckets): {names}; {days:.0f} days, "
          f"{sum(len(s.windows) for s in real)} labelled windows\n")
    print(table([(name, score(real, [fn(s) for s in real])) for name, fn in detectors()]))
    print("\nPer series, listening (defaults):\n")
    print(table([(s.name, score([s], [run_ours(s)])) for s in real]))
    run = margin_runner()
    held_out_table(real, days, "", run)
    streams = {1.0: real}
    for share in (0.25, 0.05):
        thinned = streams[share] = thin(real, share, seed)
        print(f"\nThinned binomially to {share:.0%} (seed {seed}):\n")
        print(table([(name, score(thinned, [fn(s) for s in thinned])) for name, fn in detectors()]))
        held_out_table(thinned, days, f" (thinned to {share:.0%})", run)
    grid_table(streams, run)
    if factor == 1:
        surges_table(streams)


def grid_table(streams: dict[float, list[Series]], run: Callable[[Series, dict], list[int]]) -> None:
    """Every margin of the grid, and the default, on all four series of each stream: how the default was chosen."""
    default = DetectorConfig()
    points = [*GRID, {"margin_spread": default.margin_spread, "margin_noise": default.margin_noise}]
    print("\nThe bar's margins on all four series (hits / windows, false pages / 30 days):\n")
    print("| margins | " + " | ".join(f"{share:.0%}" for share in streams) + " |")
    print("|---" * (len(streams) + 1) + "|")
    for i, p in enumerate(points):
        cells = []
        for group in streams.values():
            r = score(group, [run(s, p) for s in group])
            cells.append(f"{r['hits']}/{r['windows']}, {r['false_per_30d']:.2f}")
        name = ", ".join(f"{k}={v:g}" for k, v in p.items()) + (" (**default**)" if i == len(GRID) else "")
        print(f"| {name} | " + " | ".join(cells) + " |")


def held_out_table(real: list[Series], days: float, label: str, run: Callable[[Series, dict], list[int]]) -> None:
    """Leave one series out: the bar's margins chosen on the other three series, scored on the fourth."""
    folds = leave_one_out(real, GRID, run, score)
    print(f"\nLeave one series out{label} (bar chosen on the other three, scored on this one):\n")
    print("| held-out series | chosen on the other three | hits / windows | false pages | false pages / 30 days | F1 |")
    print("|---|---|---|---|---|---|")
    for name, params, r in folds:
        chosen = ", ".join(f"{k}={v:g}" for k, v in params.items())
        print(f"| {name} | {chosen} | {r['hits']}/{r['windows']} | {r['false']} | {r['false_per_30d']:.2f} "
              f"| {r['f1']:.2f} |")
    hits = sum(r["hits"] for _, _, r in folds)
    false = sum(r["false"] for _, _, r in folds)
    windows = sum(r["windows"] for _, _, r in folds)
    p, rc = hits / max(hits + false, 1), hits / max(windows, 1)
    print(f"| **all four, held out** | | {hits}/{windows} (recall {rc:.2f}) | {false} | {false / days * 30:.2f} "
          f"| {2 * p * rc / max(p + rc, 1e-9):.2f} |")


def surges_table(streams: dict[float, list[Series]], ratios: tuple[float, ...] = (5, 10, 20, 40)) -> None:
    """How often a real stream rises to k x its expected count for 15 minutes on an ordinary day (issue 17, point 4)."""
    print("\nOrdinary 15-minute rises (k x our detector's expected count, at least 5 mentions), outside every labelled "
          "window, after the first 7 days; episodes per 30 days (labelled windows with one):\n")
    print("| stream | mentions / 15 min (median) | " + " | ".join(f">= {k:g}x" for k in ratios) + " |")
    print("|---" * (len(ratios) + 2) + "|")
    for share, group in streams.items():
        counts = [ordinary_surges(s, expected_ours(s), ratios) for s in group]
        days = sum(c[ratios[0]][2] for c in counts)
        level = statistics.median(float(np.median(s.values)) * 3 for s in group)
        cells = [f"{sum(c[k][0] for c in counts) / days * 30:.1f} ({sum(c[k][1] for c in counts)}/"
                 f"{sum(len(s.windows) for s in group)})" for k in ratios]
        print(f"| {share:.0%} | {level:g} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=16)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bucket-minutes", type=int, choices=(5, 15), default=5)
    ap.add_argument("--speed", action="store_true", help="also time one 1-year 5-minute series")
    ap.add_argument("--noise", choices=("real", "legacy"), default="real",
                    help="synthetic noise: re-fitted to real streams (default) or the pre-#17 generator")
    ap.add_argument("--real", type=Path, metavar="DIR",
                    help="also score the real series in DIR (see bench/crisis_real.py)")
    ap.add_argument("--stats", action="store_true", help="with --real: noise statistics, real vs synthetic")
    args = ap.parse_args(argv)
    began = time.perf_counter()
    noise = RealNoise() if args.noise == "real" else None
    rng = np.random.default_rng(args.seed)
    series = [make_series(rng, f"s{i:02d}", args.days, noise) for i in range(args.series)]
    if args.bucket_minutes != 5:
        series = [coarsen(s, args.bucket_minutes // 5) for s in series]
    bursty = [make_bursty(rng, f"b{i:02d}", args.days) for i in range(max(4, args.series // 2))]
    if args.bucket_minutes != 5:
        bursty = [coarsen(s, args.bucket_minutes // 5) for s in bursty]
    rows = []
    for name, fn in detectors():
        res = score(series, [fn(s) for s in series])
        res["false pages / 30 days, bursty noise"] = score(bursty, [fn(s) for s in bursty])["false_per_30d"]
        rows.append((name, res))
    print(f"## Synthetic ({args.noise} noise): {len(series)} series x {args.days} days, {args.bucket_minutes}-min "
          f"buckets, seed {args.seed}, {rows[0][1]['windows']} labelled surges\n")
    print(table(rows, "false pages / 30 days, bursty noise"))
    if args.real:
        real_report(args.real, args.seed, args.bucket_minutes // 5)
        if args.stats:
            legacy_rng = np.random.default_rng(args.seed)
            legacy = [make_series(legacy_rng, f"l{i:02d}", args.days) for i in range(args.series)]
            print("\n## Noise statistics (labelled windows left out; see bench/crisis_real.py:noise_stats)\n")
            print(stats_table({"real (4 series)": load_real(args.real, Series),
                               f"synthetic, {args.noise} noise": series,
                               "synthetic, legacy noise (before #17)": legacy}))
    if args.speed:
        big = make_series(np.random.default_rng(args.seed), "year", 365)
        t, cpu = time.perf_counter(), time.process_time()
        run_ours(big)
        print(f"\n1-year 5-minute series ({big.values.size} points): {time.process_time() - cpu:.1f} s CPU, "
              f"{time.perf_counter() - t:.1f} s wall")
    print(f"\nbench run time: {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
