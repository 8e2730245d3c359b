"""Per brand x hour mention counts, split by source and language.

The analysts' first chart and the crisis detector's raw material. Computed for
a time window so a daily partition (or the last few hours on the short cycle)
can be rebuilt without touching the rest of history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from listening.store import Store, brand_hourly, mentions, retention_marks
from listening.utc import as_utc

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


def read_mentions(store: Store, start: datetime, end: datetime, columns: tuple[str, ...] = ("brand", "published_at", "source", "lang"),
                  conn: Connection | None = None) -> pl.DataFrame:
    """Mentions published in [start, end) as a polars frame with UTC times (inside ``conn``'s transaction when given)."""
    q = sa.select(*(mentions.c[c] for c in columns)).where(mentions.c.published_at >= start, mentions.c.published_at < end)
    if conn is None:
        with store.engine.connect() as own:
            rows = own.execute(q).all()
    else:
        rows = conn.execute(q).all()
    frame = pl.DataFrame(rows, schema=list(columns), orient="row")
    if "published_at" in frame.columns and frame.height:
        dtype = frame.schema["published_at"]
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            frame = frame.with_columns(pl.col("published_at").dt.replace_time_zone("UTC"))
    elif "published_at" in frame.columns:
        frame = frame.with_columns(pl.col("published_at").cast(pl.Datetime("us", "UTC")))
    return frame


def whole_hours(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """[start, end) widened to whole hours."""
    start = start.replace(minute=0, second=0, microsecond=0)
    if end.minute or end.second or end.microsecond:
        end = end.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return start, end


def write_hours(store: Store, conn: Connection, start: datetime, end: datetime) -> pl.DataFrame:
    """Recount the whole hours in [start, end) from the mentions ``conn`` sees and replace them in ``brand_hourly``."""
    counts = hourly_counts(read_mentions(store, start, end, conn=conn))
    conn.execute(sa.delete(brand_hourly).where(brand_hourly.c.hour >= start, brand_hourly.c.hour < end))
    store.upsert(conn, brand_hourly, counts.to_dicts(), update=("mentions",))
    return counts


def rebuild_window(store: Store, start: datetime, end: datetime) -> pl.DataFrame:
    """Recompute ``brand_hourly`` for whole hours in [start, end) and store it.

    Hours before the retention mark keep their stored counts: their mentions
    were deleted on purpose, and recounting what is left would erase history.
    """
    start, end = whole_hours(start, end)
    frozen = pruned_before(store)
    live = min(max(start, frozen), end) if frozen else start
    counts = hourly_counts(read_mentions(store, live, end))
    with store.transaction() as conn:
        conn.execute(sa.delete(brand_hourly).where(brand_hourly.c.hour >= live, brand_hourly.c.hour < end))
        store.upsert(conn, brand_hourly, counts.to_dicts(), update=("mentions",))
    if live == start:
        return counts
    return pl.concat([stored_hours(store, start, live), counts])


def stored_hours(store: Store, start: datetime, end: datetime) -> pl.DataFrame:
    """``brand_hourly`` rows for [start, end) in the shape of :func:`hourly_counts`."""
    c = brand_hourly.c
    q = (sa.select(c.brand, c.hour, c.source, c.lang, c.mentions).where(c.hour >= start, c.hour < end)
         .order_by(c.brand, c.hour, c.source, c.lang))
    with store.engine.connect() as conn:
        rows = [(b, as_utc(h), s, lang, int(n)) for b, h, s, lang, n in conn.execute(q).all()]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def pruned_before(store: Store, conn: Connection | None = None) -> datetime | None:
    """The retention mark: mentions published before it were deleted (None: nothing was ever pruned)."""
    q = sa.select(retention_marks.c.before).where(retention_marks.c.what == "mentions")
    if conn is None:
        with store.engine.connect() as own:
            value = own.execute(q).scalar_one_or_none()
    else:
        value = conn.execute(q).scalar_one_or_none()
    return as_utc(value)
