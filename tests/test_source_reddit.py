"""Reddit: recorded Atom search/subreddit feeds and the OAuth JSON search with an app-only token."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from listening.errors import ConfigError, FetchError, ParseError
from listening.http import HttpClient
from listening.mention import Mention
from listening.sources import reddit
from listening.sources.base import Cursor
from listening.sources.reddit import ClientCredentials, RedditOAuthSearch, RedditSearch, RedditSubreddit
from tests.fault_server import FIXTURES, FaultServer, Recorded, Reply, dynamic, fault_server, fixture, ok  # noqa: F401

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
ATOM = "application/atom+xml; charset=UTF-8"
SECRET = "redditSecretValue42"


@pytest.fixture(autouse=True)
def no_cached_tokens() -> Iterator[None]:
    reddit._tokens.clear()
    yield
    reddit._tokens.clear()


def test_atom_search_becomes_mentions(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/search.rss", fixture("reddit_search_acme.atom", ATOM))
    result = RedditSearch("acme", base_url=fault_server.base_url).fetch(client, now=NOW)
    self_post, link_post = result.mentions
    assert self_post == Mention(
        source="reddit", native_id="t3_1h2x3yz",
        url="https://www.reddit.com/r/devops/comments/1h2x3yz/acme_cli_30_crashes_on_sync/",
        title="Acme CLI 3.0 crashes on sync", text="Since 3.0 the Acme CLI crashes on every sync. Anyone else?",
        published_at=datetime(2026, 11, 24, 22, 10, 5, tzinfo=UTC), fetched_at=NOW, author="sre_kim", query="acme",
    )
    assert (link_post.native_id, link_post.text) == ("t3_1h2w0ab", "Acme Cloud suffers third outage this month")
    assert json.loads(json.dumps(self_post.raw))["tags"][0]["term"] == "devops"
    sent = fault_server.hits("/search.rss")[0]
    assert (sent.param("q"), sent.param("sort")) == ("acme", "new")


def test_subreddit_feed_is_marked_own(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/r/acme/new.rss", fixture("reddit_search_acme.atom", ATOM))
    connector = RedditSubreddit("r/acme", base_url=fault_server.base_url, is_own=True)
    result = connector.fetch(client, now=NOW)
    assert connector.key == "reddit:r/acme" and all(m.is_own and m.query == "r/acme" for m in result.mentions)


def test_atom_entry_without_t3_id_is_skipped(fault_server: FaultServer, client: HttpClient) -> None:
    body = (FIXTURES / "reddit_search_acme.atom").read_bytes().replace(b"<id>t3_1h2w0ab</id>", b"<id>t5_2qh1i</id>")
    fault_server.route("/search.rss", ok(body, ATOM))
    result = RedditSearch("acme", base_url=fault_server.base_url).fetch(client, now=NOW)
    assert [m.native_id for m in result.mentions] == ["t3_1h2x3yz"]
    assert [s.reason for s in result.skipped] == ["not_a_post"]


class TokenEndpoint:
    """``/api/v1/access_token`` emulator (a POST) on the local server, reached through the shared client."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[Recorded] = []

    def __call__(self, request: Recorded) -> Reply:
        self.requests.append(request)
        if self.status != 200:
            return Reply(self.status, json.dumps({"message": "Unauthorized", "error": self.status}).encode())
        return Reply(200, json.dumps({"access_token": "tok-1", "token_type": "bearer", "expires_in": 86400,
                                      "scope": "*"}).encode(), {"Content-Type": "application/json"})


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENING_REDDIT_CLIENT_ID", "cid")
    monkeypatch.setenv("LISTENING_REDDIT_CLIENT_SECRET", SECRET)


def oauth(server: FaultServer, endpoint: TokenEndpoint) -> RedditOAuthSearch:
    def respond(request: Recorded) -> Reply:
        body = b'{"kind": "Listing", "data": {"after": null, "children": []}}' if request.param("after") else (
            FIXTURES / "reddit_oauth_search_acme.json").read_bytes()
        return Reply(200, body, {"Content-Type": "application/json; charset=UTF-8"})

    server.route("/search", dynamic(respond))
    auth = ClientCredentials(token_url=server.route("/api/v1/access_token", dynamic(endpoint)))
    return RedditOAuthSearch("acme", base_url=server.base_url, auth=auth)


def test_oauth_search_becomes_mentions(fault_server: FaultServer, client: HttpClient, credentials: None) -> None:
    endpoint = TokenEndpoint()
    search = oauth(fault_server, endpoint)
    result = search.fetch(client, Cursor(watermark=datetime(2026, 11, 24, tzinfo=UTC)), now=NOW)
    first, second = result.mentions
    assert first == Mention(
        source="reddit", native_id="t3_1h2x3yz",
        url="https://www.reddit.com/r/devops/comments/1h2x3yz/acme_cli_30_crashes_on_sync/",
        title="Acme CLI 3.0 crashes on sync", text="Since 3.0 the Acme CLI crashes on every `sync`. Anyone else?",
        published_at=datetime(2026, 11, 24, 22, 10, 5, tzinfo=UTC), fetched_at=NOW, author="sre_kim", query="acme",
        likes=57, score=57, replies=23,
    )
    assert (second.text, second.score, second.raw["subreddit_subscribers"]) == (
        "Acme Cloud suffers third outage this month", 1432, 16000000)
    pages = fault_server.hits("/search")
    assert {k: v[0] for k, v in pages[0].query.items()} == {"q": "acme", "sort": "new", "limit": "100",
                                                            "raw_json": "1"}
    assert pages[0].headers["authorization"] == "bearer tok-1" and pages[1].param("after") == "t3_1h2w0ab"


def test_oauth_token_is_client_credentials_and_reused(fault_server: FaultServer, client: HttpClient,
                                                      credentials: None) -> None:
    endpoint = TokenEndpoint()
    search = oauth(fault_server, endpoint)
    search.fetch(client, now=NOW)
    search.fetch(client, now=NOW)
    (request,) = endpoint.requests
    assert request.method == "POST" and request.body == b"grant_type=client_credentials"
    assert request.headers["authorization"].startswith("Basic ") and "listening/" in request.headers["user-agent"]


def test_oauth_paging_stops_at_the_watermark(fault_server: FaultServer, client: HttpClient,
                                             credentials: None) -> None:
    result = oauth(fault_server, TokenEndpoint()).fetch(
        client, Cursor(watermark=datetime(2026, 11, 24, 20, tzinfo=UTC)), now=NOW)
    assert [m.native_id for m in result.mentions] == ["t3_1h2x3yz"] and len(fault_server.hits("/search")) == 1


def test_oauth_without_credentials_names_the_env_vars(monkeypatch: pytest.MonkeyPatch, client: HttpClient) -> None:
    monkeypatch.delenv("LISTENING_REDDIT_CLIENT_ID", raising=False)
    with pytest.raises(ConfigError, match="LISTENING_REDDIT_CLIENT_ID and LISTENING_REDDIT_CLIENT_SECRET"):
        RedditOAuthSearch("acme").fetch(client, now=NOW)
    assert not ClientCredentials().configured


def test_refused_token_keeps_the_secret_out(fault_server: FaultServer, client: HttpClient, credentials: None,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(FetchError, match="HTTP 401") as failed:
        oauth(fault_server, TokenEndpoint(status=401)).fetch(client, now=NOW)
    assert SECRET not in f"{failed.value} {failed.value.url} {caplog.text} {failed.value.__cause__!r}"


def test_not_a_listing_is_a_parse_error(fault_server: FaultServer, client: HttpClient, credentials: None) -> None:
    search = oauth(fault_server, TokenEndpoint())
    fault_server.route("/search", ok(b'{"message": "Forbidden", "error": 403}', "application/json"))
    with pytest.raises(ParseError, match="not a Reddit listing"):
        search.fetch(client, now=NOW)
