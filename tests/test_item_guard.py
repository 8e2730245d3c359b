"""One bad item never fails a task: every connector skips it with a reason and keeps the rest of the page.

Each connector is served its recorded payload from a real local server with hostile items added (the
shapes of issue 15: a date past year 9999, an epoch of 10^12, a time as the wrong type, a title that is a
list, an integer URL, a count too large to store), then a seeded fuzz run mutates the recorded items'
fields into wrong types and extreme values. Nothing may raise past the task, and the good items land.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from listening.config import load_config
from listening.errors import ListeningError
from listening.http import HttpClient
from listening.ingest import run_ingest
from listening.sources import (
    AppStoreReviews,
    BlueskyAuthor,
    ClientCredentials,
    Connector,
    FeedConnector,
    FetchResult,
    GdeltSearch,
    GoogleNewsSearch,
    HackerNewsSearch,
    HatenaSearch,
    HostPacer,
    MastodonHashtag,
    NaverSearch,
    RedditOAuthSearch,
    RedditSearch,
    YouTubeChannel,
)
from listening.store import Store, mentions
from tests.conftest import NOW
from tests.fault_server import FIXTURES, FaultServer, fault_server, fixture, ok  # noqa: F401

JSON = "application/json; charset=utf-8"
FAR = "9999-12-31T23:59:59-12:00"  # year 10000 in UTC


@dataclass
class Case:
    """A JSON connector, where its items sit in the recorded payload, and hostile items that must be skipped."""

    fixture: str
    path: str
    items: Callable[[Any], list[Any]]
    unique: Callable[[Any, int], Any]  # a copy of a good item with its own id
    bad: list[dict[str, Any]]
    connector: Callable[[FaultServer], Connector]
    prepare: Callable[[Any], None] = lambda payload: None  # one page only
    routes: dict[str, tuple[str, str]] = field(default_factory=dict)
    wrap: Callable[[Any], Any] = lambda item: item  # where the mutable fields of an item are
    template: int = 0  # a good item to copy


def _hn_unique(hit: Any, n: int) -> Any:
    return {**hit, "objectID": f"bad{n}"}


def _reddit_oauth(server: FaultServer) -> RedditOAuthSearch:
    """The OAuth search with its token endpoint on the same local server (the POST goes through the client)."""
    server.route("/api/v1/access_token", ok(b'{"access_token": "t", "expires_in": 3600}', "application/json"))
    return RedditOAuthSearch("acme", base_url=server.base_url, max_pages=1,
                             auth=ClientCredentials(token_url=server.url("/api/v1/access_token")))


def _single_page_hn(payload: Any) -> None:
    payload.update(nbPages=1, nbHits=len(payload["hits"]), page="zero")  # a non-integer page must not matter


CASES: dict[str, Case] = {
    "hackernews": Case(
        "hn_search_acme_page0.json", "/api/v1/search_by_date", lambda p: p["hits"], _hn_unique,
        [{"created_at_i": 10**12}, {"created_at_i": "2026-11-24T16:20:00Z", "created_at": None},
         {"created_at_i": -(10**12)}, {"title": ["Acme", "list"]}, {"url": 7}, {"points": 10**30}],
        lambda s: HackerNewsSearch("acme", base_url=s.base_url), prepare=_single_page_hn,
    ),
    "mastodon": Case(
        "mastodon_tag_acme_page1.json", "/api/v1/timelines/tag/acme", lambda p: p,
        lambda st, n: {**st, "id": f"9{n}", "uri": f"https://bad.test/statuses/{n}"},
        [{"created_at": FAR}, {"created_at": 10**12}, {"content": ["a", "b"]}, {"url": 7},
         {"favourites_count": 10**30}, {"language": ["en"]}],
        lambda s: MastodonHashtag(s.base_url, "acme", instance="m.test"),
    ),
    "bluesky": Case(
        "bluesky_author_feed.json", "/xrpc/app.bsky.feed.getAuthorFeed", lambda p: p["feed"],
        lambda it, n: {**it, "post": {**it["post"], "uri": f"at://did:plc:bad/app.bsky.feed.post/{n}"}},
        [{"indexedAt": FAR}, {"indexedAt": 10**12}, {"likeCount": 10**30}, {"author": {"handle": 7}}],
        lambda s: BlueskyAuthor("acme.com", base_url=s.base_url),
        prepare=lambda p: p.pop("cursor"),
        routes={"/xrpc/app.bsky.actor.getProfile": ("bluesky_profile.json", JSON)},
        wrap=lambda item: item["post"],
    ),
    "gdelt": Case(
        "gdelt_artlist_acme.json", "/api/v2/doc/doc", lambda p: p["articles"],
        lambda a, n: {**a, "url": f"https://bad.test/{n}"},
        [{"seendate": "99991231T235959Z"}, {"seendate": 10**12}, {"title": ["x"]}, {"domain": 7}, {"url": 7}],
        lambda s: GdeltSearch("acme", base_url=s.base_url, pacer=HostPacer(0)),
    ),
    "appstore": Case(
        "appstore_reviews_jp_page1.json", "/jp/rss/customerreviews/page=1/id=1234567890/sortby=mostrecent/json",
        lambda p: p["feed"]["entry"], lambda e, n: {**e, "id": {"label": f"bad{n}"}},
        [{"updated": {"label": FAR}}, {"updated": {"label": 10**12}}, {"im:voteSum": {"label": "9" * 30}},
         {"updated": []}],
        lambda s: AppStoreReviews("1234567890", "jp", base_url=s.base_url, max_pages=2), template=1,
        routes={"/jp/rss/customerreviews/page=2/id=1234567890/sortby=mostrecent/json":
                ("appstore_reviews_jp_page3_empty.json", JSON)},
    ),
    "naver": Case(
        "naver_news_acme.json", "/v1/search/news.json", lambda p: p["items"],
        lambda it, n: {**it, "originallink": f"https://bad.test/{n}", "link": f"https://bad.test/{n}"},
        [{"pubDate": "Fri, 31 Dec 9999 23:59:59 -1200"}, {"pubDate": 10**12}, {"title": ["x"]},
         {"originallink": 7, "link": 7}],
        lambda s: NaverSearch("acme", "news", base_url=s.base_url, max_pages=1),
    ),
    "reddit_oauth": Case(
        "reddit_oauth_search_acme.json", "/search", lambda p: p["data"]["children"],
        lambda c, n: {**c, "data": {**c["data"], "name": f"t3_bad{n}"}},
        [{"created_utc": 1e20}, {"created_utc": "2026-11-24"}, {"score": 10**30}, {"created_utc": float("nan")}],
        _reddit_oauth,
        wrap=lambda item: item["data"], prepare=lambda p: p["data"].update(after=None),
    ),
}


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LISTENING_NAVER_CLIENT_ID", "LISTENING_NAVER_CLIENT_SECRET",
                 "LISTENING_REDDIT_CLIENT_ID", "LISTENING_REDDIT_CLIENT_SECRET"):
        monkeypatch.setenv(name, "test-value")


def recorded(case: Case) -> Any:
    payload = json.loads((FIXTURES / case.fixture).read_bytes())
    case.prepare(payload)
    return payload


def serve(server: FaultServer, case: Case, payload: Any) -> None:
    server.route(case.path, ok(json.dumps(payload).encode(), JSON))
    for path, (name, kind) in case.routes.items():
        server.route(path, fixture(name, kind))


def fetch(server: FaultServer, client: HttpClient, case: Case, payload: Any) -> FetchResult:
    serve(server, case, payload)
    return case.connector(server).fetch(client, now=NOW)


def ids(result: FetchResult) -> set[str]:
    return {m.native_id for m in result.mentions}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_bad_item_is_skipped_with_its_reason_and_the_page_is_kept(
    name: str, fault_server: FaultServer, client: HttpClient
) -> None:
    case = CASES[name]
    good = fetch(fault_server, client, case, recorded(case))
    assert good.mentions and not [s for s in good.skipped if s.reason not in ("no_id", "empty")]
    payload = recorded(case)
    items = case.items(payload)
    template = items[case.template]
    for n, change in enumerate(case.bad):
        item = copy.deepcopy(case.unique(template, n))
        case.wrap(item).update(change)
        items.append(item)
    items.append(42)  # not an object at all
    result = fetch(fault_server, client, case, payload)
    assert ids(result) == ids(good), "every good item lands, no bad one does"
    new_skips = result.skipped[len(good.skipped):]
    assert len(new_skips) == len(case.bad) + 1, new_skips
    assert all(s.reason and s.detail for s in new_skips)


FEEDS: dict[str, tuple[str, str, Callable[[FaultServer], Connector], str]] = {
    # name: (fixture, path, connector, a hostile entry in the feed's own dialect)
    "rss": ("github_releases.atom", "/feed", lambda s: FeedConnector(s.url("/feed")),
            f"<entry><id>bad-1</id><title>Acme bad</title><updated>{FAR}</updated></entry>"),
    "youtube": ("youtube_channel.xml", "/feeds/videos.xml", lambda s: YouTubeChannel("UCacme", base_url=s.base_url),
                f"<entry><id>yt:video:bad</id><title>Acme bad</title><published>{FAR}</published></entry>"),
    "google_news": ("google_news_ko.xml", "/rss/search", lambda s: GoogleNewsSearch("acme", "ko", base_url=s.base_url),
                    "<item><title>Acme bad - X</title><link>https://bad.test/1</link><guid>bad-1</guid>"
                    f"<pubDate>{FAR}</pubDate></item>"),
    "reddit": ("reddit_search_acme.atom", "/search.rss", lambda s: RedditSearch("acme", base_url=s.base_url),
               f"<entry><id>t3_bad</id><title>Acme bad</title><updated>{FAR}</updated></entry>"),
    "hatena": ("hatena_search_acme.rdf", "/q/acme", lambda s: HatenaSearch("acme", base_url=s.base_url),
               f'<item rdf:about="https://bad.test/1"><title>Acme bad</title><link>https://bad.test/1</link>'
               f"<dc:date>{FAR}</dc:date></item>"),
}


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_a_feed_entry_dated_past_year_9999_is_skipped_and_the_feed_is_kept(
    name: str, fault_server: FaultServer, client: HttpClient
) -> None:
    name_, path, connector, entry = FEEDS[name]
    body = (FIXTURES / name_).read_text(encoding="utf-8")
    fault_server.route(path, ok(body.encode(), "application/xml; charset=utf-8"))
    good = connector(fault_server).fetch(client, now=NOW)
    closing = max(body.rfind(tag) for tag in ("</feed>", "</channel>", "</rdf:RDF>"))
    hostile = body[:closing] + entry + body[closing:]
    fault_server.route(path, ok(hostile.encode(), "application/xml; charset=utf-8"))
    result = connector(fault_server).fetch(client, now=NOW)
    assert good.mentions and ids(result) == ids(good)
    assert len(result.skipped) == len(good.skipped) + 1
    assert "out of range" in result.skipped[-1].detail


def _extremes() -> list[Any]:
    return [None, 0, -1, True, 10**12, -(10**12), 10**30, 1e308, -1e308, float("nan"), "", "x" * 5000, "\x00",
            FAR, "0000-00-00", "2026-11-24T16:20:00Z", "Fri, 31 Dec 9999 23:59:59 -1200", ["a", 1], [], {},
            {"label": None}, {"label": FAR}, {"x": [1, {"y": None}]}, "\ud800"]


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON item (containers included, so whole objects get replaced too)."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _leaves(value, (*path, index))
    return found


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@pytest.mark.parametrize("name", sorted(CASES))
def test_fuzzed_recorded_items_never_fail_the_task(name: str, fault_server: FaultServer, client: HttpClient) -> None:
    """Seeded and deterministic: 40 mutated pages per connector, one item changed in 1-3 fields each time."""
    case = CASES[name]
    rng = random.Random(f"issue-15:{name}")
    extremes = _extremes()
    for round_ in range(40):
        payload = recorded(case)
        items = case.items(payload)
        victim = rng.randrange(len(items))
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(_leaves(items[victim]))
            _set(items[victim], path, copy.deepcopy(rng.choice(extremes)))
        others = recorded(case)
        del case.items(others)[victim]
        expected = ids(fetch(fault_server, client, case, others))
        try:
            result = fetch(fault_server, client, case, payload)
        except ListeningError as exc:  # only a page that cannot be read at all may fail the task
            pytest.fail(f"round {round_}: one mutated item failed the whole page: {exc}")
        assert expected <= ids(result), f"round {round_}: good items lost"


def test_a_post_with_half_a_utf16_pair_is_stored_with_a_replacement_character(
    home: Path, tmp_path: Path, fault_server: FaultServer
) -> None:
    """JSON may escape a lone surrogate ("\\ud83d" without its pair); the post is kept, that character is not."""
    payload = json.loads((FIXTURES / "hn_search_acme_page0.json").read_bytes())
    _single_page_hn(payload)
    payload["hits"][0]["title"] += " \ud83d"  # json.dumps writes it as the escape a real payload carries
    payload["hits"][0]["author"] = "\udc00jdoe"
    fault_server.route("/api/v1/search_by_date", ok(json.dumps(payload).encode(), JSON))
    config_file = tmp_path / "c.yaml"
    config_file.write_text(f"""
endpoints: {{hackernews: "{fault_server.base_url}"}}
brands:
  - key: acme
    name: Acme
    sources:
      hackernews: [{{query: acme}}]
""")
    store = Store.open()
    with HttpClient.for_contact("t@example.com") as client:
        (task,) = run_ingest(load_config(config_file), store, client, now=lambda: NOW).tasks
    assert not task.error and task.new == store.count(mentions) > 0
    with store.engine.connect() as conn:
        titles = dict(conn.execute(sa.select(mentions.c.author, mentions.c.title)).all())
    assert titles["\ufffdjdoe"] == "Acme Cloud 3.0 released \ufffd"
