"""The alert record: one surge episode (:class:`Alert`) and what on-call sees of it (:class:`AlertExplanation`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from listening.crisis import Post


@dataclass(frozen=True)
class AlertExplanation:
    """Everything on-call needs to judge a surge at a glance (stored as the alert's payload).

    ``ratio``/``current``/``baseline`` describe the bucket that triggered this state; the
    ``peak_*`` fields, ``total``, ``languages`` and ``sources`` describe the whole episode so far,
    and are what every surface leads with (a resolving bucket is back to normal by definition).
    """

    brand: str
    ratio: float
    baseline: float
    current: float
    share_now: float
    share_baseline: float
    since: str
    peak: float = 0.0
    reach_negative: float = 0.0
    #: How many of the ``total`` posts ``reach_negative`` comes from (0: not recorded, alerts stored before it was).
    reach_posts: int = 0
    terms: list[tuple[str, int]] = field(default_factory=list)
    topics: list[tuple[str, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    evolution: list[float] = field(default_factory=list)
    peak_at: str = ""
    peak_baseline: float = 0.0
    peak_ratio: float = 0.0
    surprise: float = 0.0
    total: int = 0
    active_until: str = ""
    timeline: list[float] = field(default_factory=list)
    new_languages: list[str] = field(default_factory=list)
    new_sources: list[str] = field(default_factory=list)
    severity_reasons: list[str] = field(default_factory=list)
    top_posts: list[Post] = field(default_factory=list)
    bucket_minutes: int = 0
    severity_raised_from: str = ""

    @property
    def headline_ratio(self) -> float:
        """The episode's peak ratio (payloads stored before peaks were kept fall back to their own bucket's)."""
        return self.peak_ratio or max(self.ratio, 0.0)

    @property
    def per_bucket(self) -> str:
        """``per 15 min`` (``per bucket`` for payloads stored before the bucket size was)."""
        return f"per {self.bucket_minutes} min" if self.bucket_minutes else "per bucket"

    @property
    def reach_text(self) -> str:
        """``negative reach 1,200 from 3 of 72 posts``: a news headline or a comment gives no reach figure, so a
        small reach over many posts says how few posts it covers, not how few people saw them; empty without one.

        >>> AlertExplanation("b", 1, 1, 1, 0, 0, "", reach_negative=1200.0, reach_posts=3, total=72).reach_text
        'negative reach 1,200 from 3 of 72 posts'
        >>> AlertExplanation("b", 1, 1, 1, 0, 0, "", reach_negative=1200.0, reach_posts=72, total=72).reach_text
        'negative reach 1,200'
        """
        if not self.reach_negative:
            return ""
        part = f" from {self.reach_posts:,} of {self.total:,} posts" if 0 < self.reach_posts < self.total else ""
        return f"negative reach {self.reach_negative:,.0f}{part}"

    @property
    def representative_posts(self) -> list[Post]:
        """The episode's best evidence (``evidence_rank``: reach, then confidence; for summaries), else the ones this state showed."""
        return self.top_posts or self.posts

    @property
    def headline_baseline(self) -> float:
        return self.peak_baseline if self.peak_ratio else self.baseline

    @property
    def headline_count(self) -> float:
        return self.peak if self.peak_ratio else self.current

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AlertExplanation":
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        for key in ("terms", "topics", "languages", "sources"):
            data[key] = [(str(k), int(v)) for k, v in data.get(key, [])]
        for key in ("posts", "top_posts"):
            data[key] = [Post(**p) for p in data.get(key, [])]
        return cls(**data)


@dataclass(frozen=True)
class Alert:
    """One surge episode; mirrors a row of the store's ``alerts`` table."""

    key: str
    brand: str
    state: str
    severity: str
    opened_at: datetime
    updated_at: datetime
    window_start: datetime
    window_end: datetime
    explanation: AlertExplanation
    revision: int = 0
    resolved_at: datetime | None = None
    slack_ts: str = ""
    slack_channel: str = ""
    delivered_state: str | None = None

    @property
    def delivery_label(self) -> str:
        """What "this state" means for once-only delivery: each update revision counts once."""
        return f"updated:{self.revision}" if self.state == "updated" else self.state

    @property
    def active_until(self) -> datetime | None:
        """End of the episode's last abnormal bucket (the surge itself, without the calm that resolved it)."""
        value = self.explanation.active_until
        return datetime.fromisoformat(value) if value else None

    @property
    def duration(self) -> timedelta | None:
        """How long the surge lasted: episode start to the end of its last abnormal bucket; None while open."""
        if self.state != "resolved":
            return None
        end = self.active_until or self.resolved_at
        return max(end - self.window_start, timedelta(0)) if end else None
