"""Analyst tables and the hourly view, on a real SQLite store with known mentions and scores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from listening.hourly import brand_summary, hourly_table, hourly_with_sentiment, volume_chart_png
from listening.store import Store
from listening.tables import MENTION_COLUMNS, crosstab, keyed, recent_watchlist
from listening.timeseries import rebuild_window
from tests.test_digest_fixtures import Builder

T0 = datetime(2026, 11, 24, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """acme: three negatives of known reach in hour 9, an own post with the largest reach, a javascript: link;
    rival: two mentions in hour 10, one unscored; one acme mention 8 days old (outside the recent window)."""
    store = Store.open(f"sqlite:///{tmp_path / 'tables.db'}")
    b = Builder("t")
    at = T0 + timedelta(hours=9)
    b.add("acme", at + timedelta(minutes=1), "negative", views=100, text="acme refund never came", lang="en")
    b.add("acme", at + timedelta(minutes=2), "negative", views=5_000, text="アクメのアプリが落ちる", lang="ja")
    b.add("acme", at + timedelta(minutes=3), "negative", views=50, text="악성 [링크](javascript:alert(1))", lang="ko",
          url="javascript:alert(1)")
    b.add("acme", at + timedelta(minutes=4), "positive", views=900, text="acme is great")
    b.add("acme", at + timedelta(minutes=5), "neutral", views=1_000_000, text="Our own launch post", is_own=True)
    b.add("rival", T0 + timedelta(hours=10, minutes=5), "negative", views=10, text="rival sync broke")
    b.add("rival", T0 + timedelta(hours=10, minutes=6), "negative", views=20, text="rival not scored yet", scored=False)
    b.add("acme", T0 - timedelta(days=8), "negative", views=10**9, text="old acme outage")
    b.write(store)
    return store


def test_the_watchlist_lists_each_brands_most_negative_and_loudest_recent_mentions(store: Store) -> None:
    lists = recent_watchlist(store, NOW, days=7, per_brand=2)
    assert list(lists) == ["acme", "rival"]
    negative = lists["acme"]["most_negative"]
    assert negative.columns == list(MENTION_COLUMNS)
    # equal p (0.8): the larger reach first; the 8-day-old mention and the own post are left out
    assert negative.select("time", "lang", "sentiment", "p", "reach").rows() == [
        ("2026-11-24 09:02", "ja", "negative", 0.8, 5_000), ("2026-11-24 09:01", "en", "negative", 0.8, 100)]
    loudest = lists["acme"]["highest_reach"]
    assert loudest["reach"].to_list() == [5_000, 900]
    assert loudest["mention"].to_list() == ["アクメのアプリが落ちる", "acme is great"]
    assert lists["rival"]["most_negative"]["mention"].to_list() == ["rival sync broke"], "an unscored mention is not 'negative'"
    unscored = lists["rival"]["highest_reach"].row(0, named=True)
    assert unscored["mention"] == "rival not scored yet" and unscored["sentiment"] is None and unscored["p"] is None


def test_a_link_that_is_not_http_stays_empty(store: Store) -> None:
    rows = recent_watchlist(store, NOW, days=7, per_brand=5)["acme"]["most_negative"].to_dicts()
    hostile = next(r for r in rows if r["lang"] == "ko")
    assert hostile["link"] == "" and all(r["link"].startswith("https://news.example/") for r in rows if r is not hostile)


def test_the_hourly_view_counts_volume_and_the_negative_share_of_scored_mentions(store: Store) -> None:
    start, end = T0, T0 + timedelta(days=1)
    view = hourly_with_sentiment(store, rebuild_window(store, start, end), start, end)
    expected = pl.DataFrame({
        "hour (UTC)": ["2026-11-24 10:00", "2026-11-24 09:00"], "brand": ["rival", "acme"], "mentions": [2, 5],
        "scored": [1, 5], "negative": [1, 3], "negative %": [100.0, 60.0], "sources": ["rss 2", "rss 5"],
        "languages": ["en 2", "en 3 · ja 1 · ko 1"]})
    assert_frame_equal(hourly_table(view, hours=48), expected)
    assert hourly_table(view, hours=1)["brand"].to_list() == ["rival"], "only the window's last hour"
    summary = brand_summary(view)
    assert summary.select("brand", "mentions", "negative", "negative %", "busiest hour (UTC)").rows() == [
        ("acme", 5, 3, 60.0, "2026-11-24 09:00"), ("rival", 2, 1, 100.0, "2026-11-24 10:00")]


def test_the_volume_chart_is_a_png_with_one_panel_per_brand_and_the_same_bytes_each_time(store: Store) -> None:
    start, end = T0, T0 + timedelta(days=1)
    view = hourly_with_sentiment(store, rebuild_window(store, start, end), start, end)
    png = volume_chart_png(view, start, end)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == volume_chart_png(view, start, end)
    height = lambda data: int.from_bytes(data[20:24], "big")  # noqa: E731 - the IHDR height field
    one_brand = volume_chart_png(view.filter(pl.col("brand") == "acme"), start, end)
    assert height(png) > height(one_brand)
    assert volume_chart_png(view.clear(), start, end)[:8] == b"\x89PNG\r\n\x1a\n"


def test_crosstab_and_keyed_tables_have_every_key_once() -> None:
    grid = crosstab([("b", "rss", 1), ("a", "reddit", 2), ("a", "rss", 3)], "brand", "source")
    assert_frame_equal(grid, pl.DataFrame({"brand": ["a", "b", "total"], "reddit": [2, 0, 2], "rss": [3, 1, 4],
                                           "total": [5, 1, 6]}))
    assert crosstab([], "brand", "source").columns == ["brand", "total"]
    assert keyed({"buckets fed": {}}, "brand").height == 0
