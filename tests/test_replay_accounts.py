"""The replay's Mastodon and Bluesky account APIs, and the account connectors' re-polls against them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from listening.http import HttpClient
from listening.replay import DATA_DIR, ReplayServer
from listening.replay.accounts import ACCOUNTS
from listening.sources.bluesky import BlueskyAuthor, refresh_posts
from listening.sources.mastodon import MastodonAccount, parse_link_header, snowflake_at

NOW = datetime(2026, 6, 10, 8, 30, tzinfo=timezone.utc)
LABELS = json.loads((DATA_DIR / "labels.json").read_text())
STATUS_FIELDS = {"id", "created_at", "in_reply_to_id", "in_reply_to_account_id", "sensitive", "spoiler_text",
                 "visibility", "language", "uri", "url", "replies_count", "reblogs_count", "favourites_count",
                 "quotes_count", "edited_at", "content", "reblog", "account", "media_attachments", "mentions", "tags",
                 "emojis", "card", "poll"}


@pytest.fixture(scope="module")
def srv():
    with ReplayServer(clock=lambda: NOW) as s:
        yield s


def get(srv: ReplayServer, path: str, **params: object) -> tuple[int, dict[str, str], object]:
    url = srv.url + path + ("?" + urlencode(params, doseq=True) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def test_every_brand_has_one_account_per_platform():
    assert sorted((a.platform, a.brand) for a in ACCOUNTS) == sorted(
        (p, b) for p in ("mastodon", "bluesky") for b in ("orbitly", "vantro", "kestrel"))


def test_reach_changes_are_labelled():
    changes = {c["kind"]: c for c in LABELS["reach_changes"]}
    assert changes["platform"]["platform"] == "mastodon" and len(changes["platform"]["accounts"]) == 3
    assert changes["account"]["accounts"] == ["orbitly.bsky.social"] and changes["account"]["brands"] == ["orbitly"]
    assert all(c["direction"] == "down" and c["magnitude"] <= -0.3 for c in changes.values())


def test_mastodon_lookup_and_statuses_have_the_api_shape(srv):
    status, _, account = get(srv, "/api/v1/accounts/lookup", acct="orbitly")
    assert status == 200 and account["acct"] == "orbitly" and account["followers_count"] > 10_000
    status, headers, statuses = get(srv, f"/api/v1/accounts/{account['id']}/statuses", limit=40,
                                    exclude_replies="true", exclude_reblogs="true")
    assert status == 200 and len(statuses) == 40
    assert all(set(s) == STATUS_FIELDS for s in statuses)
    created = [datetime.fromisoformat(s["created_at"].replace("Z", "+00:00")) for s in statuses]
    assert created == sorted(created, reverse=True) and created[0] <= NOW
    assert [int(s["id"]) for s in statuses] == sorted((int(s["id"]) for s in statuses), reverse=True)
    assert any(s["language"] is None for s in statuses), "some statuses have no language, like real ones"
    assert all(s["account"]["id"] == account["id"] and s["uri"].startswith("https://mastodon.social/users/orbitly/")
               for s in statuses)
    links = parse_link_header(headers["Link"])
    assert f"max_id={statuses[-1]['id']}" in links["next"] and f"min_id={statuses[0]['id']}" in links["prev"]


def test_mastodon_since_id_and_max_id_page_by_time(srv):
    _, _, account = get(srv, "/api/v1/accounts/lookup", acct="vantro@mastodon.social")
    path = f"/api/v1/accounts/{account['id']}/statuses"
    since = NOW - timedelta(days=2)
    _, _, recent = get(srv, path, limit=40, since_id=snowflake_at(since))
    assert recent and all(datetime.fromisoformat(s["created_at"].replace("Z", "+00:00")) >= since for s in recent)
    _, _, older = get(srv, path, limit=5, max_id=recent[-1]["id"])
    assert len(older) == 5 and int(older[0]["id"]) < int(recent[-1]["id"])
    assert get(srv, "/api/v1/accounts/lookup", acct="nobody")[0] == 404


def test_counts_grow_with_age_and_followers_with_the_clock():
    clock = {"now": NOW}
    with ReplayServer(clock=lambda: clock["now"]) as s:
        _, _, account = get(s, "/api/v1/accounts/lookup", acct="kestrelhome")
        _, _, (young, *_) = get(s, f"/api/v1/accounts/{account['id']}/statuses", limit=1)
        _, _, profile = get(s, "/xrpc/app.bsky.actor.getProfile", actor="kestrelhome.bsky.social")
        clock["now"] = NOW + timedelta(days=2)
        _, _, later = get(s, f"/api/v1/accounts/{account['id']}/statuses", limit=40)
        _, _, profile_later = get(s, "/xrpc/app.bsky.actor.getProfile", actor="kestrelhome.bsky.social")
    same = next(x for x in later if x["uri"] == young["uri"])
    total = [young["favourites_count"] + young["reblogs_count"] + young["replies_count"],
             same["favourites_count"] + same["reblogs_count"] + same["replies_count"]]
    assert total[1] > total[0] and same["id"] == young["id"]
    assert profile_later["followersCount"] > profile["followersCount"]


def test_bluesky_author_feed_pins_first_and_pages_by_cursor(srv):
    status, _, profile = get(srv, "/xrpc/app.bsky.actor.getProfile", actor="orbitly.bsky.social")
    assert status == 200 and profile["did"].startswith("did:plc:") and profile["followersCount"] > 10_000
    _, _, page1 = get(srv, "/xrpc/app.bsky.feed.getAuthorFeed", actor="orbitly.bsky.social",
                      filter="posts_no_replies", limit=30)
    assert page1["feed"][0]["reason"]["$type"] == "app.bsky.feed.defs#reasonPin"
    posts = [i["post"] for i in page1["feed"][1:]]
    assert len(posts) == 30 and all(p["author"]["did"] == profile["did"] for p in posts)
    assert all(p["uri"].startswith(f"at://{profile['did']}/app.bsky.feed.post/") for p in posts)
    _, _, page2 = get(srv, "/xrpc/app.bsky.feed.getAuthorFeed", actor=profile["did"], limit=30, cursor=page1["cursor"])
    assert "reason" not in page2["feed"][0] and page2["feed"][0]["post"]["indexedAt"] < posts[-1]["indexedAt"]
    _, _, got = get(srv, "/xrpc/app.bsky.feed.getPosts", uris=[posts[0]["uri"], posts[5]["uri"]])
    assert [p["uri"] for p in got["posts"]] == [posts[0]["uri"], posts[5]["uri"]]
    assert get(srv, "/xrpc/app.bsky.actor.getProfile", actor="ghost.bsky.social")[0] == 400


def test_some_bluesky_posts_have_a_client_set_created_at_far_from_indexed_at(srv):
    _, _, feed = get(srv, "/xrpc/app.bsky.feed.getAuthorFeed", actor="vantro.bsky.social", limit=100)
    gaps = [abs(datetime.fromisoformat(i["post"]["record"]["createdAt"].replace("Z", "+00:00"))
                - datetime.fromisoformat(i["post"]["indexedAt"].replace("Z", "+00:00"))) for i in feed["feed"]]
    assert min(gaps) < timedelta(seconds=5) and max(gaps) > timedelta(days=2)


def test_account_connectors_with_repoll_see_old_posts_again_without_moving_the_cursor_back(srv, client: HttpClient):
    week = timedelta(days=8)
    mastodon = MastodonAccount(srv.url, "orbitly", is_own=True, repoll=week)
    bluesky = BlueskyAuthor("orbitly.bsky.social", base_url=srv.url, is_own=True, repoll=week)
    for connector in (mastodon, bluesky):
        first = connector.fetch(client, None, now=NOW)
        again = connector.fetch(client, first.cursor, now=NOW)
        assert {m.native_id for m in again.mentions} == {m.native_id for m in first.mentions}
        assert min(m.published_at for m in again.mentions) >= NOW - week - timedelta(hours=1)
        assert again.cursor.watermark == first.cursor.watermark == max(m.published_at for m in first.mentions)
        plain = type(connector)(**{**_fields(connector), "repoll": timedelta(0)}).fetch(client, first.cursor, now=NOW)
        assert len(plain.mentions) <= 1, "without repoll only posts at or after the watermark come back"


def test_refresh_posts_reads_the_replay(srv, client: HttpClient):
    feed = BlueskyAuthor("kestrelhome.bsky.social", base_url=srv.url, lookback=timedelta(days=20)).fetch(
        client, None, now=NOW)
    uris = [m.native_id for m in feed.mentions]
    result = refresh_posts(client, uris + ["at://did:plc:gone/app.bsky.feed.post/3kxyz"], base_url=srv.url, now=NOW)
    assert len(uris) > 50 and result.requests == 3
    assert len(result.mentions) == len(uris) and [s.reason for s in result.skipped] == ["gone"]


def _fields(connector: object) -> dict[str, object]:
    return {name: getattr(connector, name) for name in connector.__dataclass_fields__}  # type: ignore[attr-defined]
