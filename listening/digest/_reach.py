"""The digest's reach-change lines, told the way the Slack notice tells them.

Each stored change (``listening.reach``) becomes: the account's engagement rate before → after
(per 1,000 followers at the model's reference post age), the model's change with its 95 % interval,
the local day it began and the day it was confirmed, and what it means: every tracked account on
the platform moved (an algorithm change) or only this one did (its own content).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from listening.config import ListeningConfig
from listening.digest import _query
from listening.digest._weeks import zone
from listening.reach import ReachConfig, mature_posts, to_frame
from listening.reach._notice import PLATFORM_NAMES
from listening.store import Store
from listening.utc import as_utc

PER = 1000  # rates are shown per this many followers


def measured_rates(snapshots: list[dict[str, Any]], change: Mapping[str, Any], config: ReachConfig) -> tuple[float | None, float | None]:
    """Median engagement per follower of the posts the model compared: before the change and up to its confirmation.

    Before: the last ``baseline_posts`` posts published before ``changed_at``; after: the posts published
    since then that had matured when the change was confirmed. The model's rates are compared in log
    space, so these medians are the rates its change figure relates.
    """
    if not snapshots:
        return None, None
    posts = mature_posts(to_frame(snapshots), config).filter(
        (pl.col("platform") == change["platform"]) & (pl.col("account") == change["account"])).sort("posted_at", "post_id")
    changed, detected = pl.lit(as_utc(change["changed_at"])), pl.lit(as_utc(change["detected_at"]))
    before = posts.filter(pl.col("posted_at") < changed).tail(config.baseline_posts)["log_rate"]
    after = posts.filter((pl.col("posted_at") >= changed) & (pl.col("matured_at") <= detected))["log_rate"]
    return _median_rate(before), _median_rate(after)


def _median_rate(log_rates: pl.Series) -> float | None:
    return None if log_rates.is_empty() else math.exp(float(log_rates.median()))


def reach_lines(store: Store, config: ListeningConfig, changes: Sequence[Mapping[str, Any]], L: Mapping[str, Any],
                reach_config: ReachConfig | None = None) -> list[dict[str, Any]]:
    """Stored ``reach_changes`` rows as the digest's reach-change items (dicts for :class:`ReachChange`)."""
    cfg = reach_config or ReachConfig()
    tz = zone(config.project.timezone)
    names = {b.key: b.name for b in config.brands}
    own = {b.key for b in config.brands if b.own}
    latest = max((as_utc(c["detected_at"]) for c in changes), default=None)
    snapshots = _query.account_snapshots(store, [(c["platform"], c["account"]) for c in changes], latest) if latest else []
    out = []
    for c in changes:
        mine = [s for s in snapshots if (s["platform"], s["account"]) == (c["platform"], c["account"])]
        before, after = measured_rates(mine, c, cfg)
        platform = PLATFORM_NAMES.get(c["platform"], c["platform"])
        brand = names.get(c.get("brand") or "", c.get("brand") or c["account"])
        if c["attribution"] == "platform":
            meaning = L["reach_platform"].format(platform=platform, brand=brand)
        elif c.get("brand") in own:
            meaning = L["reach_own"].format(platform=platform, brand=brand)
        else:
            meaning = L["reach_competitor"].format(platform=platform, brand=brand)
        out.append({
            **c, "platform": platform, "metric": L["reach_metric"].format(hours=f"{cfg.reference_hours:g}"),
            "before": None if before is None else PER * before, "after": None if after is None else PER * after,
            "at": as_utc(c["changed_at"]).astimezone(tz).date().isoformat(),
            "decided": as_utc(c["detected_at"]).astimezone(tz).date().isoformat(), "summary": meaning,
        })
    return out
