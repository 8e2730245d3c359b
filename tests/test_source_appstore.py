"""App Store: recorded review pages (metadata entry, single-object page, empty page) and app lookup."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from listening.errors import ParseError
from listening.http import HttpClient
from listening.mention import Mention
from listening.sources.appstore import AppStoreReviews
from listening.sources.base import Cursor
from tests.fault_server import FaultServer, fault_server, fixture, ok  # noqa: F401

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
JSON = "text/javascript; charset=utf-8"  # what iTunes sends for these feeds


def page(n: int) -> str:
    return f"/jp/rss/customerreviews/page={n}/id=1234567890/sortby=mostrecent/json"


def reviews(server: FaultServer, **kw) -> AppStoreReviews:
    server.route(page(1), fixture("appstore_reviews_jp_page1.json", JSON))
    server.route(page(2), fixture("appstore_reviews_jp_page2_single.json", JSON))
    server.route(page(3), fixture("appstore_reviews_jp_page3_empty.json", JSON))
    return AppStoreReviews("1234567890", "jp", base_url=server.base_url, **kw)


def test_reviews_become_mentions(fault_server: FaultServer, client: HttpClient) -> None:
    result = reviews(fault_server).fetch(client, now=NOW)
    first = result.mentions[0]
    assert first == Mention(
        source="appstore", native_id="11800000001",
        url="https://itunes.apple.com/jp/review?id=1234567890&type=Purple%20Software", title="アップデート後に落ちる",
        text="3.0 にしてから同期のたびにクラッシュします。 早く直してください。",
        published_at=datetime(2026, 11, 25, 1, 12, 33, tzinfo=UTC), fetched_at=NOW, author="けい", lang="ja",
        query="appstore:jp:1234567890", likes=5, score=1,
    )
    assert (first.raw["im:rating"]["label"], first.raw["im:version"]["label"]) == ("1", "3.0.1")
    assert first.raw["im:voteCount"]["label"] == "6"
    assert json.loads(json.dumps(first.raw))["id"]["label"] == "11800000001"


def test_app_metadata_entry_is_left_out_silently(fault_server: FaultServer, client: HttpClient) -> None:
    result = reviews(fault_server).fetch(client, now=NOW)
    assert all(m.score is not None for m in result.mentions) and result.skipped == []
    assert "Acme Cloud - Acme Inc." not in [m.title for m in result.mentions]


def test_single_review_page_arrives_as_an_object(fault_server: FaultServer, client: HttpClient) -> None:
    result = reviews(fault_server).fetch(client, now=NOW)
    assert [m.native_id for m in result.mentions] == ["11800000001", "11800000002", "11800000003", "11800000004"]
    assert result.mentions[-1].author == "old_user"


def test_paging_stops_at_an_empty_page(fault_server: FaultServer, client: HttpClient) -> None:
    result = reviews(fault_server).fetch(client, now=NOW)
    assert [len(fault_server.hits(page(n))) for n in (1, 2, 3, 4)] == [1, 1, 1, 0] and result.requests == 3


def test_paging_stops_at_the_watermark(fault_server: FaultServer, client: HttpClient) -> None:
    cursor = Cursor(watermark=datetime(2026, 11, 22, tzinfo=UTC))
    result = reviews(fault_server).fetch(client, cursor, now=NOW)
    assert len(fault_server.hits(page(2))) == 0 and result.cursor.watermark == datetime(2026, 11, 25, 1, 12, 33,
                                                                                        tzinfo=UTC)


def test_max_pages_bounds_the_run(fault_server: FaultServer, client: HttpClient) -> None:
    reviews(fault_server, max_pages=1).fetch(client, now=NOW)
    assert len(fault_server.hits(page(2))) == 0


def test_max_pages_past_apple_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="1..10"):
        AppStoreReviews("1", max_pages=11)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        pytest.param({"im:rating": {"label": "2"}, "updated": {"label": "2026-11-24T00:00:00-07:00"}}, "no_id",
                     id="no-id"),
        pytest.param({"im:rating": {"label": "2"}, "id": {"label": "9"}, "updated": {"label": "yesterday"}},
                     "bad_time", id="bad-updated"),
        pytest.param("nope", "not_object", id="not-an-object"),
    ],
)
def test_bad_review_is_skipped(fault_server: FaultServer, client: HttpClient, entry, reason: str) -> None:
    good = {"im:rating": {"label": "5"}, "id": {"label": "1"}, "updated": {"label": "2026-11-24T00:00:00-07:00"},
            "title": {"label": "ok"}, "content": {"label": "great"}}
    fault_server.route(page(1), ok(json.dumps({"feed": {"entry": [entry, good]}}).encode(), JSON))
    fault_server.route(page(2), ok(b'{"feed": {}}', JSON))
    result = AppStoreReviews("1234567890", base_url=fault_server.base_url).fetch(client, now=NOW)
    assert [m.native_id for m in result.mentions] == ["1"] and [s.reason for s in result.skipped] == [reason]


def test_payload_without_feed_is_a_parse_error(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(page(1), ok(b'{"errorMessage": "Invalid value(s) for key(s): [id]"}', JSON))
    with pytest.raises(ParseError, match="not an iTunes reviews feed"):
        AppStoreReviews("1234567890", base_url=fault_server.base_url).fetch(client, now=NOW)
