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
    at 6 h and one polled at 3 d are comparable; 5.5 h lets the 6 h look (even a
    little early) qualify, so a post counts 18 h sooner than at 24 h, the largest
    single gain in detection delay on the simulator.  ``cusum_*`` (per account) and
    ``platform_*`` (pooled per platform) are in units of each account's robust
    residual scale, which is shrunk towards ``prior_scale`` (log units) as if
    ``prior_posts`` posts had it; once a CUSUM run passes ``hold_at`` x its
    threshold, the baseline stops at the run's first post.  ``agree_t`` is the pooled t competitors need to call a
    change platform-wide, ``affected_t`` the t one account needs to be counted
    as moved, ``platform_t``/``platform_share`` what a pooled alarm needs to be
    accepted.  ``settle_posts`` posts after a change re-estimate its level
    before the account may alarm again; the change point is re-estimated within
    ``refine_posts`` of where the alarm's run began; an account alarm waits up to
    ``pending_hours`` (or until competitors have ``pending_posts`` posts) for
    its attribution.
    """

    reference_hours: float = 5.5
    max_extrapolate_hours: float = 96.0
    default_age_slope: float = 0.3
    view_weight: float = 0.02
    baseline_posts: int = 40
    warmup_posts: int = 10
    min_scale: float = 0.05
    prior_scale: float = 0.5
    prior_posts: int = 10
    clip_z: float = 2.5
    hold_at: float = 0.7
    cusum_k: float = 0.5
    cusum_h: float = 10.0
    platform_k: float = 0.3
    platform_h: float = 10.0
    min_posts_after: int = 3
    min_posts_before: int = 5
    refine_posts: int = 6
    settle_posts: int = 15
    pending_posts: int = 12
    pending_hours: float = 72.0
    platform_share: float = 0.75
    agree_t: float = 2.5
    late_agree_t: float = 2.0
    platform_t: float = 3.0
    affected_t: float = 0.0
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
