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
    python bench/page_speed.py --replay         # the demo's recorded outage through the real Dagster cycle

``--replay`` is the end-to-end check on recorded data: the demo config, the replay
server with a pinned clock, the real ``listening_cycle`` job (fetch, score with the
bundled model, watch) every ``--cadence`` minutes from the outage's labelled start.
"""

from __future__ import annotations

import argparse
import json
import math
import os
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


def replay_delay(epoch: datetime, cadence: int = 10, horizon: timedelta = timedelta(hours=3)) -> dict[str, datetime | None]:
    """The demo outage through the real Dagster cycle: its labelled start, first negative mention, and the paging cycle."""
    import dagster as dg

    from dagster_project.definitions import build_defs
    from listening.replay import DATA_DIR

    event = next(e for e in json.loads((DATA_DIR / "labels.json").read_text())["events"] if e["kind"] == "crisis")
    start = epoch + timedelta(seconds=event["start_offset_s"])
    os.environ.update(LISTENING_HOME=tempfile.mkdtemp(prefix="page-speed-replay-"), LISTENING_REPLAY_EPOCH=epoch.isoformat())
    for name in ("LISTENING_DATABASE_URL", "LISTENING_CONFIG", "LISTENING_SLACK_WEBHOOK_URL", "LISTENING_SLACK_BOT_TOKEN"):
        os.environ.pop(name, None)
    paged = None
    with dg.instance_for_test() as instance:
        cycle = start - timedelta(minutes=cadence)
        while paged is None and cycle <= start + horizon:
            os.environ["LISTENING_REPLAY_NOW"] = cycle.isoformat()  # bound when the definitions are built, as `dagster dev` does
            assert build_defs().resolve_job_def("listening_cycle").execute_in_process(instance=instance).success
            with Store.open().engine.connect() as conn:
                if conn.execute(sa.select(sa.func.count()).select_from(alerts).where(alerts.c.brand == event["brand"])).scalar():
                    paged = cycle
            cycle += timedelta(minutes=cadence)
    with Store.open().engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(mentions.c.published_at)).select_from(
            mentions.join(scores, scores.c.text_hash == mentions.c.text_hash)).where(
            mentions.c.brand == event["brand"], scores.c.sentiment == "negative", mentions.c.published_at >= start)).scalar()
    return {"start": start, "first_negative": first.replace(tzinfo=timezone.utc) if first else None, "paged": paged}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bucket", type=int, nargs="+", default=[5, 15], help="bucket minutes")
    ap.add_argument("--cadence", type=int, nargs="+", default=[10],
                    help="minutes between crisis cycles (the ingest_every_10_minutes schedule: 10)")
    ap.add_argument("--mult", type=float, default=5.0, help="surge size (x the usual rate)")
    ap.add_argument("--replay", action="store_true", help="the demo's recorded outage through the real Dagster cycle")
    ap.add_argument("--epoch", type=datetime.fromisoformat, default=datetime(2026, 11, 25, 12, tzinfo=timezone.utc),
                    help="with --replay: the moment the recording's anchor maps to (the outage starts 5 d 23 h before; "
                    "default 2026-11-25T12:00+00:00, as in tests/test_crisis_pipeline.py)")
    args = ap.parse_args()
    if args.replay:
        cadence = args.cadence[0]
        r = replay_delay(args.epoch, cadence)
        hhmm = {k: f"{v:%H:%M}" if v else "-" for k, v in r.items()}
        print(f"replay outage, a cycle every {cadence} min: labelled start {hhmm['start']}, first negative mention "
              f"{hhmm['first_negative']}, paged by the cycle at {hhmm['paged']} UTC")
        if r["paged"]:
            for k, what in (("start", "the labelled start"), ("first_negative", "the first negative mention")):
                if r[k]:
                    print(f"  {(r['paged'] - r[k]).total_seconds() / 60:.0f} min after {what}")
        return
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
