"""RSS/Atom/RDF connectors: recorded feeds in their real shapes -> exact Mention records."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from listening.errors import ParseError
from listening.http import HttpClient
from listening.mention import Mention
from listening.sources import Cursor, FeedConnector, GoogleNewsSearch, Skipped, YouTubeChannel
from tests.fault_server import FIXTURES, FaultServer, fault_server, fixture, ok, status  # noqa: F401

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=timezone.utc)
UTC = timezone.utc


def feed(server: FaultServer, file: str, content_type: str = "application/xml; charset=utf-8", **kw) -> FeedConnector:
    return FeedConnector(server.route(f"/{file}", fixture(file, content_type)), **kw)


def test_blog_rss2_entries_become_mentions(fault_server: FaultServer, client: HttpClient) -> None:
    connector = feed(fault_server, "blog_rss2.xml", "application/rss+xml; charset=UTF-8")
    result = connector.fetch(client, now=NOW)
    first, second, _ = result.mentions
    assert first == Mention(
        source="rss",
        native_id="https://blog.acme.example/?p=4211",
        url="https://blog.acme.example/2026/11/acme-cloud-3/",
        title="Introducing Acme Cloud 3.0 & the new CLI",
        text="Today we ship Acme Cloud 3.0. Faster deploys \u2013 and a new CLI. Deploys in 4 s Rollbacks",
        published_at=datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
        fetched_at=NOW,
        author="Jane Doe",
        lang="en",
    )
    assert second.published_at == datetime(2026, 11, 19, 0, 30, tzinfo=UTC)  # +0900 -> UTC
    assert (result.skipped, result.not_modified, result.requests) == ([], False, 1)


def test_entry_without_date_falls_back_to_fetched_at_and_keeps_the_watermark(
    fault_server: FaultServer, client: HttpClient
) -> None:
    result = feed(fault_server, "blog_rss2.xml").fetch(client, now=NOW)
    undated = result.mentions[2]
    assert undated.native_id == "https://blog.acme.example/jobs/sre-seoul/"
    assert undated.published_at == NOW and "no date" in undated.raw["_listening_notes"][0]
    assert result.cursor.watermark == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def test_raw_entries_are_json_serialisable(fault_server: FaultServer, client: HttpClient) -> None:
    for name in ("blog_rss2.xml", "youtube_channel.xml", "github_releases.atom", "hatena_rdf.xml"):
        for mention in feed(fault_server, name).fetch(client, now=NOW).mentions:
            assert json.loads(json.dumps(mention.raw))["title"]


def test_feed_name_credits_entries_without_author(fault_server: FaultServer, client: HttpClient) -> None:
    result = feed(fault_server, "blog_rss2.xml", name="Acme blog").fetch(client, now=NOW)
    assert [m.author for m in result.mentions] == ["Jane Doe", "Sam Lee", "Acme blog"]


def test_a_stray_invalid_byte_does_not_turn_a_korean_feed_into_mojibake(
    fault_server: FaultServer, client: HttpClient
) -> None:
    body = (FIXTURES / "google_news_ko.xml").read_bytes().replace("사전판매".encode(), b"\xff\xfe")
    fault_server.route("/rss/search", ok(body, "application/rss+xml; charset=UTF-8"))
    result = GoogleNewsSearch("삼성 갤럭시", "ko", base_url=fault_server.base_url).fetch(client, now=NOW)
    titles = [m.title for m in result.mentions]
    assert titles[0] == '삼성 갤럭시 S27, 배터리 발열 논란… "교환 요청 잇따라"'
    assert "갤럭시 S27 울트라 \ufffd\ufffd 역대 최다" in titles
    assert [s.reason for s in result.skipped] == ["invalid_utf8"]


def test_google_news_korean_search(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/rss/search", fixture("google_news_ko.xml"))
    search = GoogleNewsSearch("삼성 갤럭시", "ko", base_url=fault_server.base_url)
    result = search.fetch(client, now=NOW)
    sent = fault_server.hits("/rss/search")[0]
    assert (sent.param("q"), sent.param("hl"), sent.param("gl"), sent.param("ceid")) == (
        "삼성 갤럭시 when:7d", "ko", "KR", "KR:ko",
    )
    assert result.mentions[0] == Mention(
        source="google_news",
        native_id="CBMiWkFVX3lxTE1hX2sxZ0RkQ0xZbWZ3b2h4UjBqNWQ",
        url="https://news.google.com/rss/articles/CBMiWkFVX3lxTE1hX2sxZ0RkQ0xZbWZ3b2h4UjBqNWQ?oc=5",
        title='삼성 갤럭시 S27, 배터리 발열 논란… "교환 요청 잇따라"',
        text='삼성 갤럭시 S27, 배터리 발열 논란… "교환 요청 잇따라"',
        published_at=datetime(2026, 11, 24, 23, 41, tzinfo=UTC),
        fetched_at=NOW,
        author="한국경제",
        lang="ko",
        query="삼성 갤럭시",
    )
    assert result.mentions[1].text == "갤럭시 S27 울트라 사전판매 역대 최다", "related coverage is other articles, not this one's words"


@pytest.mark.parametrize(
    ("name", "content_type", "title", "author"),
    [
        pytest.param("google_news_ja_sjis.xml", "application/xml", "アクメ、新型クラウドを発表 障害対策を強化",
                     "日本経済新聞", id="shift_jis-in-prolog"),
        pytest.param("google_news_ja_sjis.xml", "text/xml", "アクメ、新型クラウドを発表 障害対策を強化",
                     "日本経済新聞", id="shift_jis-text-xml-without-charset"),
        pytest.param("newswire_euckr.xml", "application/rss+xml; charset=EUC-KR", "에이크미, 서울에 데이터센터 개소",
                     "에이크미", id="euc-kr-in-content-type"),
    ],
)
def test_non_utf8_feeds_decode(
    fault_server: FaultServer, client: HttpClient, name: str, content_type: str, title: str, author: str
) -> None:
    fault_server.route("/rss/search", fixture(name, content_type))
    if name.startswith("google_news"):
        connector = GoogleNewsSearch("アクメ", "ja", base_url=fault_server.base_url)
    else:
        connector = FeedConnector(fault_server.url("/rss/search"))
    result = connector.fetch(client, now=NOW)
    got = result.mentions[0]
    assert (got.title, got.author) == (title, author)  # ideographic spaces collapse like any whitespace
    assert result.skipped == []


def test_github_releases_atom_uses_updated_and_strips_html(fault_server: FaultServer, client: HttpClient) -> None:
    got = feed(fault_server, "github_releases.atom").fetch(client, now=NOW).mentions[0]
    assert (got.native_id, got.url, got.title, got.text, got.author, got.published_at, got.lang) == (
        "tag:github.com,2008:Repository/123456789/v2.4.0",
        "https://github.com/rival/widget/releases/tag/v2.4.0",
        "v2.4.0 \u2013 Offline mode",
        "Highlights Offline mode for the mobile app Fixes sync crash (#812)",
        "rival-bot",
        datetime(2026, 11, 23, 10, 12, 45, tzinfo=UTC),
        "en",  # from xml:lang="en-US"
    )


def test_youtube_channel_feed_carries_views_and_likes(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/feeds/videos.xml", fixture("youtube_channel.xml", "text/xml; charset=UTF-8"))
    channel = YouTubeChannel("UCacmeOfficial0000000000", base_url=fault_server.base_url, is_own=True)
    first, second = channel.fetch(client, now=NOW).mentions
    assert fault_server.hits("/feeds/videos.xml")[0].param("channel_id") == "UCacmeOfficial0000000000"
    assert first == Mention(
        source="youtube",
        native_id="dQw4w9WgXcQ",
        url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        title="Acme Cloud 3.0 launch keynote",
        text="Watch the full keynote & demos. Chapters: 00:00 Intro",
        published_at=datetime(2026, 11, 24, 17, 0, 6, tzinfo=UTC),
        fetched_at=NOW,
        author="Acme Official",
        is_own=True,
        views=48213,
        likes=1520,
    )
    assert (second.views, second.likes, second.text) == (0, 0, "How to migrate to the new CLI")


def test_hatena_rdf_bookmark_count_is_the_score(fault_server: FaultServer, client: HttpClient) -> None:
    got = feed(fault_server, "hatena_rdf.xml").fetch(client, now=NOW).mentions[0]
    assert (got.title, got.score, got.published_at) == (
        "Acme Cloud 3.0 を一週間使ってみた", 37, datetime(2026, 11, 25, 0, 15, tzinfo=UTC),
    )


def test_not_modified_keeps_the_cursor(fault_server: FaultServer, client: HttpClient) -> None:
    served = fixture("blog_rss2.xml", etag='"abc"', last_modified="Tue, 24 Nov 2026 16:05:12 GMT")
    url = fault_server.route("/feed", served)
    connector = FeedConnector(url)
    first = connector.fetch(client, now=NOW)
    again = connector.fetch(client, first.cursor, now=NOW)
    assert first.cursor.etag == '"abc"' and first.cursor.last_modified == "Tue, 24 Nov 2026 16:05:12 GMT"
    assert (again.not_modified, again.mentions, again.cursor) == (True, [], first.cursor)
    assert fault_server.hits("/feed")[1].headers["if-none-match"] == '"abc"'


def test_truncated_feed_keeps_recovered_entries_and_records_why(
    fault_server: FaultServer, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = (FIXTURES / "blog_rss2.xml").read_bytes()
    url = fault_server.route("/feed", ok(body[: body.index(b"<title>Hiring")], "application/rss+xml"))
    result = FeedConnector(url).fetch(client, now=NOW)
    assert [m.title for m in result.mentions] == [
        "Introducing Acme Cloud 3.0 & the new CLI", "Postmortem: November 18 outage",
    ]
    assert [s.reason for s in result.skipped] == ["malformed_feed", "no_id"]
    assert "SAXParseException" in result.skipped[0].detail and "malformed" in caplog.text


def test_wrong_content_type_still_parses_a_real_feed(fault_server: FaultServer, client: HttpClient) -> None:
    result = feed(fault_server, "blog_rss2.xml", "text/html; charset=UTF-8").fetch(client, now=NOW)
    assert len(result.mentions) == 3 and result.skipped == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<html><body>Please accept cookies</body></html>", id="html-page"),
        pytest.param(b'{"error": "not a feed"}', id="json"),
        pytest.param(b"", id="empty"),
    ],
)
def test_payload_that_is_not_a_feed_is_a_parse_error(
    fault_server: FaultServer, client: HttpClient, body: bytes
) -> None:
    url = fault_server.route("/feed", ok(body, "text/html"))
    with pytest.raises(ParseError, match="not a readable feed"):
        FeedConnector(url).fetch(client, now=NOW)


def test_feedparser_never_fetches_a_url_found_in_the_payload(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/elsewhere", fixture("blog_rss2.xml"))
    url = fault_server.route("/feed", ok(fault_server.url("/elsewhere").encode(), "text/plain"))
    with pytest.raises(ParseError):
        FeedConnector(url).fetch(client, now=NOW)
    assert fault_server.hits("/elsewhere") == []


def test_server_error_then_success_counts_both_requests(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.route("/feed", status(500), fixture("blog_rss2.xml"))
    result = FeedConnector(url).fetch(client, now=NOW)
    assert (len(result.mentions), result.requests) == (3, 2)


def test_watermark_never_moves_back(fault_server: FaultServer, client: HttpClient) -> None:
    later = NOW - timedelta(minutes=1)  # newer than every entry, not past the fetch time
    result = feed(fault_server, "blog_rss2.xml").fetch(client, Cursor(watermark=later), now=NOW)
    assert result.cursor.watermark == later and len(result.mentions) == 3


def test_duplicate_guid_in_one_feed_is_skipped(fault_server: FaultServer, client: HttpClient) -> None:
    item = b"<item><title>Same</title><guid>g1</guid><pubDate>Tue, 24 Nov 2026 16:00:00 GMT</pubDate></item>"
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>' + item * 2 + b"</channel></rss>"
    url = fault_server.route("/feed", ok(body, "application/rss+xml"))
    result = FeedConnector(url).fetch(client, now=NOW)
    assert len(result.mentions) == 1 and result.skipped == [Skipped("duplicate", "entry 1: g1 repeated in the feed")]


def test_google_news_rejects_an_unknown_locale() -> None:
    with pytest.raises(ValueError, match="unknown Google News locale 'fr'"):
        GoogleNewsSearch("acme", "fr")


def test_feed_errors_are_logged_not_printed(
    fault_server: FaultServer, client: HttpClient, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="listening")
    feed(fault_server, "blog_rss2.xml", "text/html").fetch(client, now=NOW)
    assert capsys.readouterr() == ("", "") and "not an XML media type" in caplog.text
