"""The replay's conversations: thread APIs in their real shapes, replies in ko/ja/en, brands answering at their speeds."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta

from listening.replay.server import ReplayServer
from tests.conftest import NOW


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_threads_are_served_in_the_apis_shapes_and_grow_with_the_clock() -> None:
    clock = {"now": NOW}
    with ReplayServer(clock=lambda: clock["now"]) as srv:
        status, feed = _get(f"{srv.url}/xrpc/app.bsky.feed.getAuthorFeed?actor=orbitly.bsky.social&limit=100")
        assert status == 200
        uris = [item["post"]["uri"] for item in feed["feed"]]
        threads = [_get(f"{srv.url}/xrpc/app.bsky.feed.getPostThread?uri={u}")[1]["thread"] for u in uris]
        replies = [r for t in threads for r in t["replies"]]
        assert all(t["$type"] == "app.bsky.feed.defs#threadViewPost" and t["post"]["uri"] in uris for t in threads)
        assert replies and all(r["post"]["record"]["reply"]["root"]["uri"] in uris for r in replies)
        langs = Counter(r["post"]["record"]["langs"][0] for r in replies)
        assert set(langs) == {"en", "ko", "ja"}, langs
        answers = [a for r in replies for a in r["replies"]]
        assert answers and all(a["post"]["author"]["handle"] == "orbitly.bsky.social" for a in answers)
        assert _get(f"{srv.url}/xrpc/app.bsky.feed.getPostThread?uri=at://nobody/app.bsky.feed.post/x")[0] == 400

        _, account = _get(f"{srv.url}/api/v1/accounts/lookup?acct=orbitly")
        _, statuses = _get(f"{srv.url}/api/v1/accounts/{account['id']}/statuses?limit=40")
        contexts = [_get(f"{srv.url}/api/v1/statuses/{s['id']}/context")[1] for s in statuses]
        posts = [d for c in contexts for d in c["descendants"]]
        ids = {s["id"] for s in statuses} | {d["id"] for d in posts}
        assert posts and all(d["in_reply_to_id"] in ids and d["content"].startswith("<p>") for d in posts)
        assert any(d["account"]["acct"] == "orbitly" for d in posts) and any("@" in d["account"]["acct"] for d in posts)
        assert _get(f"{srv.url}/api/v1/statuses/1/context")[0] == 404

        before = sum(len(c["descendants"]) for c in contexts)
        clock["now"] = NOW + timedelta(hours=12)
        later = sum(len(_get(f"{srv.url}/api/v1/statuses/{s['id']}/context")[1].get("descendants", [])) for s in statuses)
        assert later > before  # new replies and answers appear as the clock moves on


def test_hacker_news_items_carry_their_comment_tree() -> None:
    with ReplayServer(clock=lambda: NOW) as srv:
        _, found = _get(f"{srv.url}/api/v1/search_by_date?query=Orbitly&tags=story&hitsPerPage=50")
        story = max(found["hits"], key=lambda h: h.get("num_comments") or 0)
        status, item = _get(f"{srv.url}/api/v1/items/{story['objectID']}")
        assert status == 200 and item["id"] == int(story["objectID"]) and item["type"] == "story"
        assert item["created_at_i"] == story["created_at_i"] and isinstance(item["children"], list)
        assert all(c["parent_id"] == item["id"] for c in item["children"])
        assert _get(f"{srv.url}/api/v1/items/999999999")[0] == 404
