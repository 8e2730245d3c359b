"""Negative-spike detection: a causal, incremental count-series detector and its CSV contract."""

from listening.crisis._buckets import BucketStats, Post, bucket_stats, evidence_rank
from listening.crisis._csv import ALARM_COLUMNS, detect_spikes_csv, infer_bucket_seconds, read_series
from listening.crisis._detector import SpikeDetector
from listening.crisis._state import restore_detector
from listening.crisis._types import SEVERITIES, Decision, DetectorConfig, grade

__all__ = [
    "ALARM_COLUMNS",
    "SEVERITIES",
    "BucketStats",
    "Post",
    "bucket_stats",
    "Decision",
    "DetectorConfig",
    "SpikeDetector",
    "detect_spikes_csv",
    "evidence_rank",
    "grade",
    "infer_bucket_seconds",
    "read_series",
    "restore_detector",
]
