"""Simulate brand and competitor accounts with known reach changes; score the reach detector.

Run: ``.venv/bin/python bench/reach_sim.py [--quarters 30] [--quiet-quarters 20] [--brand-quarters 20] [--seed 11]``
prints Markdown tables (see docs/reach.md); ``--write SNAPSHOTS.csv`` instead
writes one simulated quarter for ``listening reach-changes``.

Each platform has several accounts (one own, the rest competitors) with their
own follower base and growth, a posting rhythm (a few posts a day around
morning/lunch/evening in the account's time zone, fewer at weekends, multi-day
gaps), log-normal per-post engagement, a platform-specific saturating age curve,
Poisson counts that only grow between looks, and snapshots at 1 h, 6 h, 24 h,
72 h and 7 d (jittered, some missing).  YouTube exposes likes and views only.
A "mixed" quarter has one platform-wide change (every account on the platform,
same moment, -60 %..+40 %) and one brand-specific change on one account
(+-20..60 %); a "quiet" quarter has none and measures false alarms; a
"brand" quarter has only one brand-specific change (+-40..60 %), which gives
brand-change attribution a sample of its own.
"""

from __future__ import annotations

import argparse
import csv
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

from listening.reach import SNAPSHOT_COLUMNS, ReachChange, ReachConfig, detect_reach_changes  # noqa: E402

START = datetime(2026, 1, 5, tzinfo=timezone.utc)
AGES_H = (1.0, 6.0, 24.0, 72.0, 168.0)


@dataclass(frozen=True)
class PlatformSpec:
    """How a platform behaves: posting volume, age curve, noise, which counts it exposes."""

    posts_per_day: tuple[float, float]
    tau_h: float
    sigma: float
    rate: tuple[float, float]
    views_only_likes: bool = False


PLATFORMS = {
    "mastodon": PlatformSpec((2.0, 4.5), 5.0, 0.55, (0.003, 0.02)),
    "bluesky": PlatformSpec((2.5, 5.0), 3.0, 0.65, (0.004, 0.03)),
    "youtube": PlatformSpec((1.0, 2.0), 36.0, 0.5, (0.002, 0.01), views_only_likes=True),
}


@dataclass(frozen=True)
class Truth:
    """One simulated change: ``kind`` is ``platform`` (all accounts) or ``account``."""

    platform: str
    account: str
    changed_at: datetime
    magnitude: float
    kind: str


def _curve(age_h: np.ndarray, tau: float) -> np.ndarray:
    """Share of a post's 7-day engagement reached at each age (saturating, platform-specific)."""
    return (1 - np.exp(-((age_h / tau) ** 0.7))) / (1 - math.exp(-((168.0 / tau) ** 0.7)))


Event = tuple[str, str | None, float, float]


def simulate(
    seed: int, days: int = 91, accounts: int = 4, scenario: str = "mixed", platforms: tuple[str, ...] = tuple(PLATFORMS),
    events: tuple[Event, ...] = (),
) -> tuple[list[dict[str, object]], list[Truth]]:
    """Snapshots (dicts in the SNAPSHOTS.csv schema) and the true changes of one seeded quarter.

    ``scenario`` is ``mixed`` (random changes) or ``quiet``; ``events`` adds
    explicit ones as (platform, account or None for all, day, magnitude).
    """
    rng = np.random.default_rng(seed)
    end = START + timedelta(days=days)
    truths: list[Truth] = []
    names = {p: [f"{p[:2]}-own"] + [f"{p[:2]}-rival{i}" for i in range(1, accounts)] for p in platforms}
    for platform, account, day, magnitude in events:
        at = START + timedelta(days=day)
        targets = names[platform] if account is None else [account]
        truths += [Truth(platform, a, at, magnitude, "platform" if account is None else "account") for a in targets]
    if scenario == "mixed":
        p_plat = platforms[int(rng.integers(len(platforms)))]
        t_plat = START + timedelta(days=float(rng.uniform(0.35, 0.65) * days))
        m_plat = float(rng.choice([-1, -1, -1, 1]) * rng.uniform(0.3, 0.6))
        m_plat = max(m_plat, -0.6) if m_plat < 0 else min(m_plat, 0.4)
        truths += [Truth(p_plat, a, t_plat, m_plat, "platform") for a in names[p_plat]]
        p_acc = platforms[int(rng.integers(len(platforms)))]
        a_acc = names[p_acc][int(rng.integers(accounts))]
        t_acc = START + timedelta(days=float(rng.uniform(0.3, 0.7) * days))
        if p_acc == p_plat and abs((t_acc - t_plat).days) < 21:
            t_acc = t_plat + timedelta(days=25 if t_plat < START + timedelta(days=days / 2) else -25)
        m_acc = float(rng.choice([-1, 1]) * rng.uniform(0.2, 0.6))
        truths.append(Truth(p_acc, a_acc, t_acc, m_acc, "account"))
    if scenario == "brand":
        p_acc = platforms[int(rng.integers(len(platforms)))]
        t_acc = START + timedelta(days=float(rng.uniform(0.3, 0.7) * days))
        m_acc = float(rng.choice([-1, 1]) * rng.uniform(0.4, 0.6))
        truths.append(Truth(p_acc, names[p_acc][int(rng.integers(accounts))], t_acc, m_acc, "account"))
    rows: list[dict[str, object]] = []
    for platform in platforms:
        spec = PLATFORMS[platform]
        for account in names[platform]:
            rows += _account_rows(rng, platform, account, spec, days, end, [t for t in truths if t.platform == platform and t.account == account])
    rows.sort(key=lambda r: (r["observed_at"], r["post_id"]))
    return rows, truths


def _account_rows(
    rng: np.random.Generator, platform: str, account: str, spec: PlatformSpec, days: int, end: datetime, truths: list[Truth],
) -> list[dict[str, object]]:
    per_day = rng.uniform(*spec.posts_per_day)
    tz = rng.integers(-8, 10)
    base_rate = math.exp(rng.uniform(math.log(spec.rate[0]), math.log(spec.rate[1])))
    followers0 = math.exp(rng.uniform(math.log(2_000), math.log(200_000)))
    growth = rng.uniform(0.0003, 0.003)
    posts: list[datetime] = []
    day, gap_until = 0, -1
    while day < days:
        if day > gap_until and rng.random() < 0.025:
            gap_until = day + int(rng.integers(2, 6))
        if day > gap_until:
            weekend = (START + timedelta(days=day)).weekday() >= 5
            for _ in range(rng.poisson(per_day * (0.5 if weekend else 1.0))):
                hour = float(rng.choice([9.0, 13.0, 18.5])) + rng.normal(0, 1.5) - tz
                posts.append(START + timedelta(days=day, hours=hour))
        day += 1
    posts.sort()
    out: list[dict[str, object]] = []
    ages = np.asarray(AGES_H)
    for k, posted in enumerate(posts):
        mult = math.prod(1 + t.magnitude for t in truths if posted >= t.changed_at)
        t_days = (posted - START).total_seconds() / 86400
        followers = followers0 * math.exp(growth * t_days)
        expected24 = followers * base_rate * mult * math.exp(rng.normal(0, spec.sigma) - spec.sigma**2 / 2)
        final = rng.poisson(expected24 / float(_curve(np.asarray([24.0]), spec.tau_h)[0]))
        shares = _curve(ages, spec.tau_h)
        split = rng.multinomial(final, [0.7, 0.2, 0.1])
        counts = np.zeros((len(ages), 3), dtype=np.int64)
        counts[-1] = split
        for j in range(len(ages) - 2, -1, -1):
            counts[j] = rng.binomial(counts[j + 1], shares[j] / shares[j + 1])
        views_final = rng.poisson(final * 40 + 1) if spec.views_only_likes else 0
        for j, age in enumerate(ages):
            if rng.random() < 0.06:
                continue
            observed = posted + timedelta(hours=float(age) + float(rng.uniform(0, 0.5)))
            if observed > end:
                break
            f_obs = followers0 * math.exp(growth * (observed - START).total_seconds() / 86400) * (1 + rng.normal(0, 0.002))
            likes, reposts, replies = (int(x) for x in counts[j])
            row: dict[str, object] = {
                "platform": platform, "account": account, "post_id": f"{platform}:{account}:{k}",
                "posted_at": posted, "observed_at": observed,
                "likes": likes, "reposts": reposts, "replies": replies, "views": None, "followers": int(f_obs),
            }
            if spec.views_only_likes:
                row.update(likes=likes + reposts + replies, reposts=None, replies=None, views=int(rng.binomial(views_final, shares[j])))
            out.append(row)
    return out


def write_snapshots_csv(path: Path, seed: int = 11, days: int = 91, accounts: int = 4, scenario: str = "mixed",
                        platforms: tuple[str, ...] = tuple(PLATFORMS), events: tuple[Event, ...] = ()) -> list[Truth]:
    """Write one simulated quarter as SNAPSHOTS.csv (the CLI's input) and return its true changes."""
    rows, truths = simulate(seed, days, accounts, scenario, platforms, events)

    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, datetime):
            return v.strftime("%Y-%m-%dT%H:%M:%SZ")
        return str(v)

    with Path(path).open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(SNAPSHOT_COLUMNS)
        writer.writerows([cell(r[c]) for c in SNAPSHOT_COLUMNS] for r in rows)
    return truths


@dataclass
class Score:
    """Outcome of matching detections to truths over many quarters."""

    hits: list[tuple[Truth, ReachChange]]
    misses: list[Truth]
    false_alarms: list[ReachChange]
    account_quarters: int


def match(truths: list[Truth], changes: list[ReachChange], horizon_days: float = 21.0) -> tuple[list[tuple[Truth, ReachChange]], list[Truth], list[ReachChange]]:
    """A detection hits a truth on the same account, same direction, detected within ``horizon_days``."""
    free = list(changes)
    hits, misses = [], []
    for t in sorted(truths, key=lambda t: t.changed_at):
        want = "up" if t.magnitude > 0 else "down"
        cands = [c for c in free if c.platform == t.platform and c.account == t.account and c.direction == want
                 and t.changed_at - timedelta(days=2) <= c.detected_at <= t.changed_at + timedelta(days=horizon_days)]
        if cands:
            best = min(cands, key=lambda c: c.detected_at)
            free.remove(best)
            hits.append((t, best))
        else:
            misses.append(t)
    return hits, misses, free


def evaluate(quarters: int, seed: int, scenario: str, config: ReachConfig | None = None, accounts: int = 4) -> tuple[Score, float]:
    """Simulate and score ``quarters`` seeded quarters; returns the score and detector seconds."""
    score = Score([], [], [], 0)
    spent = 0.0
    for q in range(quarters):
        rows, truths = simulate(seed * 1000 + q, accounts=accounts, scenario=scenario)
        t0 = time.perf_counter()
        changes = detect_reach_changes(pl.DataFrame(rows, infer_schema_length=None), config)
        spent += time.perf_counter() - t0
        hits, misses, fas = match(truths, changes)
        score.hits += hits
        score.misses += misses
        score.false_alarms += fas
        score.account_quarters += accounts * len(PLATFORMS)
    return score, spent


def _delay(t: Truth, c: ReachChange) -> float:
    return (c.detected_at - t.changed_at).total_seconds() / 86400


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f} % ({a}/{b})" if b else "n/a"


def report(mixed: Score, quiet: Score, brand: Score) -> str:
    """Markdown tables: detection and delay by kind and size, attribution, false alarms."""
    lines = ["| change | cases | detected (21 d) | within 3 d | median delay d | attribution right |", "|---|---|---|---|---|---|"]
    truths = [t for t, _ in mixed.hits] + mixed.misses
    brand_truths = [t for t, _ in brand.hits] + brand.misses
    brand_hits = [(t, c) for t, c in brand.hits]
    groups = [
        ("platform, drop >= 30 %", lambda t: t.kind == "platform" and t.magnitude <= -0.3),
        ("platform, rise 30-40 %", lambda t: t.kind == "platform" and t.magnitude > 0),
        ("account, |change| >= 40 %", lambda t: t.kind == "account" and abs(t.magnitude) >= 0.4),
        ("account, |change| 20-40 %", lambda t: t.kind == "account" and abs(t.magnitude) < 0.4),
    ]
    for plat in PLATFORMS:
        groups.append((f"platform drop on {plat}", lambda t, p=plat: t.kind == "platform" and t.magnitude < 0 and t.platform == p))
    for label, pred in groups:
        cases = [t for t in truths if pred(t)]
        hits = [(t, c) for t, c in mixed.hits if pred(t)]
        fast = [h for h in hits if _delay(*h) <= 3.0]
        right = [h for h in hits if h[1].attribution == h[0].kind]
        med = f"{statistics.median(_delay(*h) for h in hits):.1f}" if hits else "-"
        lines.append(f"| {label} | {len(cases)} | {_pct(len(hits), len(cases))} | {_pct(len(fast), len(cases))} | {med} | {_pct(len(right), len(hits))} |")
    fast = [h for h in brand_hits if _delay(*h) <= 3.0]
    right_b = [h for h in brand_hits if h[1].attribution == "account"]
    med = f"{statistics.median(_delay(*h) for h in brand_hits):.1f}" if brand_hits else "-"
    lines.append(f"| brand-only quarters, account 40-60 % | {len(brand_truths)} | {_pct(len(brand_hits), len(brand_truths))} "
                 f"| {_pct(len(fast), len(brand_truths))} | {med} | {_pct(len(right_b), len(brand_hits))} |")
    right = sum(c.attribution == t.kind for t, c in mixed.hits + brand.hits)
    lines.append("")
    lines.append(f"Attribution right on detected changes (mixed + brand-only): {_pct(right, len(mixed.hits) + len(brand.hits))}.")
    lines.append("")
    lines.append("| quarters | account-quarters | false alarms | per account per quarter |")
    lines.append("|---|---|---|---|")
    for label, s in (("quiet (no change)", quiet), ("mixed (with changes)", mixed), ("brand-only", brand)):
        rate = len(s.false_alarms) / s.account_quarters if s.account_quarters else float("nan")
        lines.append(f"| {label} | {s.account_quarters} | {len(s.false_alarms)} | {rate:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", type=int, default=30)
    parser.add_argument("--quiet-quarters", type=int, default=20)
    parser.add_argument("--brand-quarters", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--write", type=Path, help="write one simulated quarter to this SNAPSHOTS.csv and exit")
    args = parser.parse_args(argv)
    if args.write:
        for t in write_snapshots_csv(args.write, seed=args.seed):
            sys.stdout.write(f"{t.platform},{t.account},{t.changed_at.isoformat()},{t.magnitude:+.2f},{t.kind}\n")
        return 0
    mixed, s1 = evaluate(args.quarters, args.seed, "mixed")
    quiet, s2 = evaluate(args.quiet_quarters, args.seed + 1, "quiet")
    brand, s3 = evaluate(args.brand_quarters, args.seed + 2, "brand")
    sys.stdout.write(report(mixed, quiet, brand) + "\n")
    total = args.quarters + args.quiet_quarters + args.brand_quarters
    sys.stdout.write(f"\ndetector time: {s1 + s2 + s3:.1f} s for {total} quarters\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
