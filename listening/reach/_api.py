"""Pipeline-facing entry points: changes for the digest, rate series for charts."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from listening.reach._detector import ReachDetector
from listening.reach._prepare import mature_posts, to_frame
from listening.reach._types import ReachChange, ReachConfig

__all__ = ["analyse_reach", "detect_reach_changes", "engagement_rate_series"]

Snapshots = pl.DataFrame | Iterable[Mapping[str, Any]]


def _run(snapshots: Snapshots, config: ReachConfig | None) -> tuple[pl.DataFrame, list[ReachChange]]:
    config = config or ReachConfig()
    posts = mature_posts(to_frame(snapshots), config)
    detector = ReachDetector(config)
    baselines: list[float | None] = []
    zs: list[float | None] = []
    changes: list[ReachChange] = []
    for platform, account, posted_at, matured_at, log_rate in posts.select(
        "platform", "account", "posted_at", "matured_at", "log_rate"
    ).iter_rows():
        step = detector.update(platform, account, posted_at, matured_at, log_rate)
        baselines.append(None if step.baseline is None else math.exp(step.baseline))
        zs.append(step.z)
        changes.extend(step.changes)
    series = posts.with_columns(
        rate=pl.col("log_rate").exp(),
        baseline=pl.Series(baselines, dtype=pl.Float64),
        z=pl.Series(zs, dtype=pl.Float64),
    )
    return series, changes


def analyse_reach(snapshots: Snapshots, config: ReachConfig | None = None) -> tuple[pl.DataFrame, list[ReachChange]]:
    """Both answers of one detector pass: the rate series (as :func:`engagement_rate_series`) and the changes."""
    series, changes = _run(snapshots, config)
    return series.select("platform", "account", "post_id", "posted_at", "matured_at", "rate", "baseline", "z"), changes


def detect_reach_changes(snapshots: Snapshots, config: ReachConfig | None = None) -> list[ReachChange]:
    """Confirmed reach changes, in the order they were detected.

    ``snapshots`` are rows of the ``engagement_snapshots`` table (a polars
    frame or dicts); only what was observed up to a decision is used for it.
    """
    return _run(snapshots, config)[1]


def engagement_rate_series(snapshots: Snapshots, config: ReachConfig | None = None) -> pl.DataFrame:
    """Per matured post: platform, account, post_id, posted_at, matured_at, rate, baseline, z.

    ``rate`` is (engagement at the reference age + 0.5) / followers and
    ``baseline`` the account's robust baseline rate known when the post matured
    (null during warm-up), so charts show exactly what the detector compared.
    """
    return _run(snapshots, config)[0].select(
        "platform", "account", "post_id", "posted_at", "matured_at", "rate", "baseline", "z"
    )
