"""What the detector is told (:class:`DetectorConfig`) and what it answers (:class:`Decision`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

__all__ = ["SEVERITIES", "Decision", "DetectorConfig", "Derived", "grade"]

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Tuning knobs.

    The count-model defaults were chosen on the synthetic bench; those of the calibrated
    page bar (``calibration_days``, ``margin_spread``, ``margin_noise``, ``pseudo_count``,
    ``bar_alone_days``) on four real tweet-volume series, whole and thinned to 25 % and 5 % as a
    negative-only stream is, and the synthetic sets.  docs/crisis.md reports how a bar chosen on
    three of the real series does on the fourth.
    ``page_margin`` is a flat extra margin (0 by default; -1e9 with ``bar_alone_days=0``
    is the detector before the bar).
    """

    bucket_seconds: int = 300
    history_days: int = 28
    warmup_days: float = 1.0
    z_bucket: float = 3.0
    min_ratio: float = 1.5
    min_excess: float = 4.0
    sustain_minutes: int = 15
    window_minutes: tuple[int, ...] = (15, 60, 180)
    z_window: float = 4.0
    window_ratio: float = 1.4
    extreme_z: float = 10.0
    extreme_ratio: float = 8.0
    rearm_minutes: int = 180
    max_gap_minutes: int = 1440
    clip_sd: float = 3.0
    outage_mean: float = 5.0
    dispersion_halflife_days: float = 7.0
    prior_dispersion: float = 0.1
    calibration_days: int = 28
    page_margin: float = 0.0
    pseudo_count: float = 20.0
    margin_spread: float = 0.5
    margin_noise: float = 1.5
    bar_alone_days: int = 7

    def __post_init__(self) -> None:
        if self.bucket_seconds <= 0 or 86400 % self.bucket_seconds:
            raise ValueError(f"bucket_seconds must divide a day, got {self.bucket_seconds}")
        if not self.pseudo_count > 0 or self.calibration_days < 1:
            raise ValueError("pseudo_count must be > 0 and calibration_days >= 1")

    @property
    def per_day(self) -> int:
        return 86400 // self.bucket_seconds

    def buckets(self, minutes: float) -> int:
        return max(1, math.ceil(minutes * 60 / self.bucket_seconds))


@dataclass(frozen=True, slots=True)
class Decision:
    """What the detector concluded about one bucket.

    ``alarm`` is true only on the bucket that opens an episode (the page);
    ``resolved`` only on the bucket that closes it.  ``value`` and ``baseline``
    are the bucket's; ``ratio`` and ``zscore`` are the strongest evidence, found
    at the time scale ``scale_minutes`` (the bucket itself or a rolling window).
    """

    timestamp: datetime
    value: float
    baseline: float
    ratio: float
    zscore: float
    scale_minutes: int
    anomalous: bool
    alarm: bool
    in_episode: bool
    resolved: bool
    severity: str | None
    episode_start: datetime | None
    warm: bool

    @property
    def p_value(self) -> float:
        """Upper-tail probability of the bucket under the learned baseline."""
        return 0.5 * math.erfc(self.zscore / math.sqrt(2.0))


def grade(ratio: float, z: float) -> str:
    """Severity from size (ratio to baseline), provided the surprise (z-score) backs it.

    >>> grade(1.6, 4.0), grade(2.5, 5.0), grade(3.0, 7.0), grade(6.0, 12.0)
    ('low', 'medium', 'high', 'critical')
    """
    if ratio >= 5.0 and z >= 6.0:
        return "critical"
    if ratio >= 3.0 and z >= 4.5:
        return "high"
    if ratio >= 2.0 and z >= 3.0:
        return "medium"
    return "low"


@dataclass(frozen=True, slots=True)
class Derived:
    """Constants derived from the config once (kept out of the serialised state)."""

    per_day: int
    warmup: float
    need: int
    mask: int
    rearm: int
    decay: float
    bar_windows: tuple[int, ...]

    @classmethod
    def of(cls, cfg: DetectorConfig) -> "Derived":
        need = max(2, cfg.buckets(cfg.sustain_minutes))
        return cls(
            per_day=cfg.per_day, warmup=cfg.warmup_days * cfg.per_day, need=need, mask=(1 << (need + 1)) - 1,
            rearm=cfg.buckets(cfg.rearm_minutes), decay=0.5 ** (1.0 / (cfg.dispersion_halflife_days * cfg.per_day)),
            bar_windows=bar_windows(cfg, need),
        )


def bar_windows(cfg: DetectorConfig, need: int) -> tuple[int, ...]:
    """The rolling windows the page bar reads besides the sustain span: those of another span.

    A window as long as the sustain span would be a near-copy of it in the bar (the same sum, capped),
    and the raw sum is the one that lets a sharp surge through.

    >>> bar_windows(DetectorConfig(bucket_seconds=300), 3), bar_windows(DetectorConfig(bucket_seconds=900), 2)
    ((1, 2), (0, 1, 2))
    """
    return tuple(k for k, m in enumerate(cfg.window_minutes) if cfg.buckets(m) != need)
