"""How fast the crisis path pages a clear surge: minutes from a surge's start to its alert.

The pipeline's crisis path is a cycle (fetch, score, ``watch``) every few
minutes; ``watch`` feeds only completed buckets to each brand's detector.  So a
page's delay is set by three things together: the bucket size, the cycle's
cadence, and how many buckets the detector wants before it pages.  This bench
runs that path for real — a SQLite store, the real ``watch`` and alert
lifecycle — on a generated stream: two quiet weeks of negative mentions with a
daily rhythm (``rate`` per 15 minutes on average), then a surge of ``mult``
times that rate starting ``offset`` minutes into an hour.  Each cycle sees only
the mentions published before it.  The stream is generated here, so the figures
show what the detector and the schedule do by design, not how they do on real
data (``bench/crisis_eval.py --real`` measures that).

    python bench/page_speed.py                  # bucket 5 and 15 minutes, a cycle every 10 minutes (the schedule)
    python bench/page_speed.py --bucket 5 --cadence 5
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from listening.config import load_config
from listening.store import Store, alerts, mentions, scores
from listening.watch import watch

MODEL = "page-speed-bench"
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
QUIET_DAYS = 14
OFFSETS = (0, 1, 4, 6, 9, 14)
RATES = (2, 4, 8, 15, 30)


@dataclass(frozen=True)
class Stream:
    """Negative mentions per minute: a daily rhythm, then ``mult`` times it from ``surge``."""

    rate15: float
    surge: datetime
    mult: float = 5.0

    def times(self, rng: np.random.Generator, end: datetime) -> list[datetime]:
        out, t = [], T0
        while t < end:
            hour = t.hour + t.minute / 60
            lam = self.rate15 / 15 * (1 + 0.6 * math.sin((hour - 8) / 24 * 2 * math.pi))
            lam *= self.mult if t >= self.surge else 1.0
            out += [t + timedelta(seconds=int(s)) for s in rng.integers(0, 60, rng.poisson(lam))]
            t += timedelta(minutes=1)
        return sorted(out)


def _insert(store: Store, times: list[datetime], first: int) -> None:
    if not times:
        return
    rows, score_rows = [], []
    for n, at in enumerate(times, start=first):
        key = f"{n:010d}"
        rows.append({"id": f"m{key}", "source": "rss", "native_id": key, "url": f"https://news.example/{key}",
                     "canonical_url": f"news.example/{key}", "title_key": f"t{key}", "text_hash": f"h{key}",
                     "title": "", "text": f"orbitly login outage {key}", "lang": "en", "published_at": at,
                     "fetched_at": at, "author": "someone", "brand": "orbitly", "brands": "orbitly",
                     "query": "orbitly", "is_own": False, "raw": "{}"})
        score_rows.append({"text_hash": f"h{key}", "model_id": MODEL, "sentiment": "negative", "p_negative": 0.9,
                           "p_neutral": 0.1, "p_positive": 0.0, "topic": "outage", "scored_at": at})
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows)
        store.upsert(conn, scores, score_rows)


def page_delay(rate15: float, offset_min: int, *, bucket: int, cadence: int, mult: float = 5.0, seed: int = 0,
               horizon: timedelta = timedelta(hours=2), workdir: Path | None = None) -> float | None:
    """Minutes from the surge's start to the cycle that opens its alert (None: no page within ``horizon``)."""
    folder = Path(workdir or tempfile.mkdtemp(prefix="page-speed-"))
    config_file = folder / "listening.yaml"
    config_file.write_text("brands:\n  - {key: orbitly, name: Orbitly, own: true}\n"
                           f"alerting:\n  bucket_minutes: {bucket}\n")
    config = load_config(config_file)
    store = Store.open(f"sqlite:///{folder / f'page-speed-{rate15}-{offset_min}-{bucket}-{cadence}.db'}")
    surge = T0 + timedelta(days=QUIET_DAYS, hours=13, minutes=offset_min)
    times = Stream(rate15, surge, mult).times(np.random.default_rng(seed), surge + horizon)
    cycle = T0 + timedelta(days=QUIET_DAYS, hours=12)  # on every cadence's grid
    seen = sum(t <= cycle for t in times)
    _insert(store, times[:seen], 0)
    watch(config, store, MODEL, now=cycle)
    while cycle < surge + horizon:
        cycle += timedelta(minutes=cadence)
        fresh = [t for t in times[seen:] if t <= cycle]
        _insert(store, fresh, seen)
        seen += len(fresh)
        watch(config, store, MODEL, now=cycle)
        with store.engine.connect() as conn:
            if conn.execute(sa.select(sa.func.count()).select_from(alerts).where(alerts.c.window_end > surge - timedelta(minutes=bucket))).scalar():
                return (cycle - surge).total_seconds() / 60
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bucket", type=int, nargs="+", default=[5, 15], help="bucket minutes")
    ap.add_argument("--cadence", type=int, nargs="+", default=[10],
                    help="minutes between crisis cycles (the ingest_every_10_minutes schedule: 10)")
    ap.add_argument("--mult", type=float, default=5.0, help="surge size (x the usual rate)")
    args = ap.parse_args()
    print(f"surge x{args.mult:g}; delay in minutes from the surge's start to the page, "
          f"surge starting {', '.join(map(str, OFFSETS))} minutes past the hour")
    print("| bucket | cycle every | negative mentions / 15 min | delays | worst |")
    print("|---|---|---|---|---|")
    for bucket in args.bucket:
        for cadence in args.cadence:
            for rate in RATES:
                delays = [page_delay(rate, off, bucket=bucket, cadence=cadence, mult=args.mult, seed=off + rate)
                          for off in OFFSETS]
                shown = ", ".join("-" if d is None else f"{d:.0f}" for d in delays)
                worst = "no page" if None in delays else f"{max(delays):.0f} (median {statistics.median(delays):.0f})"
                print(f"| {bucket} min | {cadence} min | {rate} | {shown} | {worst} |", flush=True)


if __name__ == "__main__":
    main()
