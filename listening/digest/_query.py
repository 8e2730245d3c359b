"""Reads for the digest: only the columns and the 8-week window it needs.

The wide scan (up to millions of rows) carries no text; the text of the few
posts a digest quotes is fetched afterwards by id.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from listening.alerts import alert_from_row
from listening.errors import StoreError
from listening.store import Store, alerts, engagement_snapshots, mentions, scores
from listening.utc import as_utc

TEXT_CHARS = 2000

_SCHEMA = {
    "id": pl.String, "brand": pl.String, "source": pl.String, "lang": pl.String, "is_own": pl.Boolean,
    "published_at": pl.Object, "author_followers": pl.Int64, "likes": pl.Int64, "views": pl.Int64,
    "score": pl.Int64, "sentiment": pl.String, "topic": pl.String,
}


def scan_window(store: Store, model_id: str, brands: Sequence[str], start: datetime, end: datetime) -> pl.DataFrame:
    """Scored mentions of ``brands`` published in [start, end), with ``ts`` as UTC epoch microseconds."""
    m = mentions.c
    q = (sa.select(m.id, m.brand, m.source, m.lang, m.is_own, sa.type_coerce(m.published_at, sa.String).label("published_at"),
                   m.author_followers, m.likes, m.views, m.score, scores.c.sentiment, scores.c.topic)
         .join(scores, sa.and_(scores.c.text_hash == m.text_hash, scores.c.model_id == model_id))
         .where(m.brand.in_(list(brands)), m.published_at >= start, m.published_at < end))
    try:
        with store.engine.connect() as conn:
            # Plain DBAPI tuples: building SQLAlchemy Rows adds ~1 s per 150k mentions here.
            rows = conn.execute(q).cursor.fetchall()
    except SQLAlchemyError as exc:
        raise StoreError(f"reading scored mentions for the digest failed: {exc.__class__.__name__}") from exc
    schema = {k: (pl.String if k == "published_at" else v) for k, v in _SCHEMA.items()}
    schema["is_own"] = pl.Int64 if rows and not isinstance(rows[0][4], bool) else pl.Boolean
    if rows and not isinstance(rows[0][5], str):
        schema["published_at"] = pl.Datetime("us", "UTC")
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(ts=_epoch_us(frame["published_at"]), is_own=pl.col("is_own").cast(pl.Boolean)).drop("published_at")


def _epoch_us(col: pl.Series) -> pl.Series:
    """Epoch microseconds from SQLite's text timestamps or a driver's datetimes."""
    if col.dtype == pl.String:
        col = col.str.to_datetime(time_unit="us", strict=True).dt.replace_time_zone("UTC")
    return col.dt.convert_time_zone("UTC").dt.epoch("us")


def first_mention(store: Store, brands: Sequence[str]) -> datetime | None:
    """When the earliest stored mention of ``brands`` was published (UTC), or None for none."""
    try:
        with store.engine.connect() as conn:
            first = conn.execute(sa.select(sa.func.min(mentions.c.published_at)).where(mentions.c.brand.in_(list(brands)))).scalar()
    except SQLAlchemyError as exc:
        raise StoreError(f"reading the first mention's time failed: {exc.__class__.__name__}") from exc
    if isinstance(first, str):  # SQLite returns MIN() of a timestamp column as text
        first = datetime.fromisoformat(first)
    return None if first is None else as_utc(first)


def account_snapshots(store: Store, accounts: Sequence[tuple[str, str]], before: datetime) -> list[dict[str, Any]]:
    """Every kept look at the posts of these (platform, account) pairs published before ``before``."""
    c = engagement_snapshots.c
    out: list[dict[str, Any]] = []
    try:
        with store.engine.connect() as conn:
            for platform, account in sorted(set(accounts)):
                q = (sa.select(engagement_snapshots)
                     .where(c.platform == platform, c.account == account, c.posted_at < before)
                     .order_by(c.observed_at, c.post_id))
                out += [{**r, "posted_at": as_utc(r["posted_at"]), "observed_at": as_utc(r["observed_at"])}
                        for r in conn.execute(q).mappings()]
    except SQLAlchemyError as exc:
        raise StoreError(f"reading engagement snapshots for the digest failed: {exc.__class__.__name__}") from exc
    return out


def fetch_posts(store: Store, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Text, title, link, author and reply count (which tells a comment) of the quoted posts, by id (text capped at TEXT_CHARS)."""
    m = mentions.c
    out: dict[str, dict[str, Any]] = {}
    wanted = sorted(set(ids))
    try:
        with store.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                q = sa.select(m.id, m.url, m.title, sa.func.substr(m.text, 1, TEXT_CHARS).label("text"), m.author,
                              m.published_at, m.replies).where(m.id.in_(wanted[start : start + 500]))
                for row in conn.execute(q).mappings():
                    ts = as_utc(row["published_at"])
                    out[row["id"]] = {**row, "published_at": ts.strftime("%Y-%m-%d %H:%M UTC")}
    except SQLAlchemyError as exc:
        raise StoreError(f"reading quoted posts for the digest failed: {exc.__class__.__name__}") from exc
    return out


def fetch_embeddings(store: Store, model_id: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The scorer's sentence embedding of each mention (by id) that has one under ``model_id``."""
    m = mentions.c
    out: dict[str, np.ndarray] = {}
    wanted = sorted(set(ids))
    try:
        with store.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                q = (sa.select(m.id, scores.c.embedding)
                     .join(scores, sa.and_(scores.c.text_hash == m.text_hash, scores.c.model_id == model_id))
                     .where(m.id.in_(wanted[start : start + 500]), scores.c.embedding.is_not(None)))
                for pid, blob in conn.execute(q):
                    out[pid] = np.frombuffer(bytes(blob), dtype=np.float16).astype(np.float32)
    except SQLAlchemyError as exc:
        raise StoreError(f"reading embeddings for the digest themes failed: {exc.__class__.__name__}") from exc
    return out


def week_alerts(store: Store, brands: Sequence[str], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Alerts of ``brands`` whose window overlaps [start, end), oldest first, payload decoded."""
    t = alerts.c
    q = (sa.select(alerts).where(t.brand.in_(list(brands)), t.window_start < end, t.window_end >= start)
         .order_by(t.opened_at, t.key))
    try:
        with store.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
    except SQLAlchemyError as exc:
        raise StoreError(f"reading crisis alerts for the digest failed: {exc.__class__.__name__}") from exc
    for row in rows:
        payload = json.loads(row["payload"])
        if "explanation" not in payload:
            payload = {"explanation": payload}
        row["alert"] = alert_from_row({**row, "payload": json.dumps(payload)})
        row["explanation"] = row["alert"].explanation
        for key in ("opened_at", "resolved_at"):
            row[key] = as_utc(row[key]).strftime("%Y-%m-%d %H:%M UTC") if row[key] else ""
    return rows
