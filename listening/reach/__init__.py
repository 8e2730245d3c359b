"""Reach-change detection: age-normalised engagement rates, causal change points, platform/account attribution,
and the pipeline stage that stores them and posts Slack notices."""

from listening.reach._api import analyse_reach, detect_reach_changes, engagement_rate_series
from listening.reach._chart import reach_chart_png
from listening.reach._csv import format_change, reach_changes_csv, read_snapshots
from listening.reach._detector import ReachDetector, Step
from listening.reach._notice import ReachNotice, notice_message, plan_notices
from listening.reach._prepare import SNAPSHOT_COLUMNS, mature_posts, to_frame
from listening.reach._track import NOTICE_WINDOW, ReachReport, account_brands, changes_markdown, stored_changes, track_reach
from listening.reach._types import CHANGE_COLUMNS, ReachChange, ReachConfig

__all__ = [
    "CHANGE_COLUMNS",
    "NOTICE_WINDOW",
    "SNAPSHOT_COLUMNS",
    "ReachChange",
    "ReachConfig",
    "ReachDetector",
    "ReachNotice",
    "ReachReport",
    "Step",
    "account_brands",
    "analyse_reach",
    "changes_markdown",
    "detect_reach_changes",
    "engagement_rate_series",
    "format_change",
    "mature_posts",
    "notice_message",
    "plan_notices",
    "reach_changes_csv",
    "reach_chart_png",
    "read_snapshots",
    "stored_changes",
    "to_frame",
    "track_reach",
]
