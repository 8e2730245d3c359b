"""Mastodon: recorded hashtag and account timelines -> mentions; Link paging, null language, 401 feeds."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from listening.config import load_config
from listening.errors import FetchError, ParseError
from listening.http import HttpClient
from listening.mention import Mention
from listening.pipeline import DEMO_CONFIG
from listening.sources import Cursor
from listening.sources.mastodon import MastodonAccount, MastodonHashtag, snowflake_at
from listening.sources.plan import plan_tasks
from tests.fault_server import (  # noqa: F401
    FIXTURES, FaultServer, Recorded, Reply, dynamic, fault_server, fixture, ok, status,
)

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
TAG = "/api/v1/timelines/tag/acme"
JSON = "application/json; charset=utf-8"


def tag_pages(server: FaultServer):
    """Page 1 links to page 2 with ``max_id`` like Mastodon; page 2 is the last."""

    def respond(request: Recorded) -> Reply:
        if request.param("max_id") == "113539000000000007":
            return Reply(200, (FIXTURES / "mastodon_tag_acme_page2.json").read_bytes(), {"Content-Type": JSON})
        link = (f'<{server.url(TAG)}?limit=40&max_id=113539000000000007>; rel="next", '
                f'<{server.url(TAG)}?limit=40&min_id=113540000000000002>; rel="prev"')
        body = (FIXTURES / "mastodon_tag_acme_page1.json").read_bytes()
        return Reply(200, body, {"Content-Type": JSON, "Link": link})

    return dynamic(respond)


def hashtag(server: FaultServer, **kw) -> MastodonHashtag:
    return MastodonHashtag(server.base_url, "#acme", **kw)


def test_tag_timeline_becomes_mentions(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(TAG, tag_pages(fault_server))
    result = hashtag(fault_server).fetch(client, Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC)), now=NOW)
    first = result.mentions[0]
    assert first == Mention(
        source="mastodon", native_id="https://fosstodon.org/users/jdoe/statuses/113540000000000002",
        url="https://fosstodon.org/@jdoe/113540000000000002", title="",
        text="Upgraded to #acme Cloud 3.0 & deploys are 3x faster. The CLI still crashes on sync.",
        published_at=datetime(2026, 11, 24, 16, 20, tzinfo=UTC), fetched_at=NOW, author="jdoe@fosstodon.org",
        author_followers=850, lang="en", query="#acme", likes=31, reposts=12, replies=4,
    )
    assert first.raw["tags"] == [{"name": "acme", "url": "https://mastodon.social/tags/acme"}]
    assert json.loads(json.dumps(first.raw))["uri"] == first.native_id
    assert (result.skipped, result.requests, result.cursor.watermark) == ([], 2, first.published_at)


def test_null_language_becomes_empty(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(TAG, tag_pages(fault_server))
    result = hashtag(fault_server).fetch(client, Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC)), now=NOW)
    korean = result.mentions[1]
    assert (korean.lang, korean.text, korean.raw["language"]) == ("", "#acme 요금이 또 올랐네요", None)


def test_link_header_paging_stops_at_the_watermark(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(TAG, tag_pages(fault_server))
    watermark = datetime(2026, 11, 20, tzinfo=UTC)
    result = hashtag(fault_server).fetch(client, Cursor(watermark=watermark), now=NOW)
    first, second = fault_server.hits(TAG)
    assert (first.param("since_id"), first.param("max_id"), first.param("limit")) == (
        snowflake_at(watermark), None, "40")
    assert (second.param("max_id"), second.param("since_id")) == ("113539000000000007", None)
    assert [m.author for m in result.mentions] == ["jdoe@fosstodon.org", "minji@social.example.kr", "ops_kim"]
    assert result.mentions[2].title == "Acme outage rant"  # spoiler text (content warning) is the title


def test_watermark_on_the_first_page_stops_paging(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(TAG, tag_pages(fault_server))
    result = hashtag(fault_server).fetch(client, Cursor(watermark=datetime(2026, 11, 24, tzinfo=UTC)), now=NOW)
    assert len(fault_server.hits(TAG)) == 1 and len(result.mentions) == 1


def test_max_pages_is_recorded(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(TAG, tag_pages(fault_server))
    result = hashtag(fault_server, max_pages=1).fetch(client, Cursor(watermark=datetime(2026, 11, 1, tzinfo=UTC)),
                                                      now=NOW)
    assert [s.reason for s in result.skipped] == ["request_limit"]


@pytest.mark.parametrize("code", [pytest.param(401, id="401"), pytest.param(403, id="403")])
def test_anonymous_tag_feed_refused_is_a_recorded_skip(fault_server: FaultServer, client: HttpClient,
                                                       code: int) -> None:
    body = b'{"error":"This API requires an authenticated user"}'
    fault_server.route(TAG, status(code, body, {"Content-Type": JSON}))
    cursor = Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC))
    result = hashtag(fault_server).fetch(client, cursor, now=NOW)
    assert (result.mentions, result.cursor) == ([], cursor)
    (skip,) = result.skipped
    assert skip.reason == "auth_required" and f"HTTP {code}" in skip.detail and "#acme" in skip.detail


def test_other_http_errors_raise(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(TAG, status(404))
    with pytest.raises(FetchError, match="HTTP 404"):
        hashtag(fault_server).fetch(client, now=NOW)


def test_not_a_list_is_a_parse_error(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(TAG, ok(b'{"error": "Record not found"}', JSON))
    with pytest.raises(ParseError, match="expected a list of statuses"):
        hashtag(fault_server).fetch(client, now=NOW)


@pytest.mark.parametrize(
    ("status_", "reason"),
    [
        pytest.param({"id": "1", "created_at": "2026-11-24T00:00:00Z", "content": "x"}, "no_id", id="no-uri"),
        pytest.param({"uri": "u", "content": "x"}, "no_time", id="no-created-at"),
        pytest.param({"uri": "u", "created_at": "soon", "content": "x"}, "bad_time", id="bad-created-at"),
        pytest.param({"uri": "u", "created_at": "2026-11-24T00:00:00Z", "content": ""}, "empty", id="media-only"),
        pytest.param("nope", "not_object", id="not-an-object"),
    ],
)
def test_bad_status_is_skipped(fault_server: FaultServer, client: HttpClient, status_, reason: str) -> None:
    good = {"uri": "good", "created_at": "2026-11-24T00:00:00Z", "content": "<p>acme</p>"}
    fault_server.route(TAG, ok(json.dumps([status_, good]).encode(), JSON))
    result = hashtag(fault_server).fetch(client, now=NOW)
    assert [m.native_id for m in result.mentions] == ["good"] and [s.reason for s in result.skipped] == [reason]


def test_account_statuses_carry_the_lookup_follower_count(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/api/v1/accounts/lookup", fixture("mastodon_account_lookup.json", JSON))
    statuses = "/api/v1/accounts/109000000000000100/statuses"
    fault_server.route(statuses, fixture("mastodon_account_statuses.json", JSON))
    result = MastodonAccount(fault_server.base_url, "@acme", is_own=True, lookback=timedelta(days=3)).fetch(
        client, now=NOW)
    (post,) = result.mentions
    assert (post.author_followers, post.is_own, post.likes, post.reposts, post.query) == (15230, True, 240, 88, "@acme")
    assert fault_server.hits("/api/v1/accounts/lookup")[0].param("acct") == "acme"
    sent = fault_server.hits(statuses)[0]
    assert (sent.param("exclude_replies"), sent.param("exclude_reblogs"), sent.param("limit")) == ("true", "true", "40")
    assert result.requests == 2


def test_account_lookup_without_id_is_a_parse_error(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/api/v1/accounts/lookup", ok(b'{"error": "Record not found"}', JSON))
    with pytest.raises(ParseError, match="returned no id"):
        MastodonAccount(fault_server.base_url, "ghost").fetch(client, now=NOW)


def test_keys_name_instance_and_target() -> None:
    assert MastodonHashtag("https://mastodon.social", "#acme").key == "mastodon:mastodon.social:#acme"
    assert MastodonAccount("https://mastodon.social/", "@acme").key == "mastodon:mastodon.social:@acme"


def test_servers_without_time_ids_get_no_since_id(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(TAG, tag_pages(fault_server))
    result = hashtag(fault_server, time_ids=False).fetch(client, Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC)),
                                                         now=NOW)
    assert fault_server.hits(TAG)[0].param("since_id") is None and len(result.mentions) == 3



def mastodon_tasks(config: Path) -> dict[str, MastodonAccount | MastodonHashtag]:
    return {t.key: t.connector for t in plan_tasks(load_config(config)) if t.source == "mastodon"}


def test_an_account_keeps_its_cursor_whatever_port_the_replay_got(monkeypatch: pytest.MonkeyPatch) -> None:
    """The replay may get another port on the next run: the account, and so its cursor, is still orbitly@mastodon.social."""
    monkeypatch.setenv("REPLAY_URL", "http://127.0.0.1:47800")
    first = mastodon_tasks(DEMO_CONFIG)
    monkeypatch.setenv("REPLAY_URL", "http://127.0.0.1:51234")
    again = mastodon_tasks(DEMO_CONFIG)
    assert sorted(first) == sorted(again) and "mastodon:mastodon.social:@orbitly" in first
    assert again["mastodon:mastodon.social:@orbitly"].base_url == "http://127.0.0.1:51234"


def test_an_instance_configured_without_scheme_is_asked_over_https(tmp_path: Path) -> None:
    config = {"project": {"name": "t", "contact": "t@example.com"},
              "brands": [{"key": "acme", "name": "Acme", "own": True, "aliases": ["Acme"],
                          "sources": {"accounts": [{"platform": "mastodon", "handle": "acme", "instance": "mastodon.social"}],
                                      "mastodon": [{"instance": "fosstodon.org", "tag": "acme"}]}}]}
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    tasks = mastodon_tasks(path)
    assert tasks["mastodon:mastodon.social:@acme"].base_url == "https://mastodon.social"
    assert tasks["mastodon:fosstodon.org:#acme"].base_url == "https://fosstodon.org"
