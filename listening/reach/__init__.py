"""Reach-change detection: age-normalised engagement rates, causal change points, platform/account attribution."""

from listening.reach._api import detect_reach_changes, engagement_rate_series
from listening.reach._chart import reach_chart_png
from listening.reach._csv import format_change, reach_changes_csv, read_snapshots
from listening.reach._detector import ReachDetector, Step
from listening.reach._prepare import SNAPSHOT_COLUMNS, mature_posts, to_frame
from listening.reach._types import CHANGE_COLUMNS, ReachChange, ReachConfig

__all__ = [
    "CHANGE_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "ReachChange",
    "ReachConfig",
    "ReachDetector",
    "Step",
    "detect_reach_changes",
    "engagement_rate_series",
    "format_change",
    "mature_posts",
    "reach_changes_csv",
    "reach_chart_png",
    "read_snapshots",
    "to_frame",
]
