"""Per brand x hour mention counts, split by source and language.

The analysts' first chart and the crisis detector's raw material. Computed for
a time window so a daily partition (or the last few hours on the short cycle)
can be rebuilt without touching the rest of history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import sqlalchemy as sa

from listening.store import Store, brand_hourly, mentions

SCHEMA = {"brand": pl.String, "hour": pl.Datetime("us", "UTC"), "source": pl.String, "lang": pl.String, "mentions": pl.Int64}


def hourly_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """Count mentions per brand, UTC hour, source and language.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 5, 9, 41, tzinfo=timezone.utc)
    >>> df = pl.DataFrame({"brand": ["a", "a", "b"], "published_at": [t, t, t], "source": ["rss", "rss", "hackernews"], "lang": ["en", "en", "ko"]})
    >>> hourly_counts(df).sort("brand").select("brand", "source", "mentions").rows()
    [('a', 'rss', 2), ('b', 'hackernews', 1)]
    """
    if frame.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    return (
        frame.with_columns(pl.col("published_at").dt.convert_time_zone("UTC").dt.truncate("1h").alias("hour"))
        .group_by("brand", "hour", "source", "lang")
        .agg(pl.len().cast(pl.Int64).alias("mentions"))
        .sort("brand", "hour", "source", "lang")
    )


def read_mentions(store: Store, start: datetime, end: datetime, columns: tuple[str, ...] = ("brand", "published_at", "source", "lang")) -> pl.DataFrame:
    """Mentions published in [start, end) as a polars frame with UTC times."""
    q = sa.select(*(mentions.c[c] for c in columns)).where(mentions.c.published_at >= start, mentions.c.published_at < end)
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    frame = pl.DataFrame(rows, schema=list(columns), orient="row")
    if "published_at" in frame.columns and frame.height:
        dtype = frame.schema["published_at"]
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            frame = frame.with_columns(pl.col("published_at").dt.replace_time_zone("UTC"))
    elif "published_at" in frame.columns:
        frame = frame.with_columns(pl.col("published_at").cast(pl.Datetime("us", "UTC")))
    return frame


def rebuild_window(store: Store, start: datetime, end: datetime) -> pl.DataFrame:
    """Recompute ``brand_hourly`` for whole hours in [start, end) and store it."""
    start = start.replace(minute=0, second=0, microsecond=0)
    if end.minute or end.second or end.microsecond:
        end = end.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    counts = hourly_counts(read_mentions(store, start, end))
    with store.transaction() as conn:
        conn.execute(sa.delete(brand_hourly).where(brand_hourly.c.hour >= start, brand_hourly.c.hour < end))
        store.upsert(conn, brand_hourly, counts.to_dicts(), update=("mentions",))
    return counts
