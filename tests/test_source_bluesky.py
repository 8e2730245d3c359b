"""Bluesky: author feed, engagement re-polls and authenticated search against recorded XRPC answers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from listening.errors import ConfigError, FetchError, ParseError
from listening.http import HttpClient
from listening.mention import Mention
from listening.sources.base import Cursor
from listening.sources.bluesky import AppPassword, BlueskyAuthor, BlueskySearch, refresh_posts
from listening.sources import bluesky
from tests.fault_server import FIXTURES, FaultServer, Recorded, Reply, dynamic, fault_server, fixture, ok  # noqa: F401

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
JSON = "application/json; charset=utf-8"
FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
PROFILE = "/xrpc/app.bsky.actor.getProfile"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
SECRET = "abcd-efgh-ijkl-mnop"
POST_URI = "at://did:plc:acmeofficial000000000000/app.bsky.feed.post/3lbz2acme3x2k"


@pytest.fixture(autouse=True)
def no_cached_sessions() -> Iterator[None]:
    bluesky._sessions.clear()
    yield
    bluesky._sessions.clear()


def feed_pages(request: Recorded) -> Reply:
    name = "bluesky_author_feed_page2.json" if request.param("cursor") else "bluesky_author_feed.json"
    return Reply(200, (FIXTURES / name).read_bytes(), {"Content-Type": JSON})


def author(server: FaultServer, **kw) -> BlueskyAuthor:
    server.route(PROFILE, fixture("bluesky_profile.json", JSON))
    server.route(FEED, dynamic(feed_pages))
    return BlueskyAuthor("@acme.com", base_url=server.base_url, **kw)


def test_author_feed_becomes_mentions(fault_server: FaultServer, client: HttpClient) -> None:
    result = author(fault_server, is_own=True).fetch(client, Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC)),
                                                     now=NOW)
    first, second = result.mentions
    assert first == Mention(
        source="bluesky", native_id=POST_URI, url="https://bsky.app/profile/acme.com/post/3lbz2acme3x2k", title="",
        text="Acme Cloud 3.0 is here: faster deploys and a brand new CLI.",
        published_at=datetime(2026, 11, 24, 16, 1, 2, 345000, tzinfo=UTC), fetched_at=NOW, author="acme.com",
        author_followers=20431, lang="en", query="@acme.com", is_own=True, likes=310, reposts=45, replies=12,
    )
    assert first.raw["quoteCount"] == 6 and json.loads(json.dumps(first.raw))["cid"] == "bafyreiacmepost0001"
    assert (second.lang, result.requests, result.skipped) == ("ja", 3, [])  # profile + 2 pages


@pytest.mark.parametrize(
    ("index", "created", "indexed"),
    [
        pytest.param(0, "2031-01-01T00:00:00.000Z", datetime(2026, 11, 24, 16, 1, 2, 345000, tzinfo=UTC),
                     id="far-future-createdAt"),
        pytest.param(1, "1970-01-01T00:00:00.000Z", datetime(2026, 11, 21, 3, 0, tzinfo=UTC), id="epoch-createdAt"),
    ],
)
def test_indexed_at_dates_the_post_and_created_at_stays_raw(
    fault_server: FaultServer, client: HttpClient, index: int, created: str, indexed: datetime
) -> None:
    result = author(fault_server).fetch(client, Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC)), now=NOW)
    mention = result.mentions[index]
    assert (mention.published_at, mention.raw["record"]["createdAt"]) == (indexed, created)


def test_reposts_by_the_account_are_not_its_posts(fault_server: FaultServer, client: HttpClient) -> None:
    result = author(fault_server).fetch(client, Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC)), now=NOW)
    assert all(m.author == "acme.com" for m in result.mentions)


def test_author_feed_sends_the_documented_parameters(fault_server: FaultServer, client: HttpClient) -> None:
    author(fault_server).fetch(client, Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC)), now=NOW)
    sent = fault_server.hits(FEED)[0]
    assert {k: v[0] for k, v in sent.query.items()} == {"actor": "acme.com", "filter": "posts_no_replies",
                                                         "limit": "100"}
    assert fault_server.hits(PROFILE)[0].param("actor") == "acme.com"


def test_cursor_paging_runs_to_the_end_of_the_feed(fault_server: FaultServer, client: HttpClient) -> None:
    result = author(fault_server).fetch(client, Cursor(watermark=datetime(2026, 11, 1, tzinfo=UTC)), now=NOW)
    assert [p.param("cursor") for p in fault_server.hits(FEED)] == [None, "2026-11-21T03:00:00.000Z"]
    assert (len(result.mentions), result.skipped) == (3, [])


def test_paging_stops_at_the_watermark(fault_server: FaultServer, client: HttpClient) -> None:
    result = author(fault_server).fetch(client, Cursor(watermark=datetime(2026, 11, 22, tzinfo=UTC)), now=NOW)
    assert len(fault_server.hits(FEED)) == 1 and len(result.mentions) == 1


def test_max_pages_is_recorded(fault_server: FaultServer, client: HttpClient) -> None:
    result = author(fault_server, max_pages=1).fetch(client, Cursor(watermark=datetime(2026, 11, 1, tzinfo=UTC)),
                                                     now=NOW)
    assert [s.reason for s in result.skipped] == ["request_limit"]


def test_get_posts_refreshes_engagement_25_uris_per_request(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/xrpc/app.bsky.feed.getPosts", fixture("bluesky_get_posts.json", JSON))
    uris = [POST_URI] + [f"at://did:plc:x/app.bsky.feed.post/gone{i}" for i in range(29)]
    result = refresh_posts(client, uris, base_url=fault_server.base_url, now=NOW)
    sent = fault_server.hits("/xrpc/app.bsky.feed.getPosts")
    assert [len(r.query["uris"]) for r in sent] == [25, 5] and sent[0].query["uris"][0] == POST_URI
    assert [(m.likes, m.reposts, m.replies) for m in result.mentions] == [(402, 70, 19)]
    assert len(result.skipped) == 29 and {s.reason for s in result.skipped} == {"gone"}


def test_xrpc_error_shape_is_a_parse_error(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(PROFILE, fixture("bluesky_profile.json", JSON))
    fault_server.route(FEED, ok(b'{"error": "InvalidRequest", "message": "Profile not found"}', JSON))
    with pytest.raises(ParseError, match="without a 'feed' list"):
        BlueskyAuthor("ghost.bsky.social", base_url=fault_server.base_url).fetch(client, now=NOW)


class Login:
    """``createSession`` emulator (a POST) on the local server, reached through the shared client."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.bodies: list[dict] = []

    def __call__(self, request: Recorded) -> Reply:
        self.bodies.append(json.loads(request.body))
        if self.status != 200:
            return Reply(self.status, json.dumps({"error": "AuthenticationRequired",
                                                  "message": "Invalid identifier or password"}).encode())
        return Reply(200, json.dumps({"accessJwt": "jwt-1", "refreshJwt": "r", "handle": "me.bsky.social",
                                      "did": "did:plc:me"}).encode(), {"Content-Type": JSON})


def search_pages(request: Recorded) -> Reply:
    """The recorded page links on with ``cursor=25``; the next page is the empty last one."""
    body = b'{"posts": []}' if request.param("cursor") else (FIXTURES / "bluesky_search_acme.json").read_bytes()
    return Reply(200, body, {"Content-Type": JSON})


def searcher(server: FaultServer, login: Login) -> BlueskySearch:
    auth = AppPassword(session_url=server.route("/xrpc/com.atproto.server.createSession", dynamic(login)))
    server.route(SEARCH, dynamic(search_pages))
    return BlueskySearch("acme", base_url=server.base_url, auth=auth)


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENING_BLUESKY_IDENTIFIER", "me.bsky.social")
    monkeypatch.setenv("LISTENING_BLUESKY_APP_PASSWORD", SECRET)


def test_search_logs_in_once_and_sends_the_bearer(fault_server: FaultServer, client: HttpClient,
                                                  credentials: None) -> None:
    login = Login()
    search = searcher(fault_server, login)
    result = search.fetch(client, Cursor(watermark=datetime(2026, 11, 24, tzinfo=UTC)), now=NOW)
    search.fetch(client, now=NOW)
    assert login.bodies == [{"identifier": "me.bsky.social", "password": SECRET}]
    sent = fault_server.hits(SEARCH)[0]
    assert sent.headers["authorization"] == "Bearer jwt-1"
    assert (sent.param("q"), sent.param("sort"), sent.param("since")) == ("acme", "latest", "2026-11-24T00:00:00.000Z")
    assert [m.author for m in result.mentions] == ["devkim.bsky.social", "ops.example.org"]
    assert [m.lang for m in result.mentions] == ["ko", ""]
    assert [r.param("cursor") for r in fault_server.hits(SEARCH)[:2]] == [None, "25"]


def test_search_without_credentials_names_the_env_vars(monkeypatch: pytest.MonkeyPatch,
                                                       client: HttpClient) -> None:
    monkeypatch.delenv("LISTENING_BLUESKY_APP_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="LISTENING_BLUESKY_IDENTIFIER.*LISTENING_BLUESKY_APP_PASSWORD"):
        BlueskySearch("acme").fetch(client, now=NOW)


def test_password_never_appears_in_errors_logs_or_raw(
    fault_server: FaultServer, client: HttpClient, credentials: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(FetchError) as failed:
        searcher(fault_server, Login(status=401)).fetch(client, now=NOW)
    assert "HTTP 401" in str(failed.value) and SECRET not in str(failed.value)
    assert SECRET not in repr(failed.value.__cause__) and SECRET not in repr(failed.value.__context__)
    result = searcher(fault_server, Login()).fetch(client, now=NOW)
    assert SECRET not in caplog.text and SECRET not in json.dumps([m.raw for m in result.mentions])
    assert SECRET not in repr(searcher(fault_server, Login()))


def test_author_key() -> None:
    assert BlueskyAuthor("@acme.com").key == "bluesky:@acme.com"
