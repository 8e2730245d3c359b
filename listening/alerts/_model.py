"""The alert record: one surge episode (:class:`Alert`) and what on-call sees of it (:class:`AlertExplanation`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from listening.crisis import Post


@dataclass(frozen=True)
class AlertExplanation:
    """Everything on-call needs to judge a surge at a glance (stored as the alert's payload)."""

    brand: str
    ratio: float
    baseline: float
    current: float
    share_now: float
    share_baseline: float
    since: str
    peak: float = 0.0
    reach_negative: float = 0.0
    terms: list[tuple[str, int]] = field(default_factory=list)
    topics: list[tuple[str, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    evolution: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AlertExplanation":
        data = dict(data)
        for key in ("terms", "topics", "languages", "sources"):
            data[key] = [(str(k), int(v)) for k, v in data.get(key, [])]
        data["posts"] = [Post(**p) for p in data.get("posts", [])]
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
