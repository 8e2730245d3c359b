"""Hourly volume per brand with its negative share: the per-hour table and chart analysts read first.

Volume comes from the stored hourly counts (:mod:`listening.timeseries`), the negative share from
the mentions' latest scores. The share is of *scored* mentions, so an hour whose mentions are not
scored yet shows no share rather than 0 %.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from listening.store import MentionFilter, Store, browse_mentions
from listening.timeseries import SCHEMA as COUNT_SCHEMA

_HOUR = pl.Datetime("us", "UTC")
_SENTIMENT_SCHEMA = {"brand": pl.String, "hour": _HOUR, "scored": pl.Int64, "negative": pl.Int64}
_NEGATIVE, _OTHER = "#d1495b", "#9fb7d4"


def hourly_sentiment(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Scored and negative mentions per brand and UTC hour, from listed mentions (``brand``, ``published_at``, ``sentiment``).

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 5, 9, 41, tzinfo=timezone.utc)
    >>> rows = [{"brand": "a", "published_at": t, "sentiment": s} for s in ("negative", "positive", None)]
    >>> hourly_sentiment(rows).select("brand", "scored", "negative").rows()
    [('a', 2, 1)]
    """
    frame = pl.DataFrame([{k: r.get(k) for k in ("brand", "published_at", "sentiment")} for r in rows],
                         schema={"brand": pl.String, "published_at": _HOUR, "sentiment": pl.String}, orient="row")
    if frame.is_empty():
        return pl.DataFrame(schema=_SENTIMENT_SCHEMA)
    return (frame.with_columns(pl.col("published_at").dt.truncate("1h").alias("hour"))
            .group_by("brand", "hour")
            .agg(pl.col("sentiment").is_not_null().sum().cast(pl.Int64).alias("scored"),
                 (pl.col("sentiment") == "negative").sum().cast(pl.Int64).alias("negative"))
            .sort("brand", "hour"))


def _split(column: str) -> pl.Expr:
    """``"rss 3 · reddit 1"``: the hour's counts per value of ``column``, largest first."""
    return (pl.concat_str(pl.col(column), pl.col("n").cast(pl.String), separator=" ")
            .sort_by([pl.col("n"), pl.col(column)], descending=[True, False]).str.join(" · ").alias(column))


def hourly_view(counts: pl.DataFrame, sentiment: pl.DataFrame) -> pl.DataFrame:
    """One row per brand and hour with mentions: volume, scored, negative, negative share (%) and the
    hour's sources and languages as text.

    ``counts`` is :func:`listening.timeseries.hourly_counts`' shape, ``sentiment`` :func:`hourly_sentiment`'s.
    """
    counts = counts if counts.height else pl.DataFrame(schema=COUNT_SCHEMA)
    volume = counts.group_by("brand", "hour").agg(pl.col("mentions").sum().cast(pl.Int64))
    parts = [counts.group_by("brand", "hour", col).agg(pl.col("mentions").sum().alias("n"))
             .group_by("brand", "hour").agg(_split(col)) for col in ("source", "lang")]
    view = (volume.join(parts[0], on=["brand", "hour"], how="left").join(parts[1], on=["brand", "hour"], how="left")
            .join(sentiment, on=["brand", "hour"], how="left")
            .with_columns(pl.col("scored").fill_null(0), pl.col("negative").fill_null(0)))
    return (view.with_columns(pl.when(pl.col("scored") > 0).then((pl.col("negative") * 100 / pl.col("scored")).round(1))
                              .otherwise(None).alias("negative %"))
            .select("brand", "hour", "mentions", "scored", "negative", "negative %", "source", "lang")
            .sort("brand", "hour"))


def hourly_table(view: pl.DataFrame, hours: int = 48) -> pl.DataFrame:
    """The last ``hours`` hours of :func:`hourly_view`, newest first, with the hour as ``YYYY-MM-DD HH:00`` text."""
    if view.is_empty():
        return view.with_columns(pl.col("hour").cast(pl.String)).rename({"hour": "hour (UTC)", "source": "sources", "lang": "languages"})
    since = view["hour"].max() - timedelta(hours=hours - 1)
    return (view.filter(pl.col("hour") >= since).sort(["hour", "brand"], descending=[True, False])
            .with_columns(pl.col("hour").dt.strftime("%Y-%m-%d %H:00"))
            .select(pl.col("hour").alias("hour (UTC)"), "brand", "mentions", "scored", "negative", "negative %",
                    pl.col("source").alias("sources"), pl.col("lang").alias("languages")))


def brand_summary(view: pl.DataFrame) -> pl.DataFrame:
    """Per brand over the whole view: mentions, scored, negative, negative share and the busiest hour.

    >>> from datetime import datetime, timezone
    >>> h = [datetime(2026, 1, 5, i, tzinfo=timezone.utc) for i in (9, 10)]
    >>> view = pl.DataFrame({"brand": ["a", "a"], "hour": h, "mentions": [2, 6], "scored": [2, 4], "negative": [1, 1]})
    >>> brand_summary(view).rows()
    [('a', 8, 6, 2, 33.3, '2026-01-05 10:00', 6)]
    """
    schema = {"brand": pl.String, "mentions": pl.Int64, "scored": pl.Int64, "negative": pl.Int64, "negative %": pl.Float64,
              "busiest hour (UTC)": pl.String, "busiest hour mentions": pl.Int64}
    if view.is_empty():
        return pl.DataFrame(schema=schema)
    return (view.sort(["mentions", "hour"], descending=True).group_by("brand", maintain_order=True)
            .agg(pl.col("mentions").sum(), pl.col("scored").sum(), pl.col("negative").sum(),
                 pl.col("hour").first().dt.strftime("%Y-%m-%d %H:00").alias("busiest hour (UTC)"),
                 pl.col("mentions").first().alias("busiest hour mentions"))
            .with_columns(pl.when(pl.col("scored") > 0).then((pl.col("negative") * 100 / pl.col("scored")).round(1))
                          .otherwise(None).alias("negative %"))
            .select(list(schema)).cast(schema).sort("brand"))


def volume_chart_png(view: pl.DataFrame, start: datetime, end: datetime, max_panels: int = 8) -> bytes:
    """One panel per brand (at most ``max_panels``): mentions per hour over [start, end), the negative
    part of each bar in red, the brand's totals in the panel title. Same data, same bytes."""
    brands = sorted(view["brand"].unique().to_list())[:max_panels] if view.height else []
    n = max(len(brands), 1)
    fig = Figure(figsize=(10, 1.55 * n + 0.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    width = 1 / 24 * 0.9
    for ax, brand in zip(axes, brands):
        part = view.filter(pl.col("brand") == brand).sort("hour")
        hours = part["hour"].to_list()
        negative = part["negative"].to_list()
        other = [m - neg for m, neg in zip(part["mentions"].to_list(), negative)]
        ax.bar(hours, negative, width=width, align="edge", color=_NEGATIVE, label="negative")
        ax.bar(hours, other, width=width, align="edge", bottom=negative, color=_OTHER, label="other / not scored")
        total, scored, neg = (int(part[c].sum()) for c in ("mentions", "scored", "negative"))
        share = f"{neg / scored:.0%} negative of {scored} scored" if scored else "not scored yet"
        ax.set_title(f"{brand}: {total} mentions, {share}", fontsize=9, loc="left")
        ax.set_ylabel("per hour", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    if not brands:
        axes[0].text(0.5, 0.5, "no mentions in this window", ha="center", va="center", transform=axes[0].transAxes)
    else:
        axes[0].legend(loc="upper left", fontsize=7, frameon=False, ncols=2)
    axes[0].set_xlim(start, end)
    axes[-1].set_xlabel("hour (UTC)", fontsize=8)
    fig.autofmt_xdate(rotation=0, ha="center")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    return buf.getvalue()


def hourly_with_sentiment(store: Store, counts: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """:func:`hourly_view` of ``counts`` (the hourly counts of [start, end)) with the negative share from the
    latest scores of the mentions published then."""
    return hourly_view(counts, hourly_sentiment(browse_mentions(store, MentionFilter(since=start, until=end))))
