"""Analyst tables as polars frames: what the Dagster UI shows as real tables instead of JSON or text.

Every frame here has plain columns only (strings, integers, floats), times already written as
``YYYY-MM-DD HH:MM`` UTC and web text already cleaned (see :mod:`listening.render`), so a UI adapter
can turn any of them into a table without knowing what it holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from listening.export import mentions_frame
from listening.render import clean, listed_text, safe_link
from listening.store import SENTIMENTS, MentionFilter, Store, browse_mentions

#: The columns of a mention row in every mention table, in this order.
MENTION_COLUMNS = ("time", "source", "lang", "sentiment", "p", "topic", "reach", "mention", "link")


def counts_table(counts: Mapping[str, int] | Iterable[tuple[str, int]], key: str, value: str = "mentions") -> pl.DataFrame:
    """Counts as a two-column table, largest first (ties by key), with each row's share of the total.

    >>> counts_table({"en": 3, "ko": 1}, "lang").rows()
    [('en', 3, 75.0), ('ko', 1, 25.0)]
    >>> counts_table({}, "lang").columns
    ['lang', 'mentions', 'share %']
    """
    items = list(counts.items() if isinstance(counts, Mapping) else counts)
    frame = pl.DataFrame(items, schema={key: pl.String, value: pl.Int64}, orient="row")
    total = frame[value].sum() or 1
    return (frame.with_columns((pl.col(value) * 100 / total).round(1).alias("share %"))
            .sort([value, key], descending=[True, False]))


def keyed(columns: Mapping[str, Mapping[str, Any]], key: str) -> pl.DataFrame:
    """Several ``{key: value}`` mappings side by side: one row per key (sorted), one column per mapping.

    >>> keyed({"share %": {"b": 40.0, "a": 60.0}, "net": {"a": 0.2, "b": None}}, "brand").rows()
    [('a', 60.0, 0.2), ('b', 40.0, None)]
    """
    keys = sorted({k for values in columns.values() for k in values})
    return pl.DataFrame({key: keys, **{name: [values.get(k) for k in keys] for name, values in columns.items()}},
                        schema_overrides={key: pl.String})


def records_table(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Flat records (text, numbers, booleans, UTC datetimes) as a table; datetimes become ``YYYY-MM-DD HH:MM`` text.

    >>> from datetime import datetime, timezone
    >>> records_table([{"at": datetime(2026, 1, 5, 9, 41, tzinfo=timezone.utc), "n": 2}]).rows()
    [('2026-01-05 09:41', 2)]
    """
    return pl.DataFrame([{k: v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for k, v in r.items()}
                         for r in rows])


def crosstab(rows: Iterable[tuple[str, str, int]], row: str, column: str) -> pl.DataFrame:
    """(row key, column key, count) triples as a grid: one row per ``row`` key, one int column per ``column``
    key, a ``total`` column and a ``total`` row.

    >>> crosstab([("acme", "rss", 2), ("acme", "reddit", 1), ("beta", "rss", 4)], "brand", "source").rows()
    [('acme', 1, 2, 3), ('beta', 0, 4, 4), ('total', 1, 6, 7)]
    """
    long = pl.DataFrame(list(rows), schema={row: pl.String, column: pl.String, "n": pl.Int64}, orient="row")
    if long.is_empty():
        return pl.DataFrame(schema={row: pl.String, "total": pl.Int64})
    keys = sorted(long[column].unique().to_list())
    grid = (long.pivot(on=column, index=row, values="n", aggregate_function="sum").fill_null(0)
            .select(row, *keys).sort(row).with_columns(pl.sum_horizontal(keys).alias("total")))
    totals = grid.select(pl.lit("total").alias(row), *(pl.col(c).sum() for c in [*keys, "total"]))
    return pl.concat([grid, totals])


def sentiment_mix(mix: Mapping[str, Counter[str]], key: str) -> pl.DataFrame:
    """Sentiment counts per brand or language, with the negative and positive shares.

    >>> sentiment_mix({"acme": Counter(negative=1, positive=3)}, "brand").rows()
    [('acme', 1, 0, 3, 4, 25.0, 75.0)]
    """
    rows = [(k, *(int(mix[k].get(s, 0)) for s in SENTIMENTS)) for k in sorted(mix)]
    frame = pl.DataFrame(rows, schema={key: pl.String, **{s: pl.Int64 for s in SENTIMENTS}}, orient="row")
    total = pl.sum_horizontal(*SENTIMENTS)
    share = (lambda s: pl.when(total > 0).then((pl.col(s) * 100 / total).round(1)).otherwise(None))
    return frame.with_columns(total.alias("total"), share("negative").alias("negative %"), share("positive").alias("positive %"))


def mention_table(rows: Iterable[Mapping[str, Any]], *, brand: bool = False, text_width: int = 60) -> pl.DataFrame:
    """Mentions (as :func:`listening.store.browse_mentions` lists them) as table rows in :data:`MENTION_COLUMNS`.

    ``p`` is the probability of the mention's sentiment; ``link`` is empty unless the URL is
    http(s); ``mention`` is the cleaned title (or text; a comment's own text) cut to ``text_width`` characters.
    """
    return _as_table(mentions_frame(rows), brand=brand, text_width=text_width)


def _as_table(frame: pl.DataFrame, *, brand: bool = False, text_width: int = 60) -> pl.DataFrame:
    return frame.select(
        pl.col("published_at").dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M").alias("time"),
        *([pl.col("brand")] if brand else []),
        "source", "lang", "sentiment", pl.col("p").round(2), "topic", pl.col("reach").fill_null(0),
        pl.struct("title", "text", "source", "replies").map_elements(
            lambda r: clean(listed_text(r), text_width), return_dtype=pl.String).alias("mention"),
        pl.col("url").map_elements(lambda u: safe_link(u) or "", return_dtype=pl.String).alias("link"),
    )


def watchlist(rows: Iterable[Mapping[str, Any]], per_brand: int = 5) -> dict[str, dict[str, pl.DataFrame]]:
    """Per brand, its most negative and its highest-reach mentions among ``rows`` (the brands' own posts left out).

    Most negative: mentions scored negative, by the probability of negative (then reach, then
    newest first). Highest reach: any sentiment, by reach (then newest first). Each table has at
    most ``per_brand`` rows in :data:`MENTION_COLUMNS`; brands come in alphabetical order.
    """
    frame = mentions_frame(rows).filter(~pl.col("is_own").fill_null(False))
    out: dict[str, dict[str, pl.DataFrame]] = {}
    for brand in sorted(frame["brand"].drop_nulls().unique().to_list()):
        mine = frame.filter(pl.col("brand") == brand)
        negative = (mine.filter(pl.col("sentiment") == "negative")
                    .sort(["p_negative", "reach", "published_at"], descending=True, nulls_last=True).head(per_brand))
        loudest = mine.sort(["reach", "published_at"], descending=True, nulls_last=True).head(per_brand)
        out[brand] = {"most_negative": _as_table(negative), "highest_reach": _as_table(loudest)}
    return out


def recent_watchlist(store: Store, now: datetime, days: int = 7, per_brand: int = 5) -> dict[str, dict[str, pl.DataFrame]]:
    """:func:`watchlist` of the mentions published in the ``days`` days before ``now``."""
    return watchlist(browse_mentions(store, MentionFilter(since=now - timedelta(days=days), until=now)), per_brand)
