"""The digest as plain data: what the renderers show and the Dagster asset reports.

Every string that came from the web is already cleaned here (control and bidi
characters dropped, length capped); renderers still escape it for their format.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime, timezone
from typing import Any

from listening.normalize import row_title_is_thread
from listening.render import clean, count_text, safe_link

_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def lang_tag(value: str | None) -> str:
    """A BCP-47-looking language tag or ``und``: it is written into HTML attributes.

    >>> lang_tag("ko"), lang_tag('en" onload="x')
    ('ko', 'und')
    """
    value = (value or "").strip()
    return value if _LANG.match(value) else "und"


@dataclass(frozen=True)
class Post:
    """A quoted post in its original language; ``url`` is empty unless it is http(s)."""

    id: str
    brand: str
    source: str
    lang: str
    url: str
    title: str
    text: str
    author: str
    published_at: str
    reach: int
    sentiment: str = ""
    thread: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Post":
        """A post from a stored mention; a comment stored under its thread's title (a Hacker News comment,
        known by its ``source`` and ``replies``) is quoted by its own words, the thread's title kept as context."""
        title = clean(row.get("title") or "", 200)
        text = clean(row.get("text") or "", 400)
        thread = ""
        if title and text and row_title_is_thread(row):
            thread, title = title, ""
        return cls(
            id=str(row["id"]), brand=str(row["brand"]), source=clean(str(row.get("source") or ""), 40),
            lang=lang_tag(row.get("lang")), url=safe_link(row.get("url") or "") or "", title=title,
            text="" if text == title else text, author=clean(row.get("author") or "", 80),
            published_at=str(row.get("published_at") or ""), reach=int(row.get("reach") or 0),
            sentiment=str(row.get("sentiment") or ""), thread=thread,
        )

    @property
    def label(self) -> str:
        """What a link to this post says: its title, else its words (a comment's own, up to 160 characters)."""
        return self.title or clean(self.text, 160) or self.url


@dataclass(frozen=True)
class Movement:
    """One "what changed" line: localized sentence, its size, and evidence."""

    kind: str
    brand: str
    text: str
    magnitude: float
    evidence: Post | None = None


@dataclass(frozen=True)
class BrandShare:
    brand: str
    name: str
    own: bool
    mentions: int
    mentions_prev: int
    share: float
    share_prev: float
    reach: int
    reach_prev: int
    reach_share: float
    reach_share_prev: float


@dataclass(frozen=True)
class BrandSentiment:
    brand: str
    name: str
    total: int
    positive: int
    neutral: int
    negative: int
    net: float | None
    net_prev: float | None
    negative_share: float | None
    trend: list[float | None]


@dataclass(frozen=True)
class Theme:
    brand: str
    topic: str
    count: int
    share: float
    keywords: list[str]
    posts: list[Post]


@dataclass(frozen=True)
class Activity:
    """A competitor's own post (launch, press release, release or other update)."""

    brand: str
    kind: str
    post: Post


@dataclass(frozen=True)
class Campaign:
    """A day whose positive volume far exceeded the brand's recent daily norm."""

    brand: str
    day: str
    positive: int
    baseline: float
    evidence: Post | None


@dataclass(frozen=True)
class ReachChange:
    """A change in an own or competitor account's reach, as the digest tells it.

    ``before``/``after`` are rates in ``metric`` units; ``change`` is relative (``-0.35`` = 35 % lower)
    with its 95 % interval ``ci_low``…``ci_high``; ``at`` and ``decided`` are the days it began and
    was confirmed; ``summary`` says what it means (a platform change or the account's own content).
    """

    brand: str
    account: str
    platform: str
    metric: str
    before: float | None
    after: float | None
    change: float | None
    at: str
    url: str
    summary: str
    ci_low: float | None = None
    ci_high: float | None = None
    attribution: str = ""
    decided: str = ""
    posts_after: int | None = None

    @classmethod
    def from_any(cls, item: Any) -> "ReachChange":
        """From a dict or a :class:`listening.reach.ReachChange` (dataclass); see :meth:`from_dict`."""
        if is_dataclass(item) and not isinstance(item, type):
            item = asdict(item)
        return cls.from_dict(dict(item))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReachChange":
        """Lenient: unknown keys ignored, numbers coerced, text cleaned, links kept only if http(s).

        Understands the reach detector's fields too: ``magnitude`` (relative change),
        ``changed_at``/``detected_at`` (shown as days), ``attribution`` and ``ci_low``/``ci_high``.

        >>> r = ReachChange.from_dict({"account": "@acme", "platform": "bluesky", "magnitude": -0.35,
        ...                            "attribution": "platform", "ci_low": -0.5, "ci_high": -0.2,
        ...                            "changed_at": "2026-11-10T06:30:00+00:00"})
        >>> r.change, r.ci_low, r.at, r.summary
        (-0.35, -0.5, '2026-11-10', 'platform')
        """
        def num(key: str) -> float | None:
            try:
                value = float(data[key]) if data.get(key) is not None else None
            except (TypeError, ValueError):
                return None
            return value if value is not None and math.isfinite(value) else None

        before, after = num("before"), num("after")
        change = num("change") if num("change") is not None else num("magnitude")
        if change is None and before and after is not None:
            change = after / before - 1.0
        posts = num("posts_after")
        return cls(
            brand=clean(str(data.get("brand") or ""), 64), account=clean(str(data.get("account") or ""), 120),
            platform=clean(str(data.get("platform") or ""), 40), metric=clean(str(data.get("metric") or "engagement rate"), 80),
            before=before, after=after, change=change, at=_day(data.get("at") or data.get("changed_at")),
            url=safe_link(str(data.get("url") or "")) or "",
            summary=clean(str(data.get("summary") or data.get("attribution") or ""), 300),
            ci_low=num("ci_low"), ci_high=num("ci_high"), attribution=clean(str(data.get("attribution") or ""), 16),
            decided=_day(data.get("decided") or data.get("detected_at")), posts_after=None if posts is None else int(posts),
        )


def _day(value: Any) -> str:
    """A day (``YYYY-MM-DD``) from a datetime or an ISO timestamp; other text is kept, cleaned.

    >>> _day(datetime(2026, 11, 10, 6, 30, 12, 345678, tzinfo=timezone.utc)), _day("2026-11-10 06:30:12.345678+00:00")
    ('2026-11-10', '2026-11-10')
    """
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).date().isoformat() if value.tzinfo else value.date().isoformat()
    text = clean(str(value or ""), 40)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    return (parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed).date().isoformat()


@dataclass(frozen=True)
class Crisis:
    """One of our crisis episodes as the digest shows it: its peak, never the bucket that resolved it.

    ``ratio``/``current``/``baseline`` are the episode's peak; ``duration`` is already worded in the
    digest's language ("" while the episode is open); ``*_label`` are the translated severity and state.
    """

    key: str
    brand: str
    severity: str
    state: str
    opened_at: str
    resolved_at: str
    ratio: float
    current: float
    baseline: float
    terms: list[str]
    posts: list[Post]
    peak_at: str = ""
    bucket_minutes: int = 0
    duration: str = ""
    total: int = 0
    languages: list[tuple[str, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    severity_label: str = ""
    state_label: str = ""

    @property
    def baseline_text(self) -> str:
        return count_text(self.baseline)


@dataclass(frozen=True)
class Methodology:
    model_id: str
    timezone: str
    week_start: str
    window: str
    total_mentions: int
    sources: list[tuple[str, int]]
    limits: list[str]


@dataclass(frozen=True)
class Responsiveness:
    """One brand's responsiveness in the week (listening.inbox KPIs), as the digest shows it."""

    brand: str
    own: bool
    needing: int
    answered_share: float | None
    median_hours: float | None
    p90_hours: float | None
    breaches: int


@dataclass(frozen=True)
class Digest:
    """One week's competitor digest, in one language, fully determined by the store's content."""

    week: str
    lang: str
    project: str
    start: str
    end: str
    trend_weeks: list[str]
    changes: list[Movement]
    share_of_voice: list[BrandShare]
    sentiment: list[BrandSentiment]
    themes: dict[str, list[Theme]]
    activity: list[Activity]
    campaigns: list[Campaign]
    reach_changes: list[ReachChange]
    crises: list[Crisis]
    methodology: Methodology
    brand_names: dict[str, str] = field(default_factory=dict)
    responsiveness: list[Responsiveness] = field(default_factory=list)
    sla_hours: float = 24.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def key_figures(self) -> dict[str, Any]:
        """The numbers an analyst scans first (for asset metadata)."""
        return {
            "mentions": self.methodology.total_mentions,
            "share_of_voice": {s.brand: round(s.share, 4) for s in self.share_of_voice},
            "reach_share": {s.brand: round(s.reach_share, 4) for s in self.share_of_voice},
            "net_sentiment": {s.brand: None if s.net is None else round(s.net, 4) for s in self.sentiment},
            "crises": len(self.crises),
            "competitor_posts": len(self.activity),
            "campaigns": len(self.campaigns),
            "answered_share": {r.brand: None if r.answered_share is None else round(r.answered_share, 4)
                               for r in self.responsiveness},
        }
