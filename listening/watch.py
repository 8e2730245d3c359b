"""One crisis-watch cycle: scored mentions -> buckets -> detector -> alert lifecycle.

Incremental: each brand's detector state is stored, so a cycle only feeds the
buckets completed since the last one (the crisis path costs the same whatever
the history size). The first cycle feeds all stored history so the detector
learns the brand's rhythm before it may page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import polars as pl

from listening.alerts import Alert, AlertLifecycle, SqlRepository, alert_terms
from listening.config import ListeningConfig
from listening.crisis import DetectorConfig, bucket_stats
from listening.enrich import scored_rows
from listening.store import Store

REACH_COLUMNS = ("views", "author_followers", "likes", "score")


@dataclass
class WatchReport:
    buckets_fed: dict[str, int] = field(default_factory=dict)
    changed: list[Alert] = field(default_factory=list)
    #: Brands whose saved detector was discarded this cycle (another config or code version) and why.
    detector_resets: dict[str, str] = field(default_factory=dict)


def floor_time(ts: datetime, seconds: int) -> datetime:
    """Start of the bucket holding ``ts``.

    >>> floor_time(datetime(2026, 11, 20, 9, 41, 7, tzinfo=timezone.utc), 900).isoformat()
    '2026-11-20T09:30:00+00:00'
    """
    epoch = int(ts.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=timezone.utc)


def driving_terms(text: str, names: str) -> list[str]:
    """Words of a post for the alert's top terms: no stop words, not the brand's own names (they drive every alert).

    >>> driving_terms("오르비틀리 앱 로그인 오류", "orbitly 오르비틀리")
    ['로그인', '오류']
    """
    return alert_terms(text, names)


def mention_frame(rows: list[dict], names: str = "") -> pl.DataFrame:
    """Scored mentions in the shape the bucketer wants: reach and keywords per mention.

    Reach is the largest figure the source gives, null where it gives none (a news headline), so an alert can
    say how many of its posts its reach comes from.
    """
    if not rows:
        return pl.DataFrame(schema={"published_at": pl.Datetime("us", "UTC"), "sentiment": pl.String})
    frame = pl.DataFrame(rows, infer_schema_length=None)
    reach = pl.max_horizontal(*(pl.col(c).cast(pl.Float64) for c in REACH_COLUMNS))
    return frame.with_columns(
        reach.alias("reach"),
        pl.col("text").map_elements(lambda t: driving_terms(t, names), return_dtype=pl.List(pl.String)).alias("keywords"),
    )


def watch(config: ListeningConfig, store: Store, model_id: str, *, now: datetime | None = None,
          history: timedelta = timedelta(days=35)) -> WatchReport:
    """Feed every brand's completed buckets to its detector (delivery is a separate step)."""
    seconds = config.alerting.bucket_minutes * 60
    end = floor_time(now or datetime.now(timezone.utc), seconds)
    repo = SqlRepository(store)
    report = WatchReport()
    for brand in config.brands:
        lifecycle = AlertLifecycle(brand.key, repo, DetectorConfig(bucket_seconds=seconds))
        if lifecycle.reset:
            report.detector_resets[brand.key] = lifecycle.reset
        last = lifecycle.detector.last_timestamp
        start = last + timedelta(seconds=seconds) if last else end - history
        rows = [r for r in scored_rows(store, model_id, since=start, until=end) if r["brand"] == brand.key]
        if last is None and rows:
            start = floor_time(rows[0]["published_at"], seconds)
        if start >= end or (last is None and not rows):
            report.buckets_fed[brand.key] = 0
            continue
        names = " ".join([brand.key, brand.name, *brand.aliases]).casefold()
        buckets = bucket_stats(mention_frame(rows, names), seconds, start, end)
        report.changed += lifecycle.observe_many(buckets)
        report.buckets_fed[brand.key] = len(buckets)
    return report
