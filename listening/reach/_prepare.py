"""Engagement snapshots -> one age-normalised engagement rate per post.

A post enters the model once, at the first snapshot taken at or after the
reference age (``matured_at``): its engagement is interpolated to the reference
age in log-log space from that snapshot and the last one before it, so a post's
value never depends on looks taken later (the detector stays causal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from listening.errors import InputError
from listening.reach._types import ReachConfig

__all__ = ["SNAPSHOT_COLUMNS", "mature_posts", "to_frame"]

SNAPSHOT_COLUMNS = (
    "platform", "account", "post_id", "posted_at", "observed_at",
    "likes", "reposts", "replies", "views", "followers",
)
_COUNTS = ("likes", "reposts", "replies", "views", "followers")
_SCHEMA = {
    "platform": pl.String, "account": pl.String, "post_id": pl.String,
    "posted_at": pl.Datetime("us", "UTC"), "observed_at": pl.Datetime("us", "UTC"),
    **{c: pl.Float64 for c in _COUNTS},
}


def to_frame(snapshots: pl.DataFrame | Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Coerce store rows (a frame or dicts) to the snapshot schema, times in UTC.

    >>> from datetime import datetime
    >>> to_frame([{"platform": "bluesky", "account": "a", "post_id": "1",
    ...            "posted_at": datetime(2026, 1, 1), "observed_at": datetime(2026, 1, 2),
    ...            "likes": 3, "followers": 100}]).width
    10
    """
    frame = snapshots if isinstance(snapshots, pl.DataFrame) else pl.DataFrame(list(snapshots), infer_schema_length=None)
    if frame.width == 0:
        return pl.DataFrame(schema=_SCHEMA)
    missing = [c for c in SNAPSHOT_COLUMNS[:5] if c not in frame.columns]
    if missing:
        raise InputError(f"snapshots lack column(s) {', '.join(missing)}; need {', '.join(SNAPSHOT_COLUMNS)}")
    frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in _COUNTS if c not in frame.columns)
    cols = []
    for name, dtype in _SCHEMA.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            src = frame.schema[name]
            if src == pl.String:
                col = col.str.to_datetime(time_zone="UTC", time_unit="us")
            elif isinstance(src, pl.Datetime) and src.time_zone is None:
                col = col.dt.replace_time_zone("UTC")
            elif isinstance(src, pl.Datetime) and src.time_zone != "UTC":
                col = col.dt.convert_time_zone("UTC")
            col = col.cast(dtype)
        else:
            col = col.cast(dtype)
        cols.append(col.alias(name))
    return frame.select(cols)


def mature_posts(snapshots: pl.DataFrame, config: ReachConfig) -> pl.DataFrame:
    """One row per post that reached the reference age, in the order the detector sees them.

    Columns: platform, account, post_id, posted_at, matured_at, engagement (at
    the reference age), followers, log_rate.  Engagement is likes + reposts +
    replies where any of them is known, else ``view_weight`` x views (YouTube).
    Missing follower counts carry forward from the account's earlier snapshots.
    """
    ref = config.reference_hours
    inter = ("likes", "reposts", "replies")
    any_inter = pl.any_horizontal([pl.col(c).is_not_null() for c in inter])
    d = (
        snapshots.sort(["observed_at", "platform", "account", "post_id"])
        .with_columns(
            age=(pl.col("observed_at") - pl.col("posted_at")).dt.total_seconds() / 3600.0,
            eng=pl.when(any_inter)
            .then(pl.sum_horizontal([pl.col(c).fill_null(0.0) for c in inter]))
            .otherwise(pl.col("views") * config.view_weight),
            followers=pl.col("followers").forward_fill().over(["platform", "account"]),
        )
        .filter(pl.col("eng").is_not_null() & (pl.col("age") >= 0))
    )
    after = pl.col("age") >= ref
    before = pl.col("age") < ref
    g = d.group_by(["platform", "account", "post_id"]).agg(
        posted_at=pl.col("posted_at").first(),
        matured_at=pl.col("observed_at").filter(after).first(),
        a_age=pl.col("age").filter(after).first(),
        a_eng=pl.col("eng").filter(after).first(),
        followers=pl.col("followers").filter(after).first(),
        b_age=pl.col("age").filter(before).last(),
        b_eng=pl.col("eng").filter(before).last(),
    )
    ln_ref = pl.lit(ref).log()
    has_b = pl.col("b_age").is_not_null() & (pl.col("b_age") > 0.01)
    frac = (ln_ref - pl.col("b_age").log()) / (pl.col("a_age").log() - pl.col("b_age").log())
    interp = (pl.col("b_eng").log1p() + frac * (pl.col("a_eng").log1p() - pl.col("b_eng").log1p())).exp() - 1.0
    extrap = pl.col("a_eng") * (ref / pl.col("a_age")) ** config.default_age_slope
    return (
        g.filter(
            pl.col("matured_at").is_not_null()
            & (pl.col("followers") > 0)
            & (has_b | (pl.col("a_age") <= config.max_extrapolate_hours))
        )
        .with_columns(engagement=pl.when(has_b).then(interp).otherwise(extrap).clip(lower_bound=0.0))
        .with_columns(log_rate=((pl.col("engagement") + 0.5) / pl.col("followers")).log())
        .select("platform", "account", "post_id", "posted_at", "matured_at", "engagement", "followers", "log_rate")
        .sort(["matured_at", "platform", "account", "posted_at", "post_id"])
    )
