"""What the reach detector is told (:class:`ReachConfig`) and what it answers (:class:`ReachChange`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["CHANGE_COLUMNS", "ReachChange", "ReachConfig"]

CHANGE_COLUMNS = (
    "platform", "account", "changed_at", "direction", "magnitude", "attribution",
    "ci_low", "ci_high", "detected_at", "posts_after",
)


@dataclass(frozen=True, slots=True)
class ReachConfig:
    """Tuning knobs; defaults were chosen on ``bench/reach_sim.py``, not on real accounts.

    Rates are compared at ``reference_hours`` of post age so that a post polled
    at 6 h and one polled at 3 d are comparable.  ``cusum_*`` (per account) and
    ``platform_*`` (pooled per platform) are in units of each account's robust
    residual scale.  ``agree_t`` is the pooled t competitors need to call a
    change platform-wide, ``affected_t`` the t one account needs to be counted
    as moved, ``platform_t``/``platform_share`` what a pooled alarm needs to be
    accepted.  ``settle_posts`` posts after a change re-estimate its level
    before the account may alarm again; an account alarm waits up to
    ``pending_hours`` (or until competitors have ``pending_posts`` posts) for
    its attribution.
    """

    reference_hours: float = 24.0
    max_extrapolate_hours: float = 96.0
    default_age_slope: float = 0.3
    view_weight: float = 0.02
    baseline_posts: int = 40
    warmup_posts: int = 10
    min_scale: float = 0.05
    clip_z: float = 2.5
    cusum_k: float = 0.5
    cusum_h: float = 7.0
    platform_k: float = 0.3
    platform_h: float = 10.0
    min_posts_after: int = 3
    settle_posts: int = 15
    pending_posts: int = 12
    pending_hours: float = 72.0
    platform_share: float = 0.75
    agree_t: float = 3.0
    late_agree_t: float = 2.0
    platform_t: float = 3.5
    affected_t: float = 1.5
    window_slack_hours: float = 12.0
    bootstrap: int = 400

    def __post_init__(self) -> None:
        if self.reference_hours <= 0:
            raise ValueError(f"reference_hours must be > 0, got {self.reference_hours}")
        if self.warmup_posts < 3 or self.baseline_posts < self.warmup_posts:
            raise ValueError("need 3 <= warmup_posts <= baseline_posts")


@dataclass(frozen=True, slots=True)
class ReachChange:
    """One confirmed shift of an account's age-normalised engagement rate.

    ``changed_at`` is the ``posted_at`` of the first post affected; ``magnitude``
    is the relative change of the rate (``-0.35`` = 35 % lower) with a bootstrap
    95 % interval; ``attribution`` says whether competitors on the same platform
    moved the same way (``platform``, an algorithm change) or not (``account``).
    """

    platform: str
    account: str
    changed_at: datetime
    direction: str
    magnitude: float
    attribution: str
    ci_low: float
    ci_high: float
    detected_at: datetime
    posts_after: int
