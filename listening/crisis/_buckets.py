"""A brand's scored mentions -> per-bucket stats the alert lifecycle feeds on.

Buckets with no mention are real zeros (nothing was said), so every bucket in
``[start, end)`` is returned, empty ones included; only the detector decides
what counts as missing data.

>>> from datetime import datetime, timezone
>>> import polars as pl
>>> t = datetime(2024, 1, 1, 9, 2, tzinfo=timezone.utc)
>>> frame = pl.DataFrame({"published_at": [t, t, t], "sentiment": ["negative", "negative", "positive"],
...                       "lang": ["en", "de", "en"], "reach": [10, 500, 3], "url": ["https://a", "https://b", "https://c"]})
>>> stats = bucket_stats(frame, 300, t.replace(minute=0), t.replace(minute=10))
>>> [(s.start.minute, s.negative, s.total) for s in stats]
[(0, 2, 3), (5, 0, 0)]
>>> stats[0].languages, [p.url for p in stats[0].posts], stats[0].reach_negative
({'de': 1, 'en': 1}, ['https://b', 'https://a'], 510.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import polars as pl

from listening.utc import as_utc

__all__ = ["BucketStats", "Post", "bucket_stats", "evidence_rank"]

_COUNTED = {"languages": "lang", "sources": "source", "topics": "topic"}


@dataclass(frozen=True, slots=True)
class Post:
    """A negative post worth showing; ``reach`` is followers/views, whatever the source has, and
    ``p_negative`` the model's confidence that it is negative (1.0 where it was not recorded)."""

    url: str
    text: str
    source: str = ""
    author: str = ""
    lang: str = ""
    reach: int = 0
    p_negative: float = 1.0


def evidence_rank(post: Mapping[str, Any]) -> tuple[int, float]:
    """Sort key of an alert's evidence: reach by order of magnitude, then the model's confidence.

    Most posts of a surge have about the same small reach (a comment with 2 points, a headline with none);
    among those the most clearly negative come first, so a misread post (a positive comment scored 0.64
    negative) is not what the on-call person reads first.

    >>> posts = [{"reach": 2, "p_negative": 0.64}, {"reach": 0, "p_negative": 0.97}, {"reach": 5000, "p_negative": 0.6}]
    >>> [(p["reach"], p["p_negative"]) for p in sorted(posts, key=evidence_rank)]
    [(5000, 0.6), (0, 0.97), (2, 0.64)]
    """
    return -int(math.log10(max(float(post.get("reach") or 0), 0.0) + 1.0)), -float(post.get("p_negative", 1.0))


@dataclass(frozen=True)
class BucketStats:
    """One time bucket of a brand's stream: negative and total counts plus what explains them."""

    start: datetime
    negative: int
    total: int
    reach_negative: float = 0.0
    #: Negative posts whose source gives a reach figure: news headlines and most comments give none.
    reach_posts: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    terms: dict[str, int] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)
    posts: tuple[Post, ...] = ()

    @property
    def negative_share(self) -> float:
        return self.negative / self.total if self.total else 0.0


def _counts(neg: pl.DataFrame, column: str) -> dict[datetime, dict[str, int]]:
    out: dict[datetime, dict[str, int]] = {}
    if column not in neg.columns or neg.is_empty():
        return out
    rows = neg.filter(pl.col(column).is_not_null() & (pl.col(column).cast(pl.String) != ""))
    for b, key, n in rows.group_by("bucket", column).len().sort("bucket", "len", column, descending=[False, True, False]).rows():
        out.setdefault(b, {})[str(key)] = int(n)
    return out


def bucket_stats(
    frame: pl.DataFrame, bucket_seconds: int, start: datetime, end: datetime, *, top_posts: int = 5,
) -> list[BucketStats]:
    """Aggregate one brand's scored mentions into consecutive buckets covering [start, end).

    Needs ``published_at`` and ``sentiment``; uses ``lang``, ``source``, ``topic``,
    ``keywords`` (list of terms), ``reach``, ``url``, ``text``, ``author`` when present.
    """
    step = timedelta(seconds=bucket_seconds)
    start, end = _floor(start, bucket_seconds), as_utc(end)
    dtype = frame.schema["published_at"]
    utc = pl.col("published_at")
    utc = utc.dt.replace_time_zone("UTC") if getattr(dtype, "time_zone", None) is None else utc.dt.convert_time_zone("UTC")
    reach = pl.col("reach").cast(pl.Float64) if "reach" in frame.columns else pl.lit(None, dtype=pl.Float64)
    f = frame.with_columns(utc.alias("published_at")).filter(
        (pl.col("published_at") >= start) & (pl.col("published_at") < end)
    ).with_columns(
        pl.col("published_at").dt.truncate(f"{bucket_seconds}s").alias("bucket"),
        (pl.col("sentiment") == "negative").alias("_neg"),
        reach.fill_null(0.0).alias("_reach"),
        reach.is_not_null().alias("_reach_known"),
    )
    totals = {
        b: (int(t), int(n), float(r), int(k))
        for b, t, n, r, k in f.group_by("bucket").agg(
            pl.len().alias("t"), pl.col("_neg").sum().alias("n"), pl.col("_reach").filter(pl.col("_neg")).sum().alias("r"),
            (pl.col("_neg") & pl.col("_reach_known")).sum().alias("k"),
        ).rows()
    }
    neg = f.filter(pl.col("_neg"))
    counted = {name: _counts(neg, column) for name, column in _COUNTED.items()}
    terms = _counts(neg.explode("keywords"), "keywords") if "keywords" in neg.columns else {}
    posts = _posts(neg, top_posts)
    out = []
    t = start
    while t < end:
        total, negative, reach, known = totals.get(t, (0, 0, 0.0, 0))
        out.append(BucketStats(
            start=t, negative=negative, total=total, reach_negative=reach, reach_posts=known,
            languages=counted["languages"].get(t, {}), sources=counted["sources"].get(t, {}),
            topics=counted["topics"].get(t, {}), terms=terms.get(t, {}), posts=posts.get(t, ()),
        ))
        t += step
    return out


def _posts(neg: pl.DataFrame, k: int) -> dict[datetime, tuple[Post, ...]]:
    """Each bucket's ``k`` best pieces of evidence, ordered as :func:`evidence_rank` orders them.

    The rule is written as polars expressions here because a first cycle feeds a whole history
    (tens of thousands of negatives) and only ``k`` per bucket are kept.
    """
    if "url" not in neg.columns or neg.is_empty():
        return {}
    cols = [c for c in ("text", "source", "author", "lang") if c in neg.columns]
    confident = pl.col("p_negative").fill_null(1.0) if "p_negative" in neg.columns else pl.lit(1.0)
    best = neg.with_columns(
        (pl.col("_reach").clip(lower_bound=0.0) + 1.0).log10().floor().alias("_tier"),
        confident.cast(pl.Float64).alias("_p"),
    ).sort(
        "bucket", "_tier", "_p", descending=[False, True, True], maintain_order=True,
    ).group_by("bucket", maintain_order=True).head(k)
    out: dict[datetime, list[Post]] = {}
    for row in best.select("bucket", "url", "_reach", "_p", *cols).iter_rows(named=True):
        out.setdefault(row["bucket"], []).append(Post(
            url=str(row["url"]), reach=int(row["_reach"]), p_negative=float(row["_p"]),
            **{"text": "", **{c: str(row[c] or "") for c in cols}},
        ))
    return {b: tuple(posts) for b, posts in out.items()}


def _floor(ts: datetime, seconds: int) -> datetime:
    epoch = int(as_utc(ts).timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, timezone.utc)
