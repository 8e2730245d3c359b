"""The replay server speaks each source's real wire format, moves time, and validates."""

from __future__ import annotations

import contextlib
import json
import socket
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import urlencode

import feedparser
import pytest
import yaml

from listening.pipeline import REPLAY_PORT, open_config
from listening.replay import DEMO_CONFIG, ReplayServer
from listening.sources.plan import plan_tasks
from listening.replay.payloads import HN_FIELDS

NOW = datetime(2026, 6, 10, 8, 30, 17, tzinfo=timezone.utc)
FLOOR = NOW.replace(second=0)
CH = json.loads((DEMO_CONFIG.parent / "data" / "labels.json").read_text())["channels"]
# The recording is moved by whole weeks and follows a daily rhythm (quiet nights), so the newest
# served item may be hours old, but never from the future.
RECENT = timedelta(hours=24)
GNEWS = {"en": ("en-US", "US", "US:en"), "ko": ("ko", "KR", "KR:ko"), "ja": ("ja", "JP", "JP:ja")}


@pytest.fixture(scope="module")
def srv():
    with ReplayServer(clock=lambda: NOW) as s:
        yield s


def get(srv: ReplayServer, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(srv.url + path, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def gnews_path(q: str, lang: str) -> str:
    hl, gl, ceid = GNEWS[lang]
    return "/rss/search?" + urlencode({"q": q, "hl": hl, "gl": gl, "ceid": ceid})


def hn(srv: ReplayServer, **params: object) -> dict:
    status, _, body = get(srv, "/api/v1/search_by_date?" + urlencode(params))
    assert status == 200, body
    return json.loads(body)


def stamp(entry) -> datetime:
    t = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime(*t[:6], tzinfo=timezone.utc)


@pytest.mark.parametrize("q,lang", [("Orbitly when:1d", "en"), ("오르비틀리", "ko"), ("オービトリー", "ja"),
                                    ("Vantro", "ja"), ("Kestrel Home", "en"), ("케스트럴", "ko")])
def test_google_news_is_rss2_in_google_shape(srv, q, lang):
    status, headers, body = get(srv, gnews_path(q, lang))
    feed = feedparser.parse(body)
    assert status == 200 and not feed.bozo and feed.version == "rss20"
    assert feed.feed.title == f'"{q}" - Google News'
    assert 50 <= len(feed.entries) <= 100
    e = feed.entries[0]
    assert e.link.startswith("https://news.google.com/rss/articles/CBMi") and e.id in e.link
    assert " - " in e.title and e.title.endswith(e.source.title) and e.source.href.startswith("https://")
    assert "&lt;" not in e.summary and "<a href=" in e.summary
    stamps = [stamp(x) for x in feed.entries]
    assert stamps == sorted(stamps, reverse=True)
    assert FLOOR - RECENT <= stamps[0] <= FLOOR
    assert headers["Last-Modified"] == format_datetime(stamps[0], usegmt=True)


def test_google_news_language_follows_hl_and_unknown_query_is_empty(srv):
    ja = feedparser.parse(get(srv, gnews_path("Orbitly", "ja"))[2])
    assert sum("オービトリー" in e.title for e in ja.entries) > 80
    empty = feedparser.parse(get(srv, gnews_path("Nonexistent Brand", "en"))[2])
    assert not empty.bozo and empty.entries == [] and empty.feed.title == '"Nonexistent Brand" - Google News'


def test_google_news_honours_after_and_before(srv):
    day = (FLOOR - timedelta(days=12)).date()
    q = f"Vantro after:{day} before:{day + timedelta(days=1)}"
    feed = feedparser.parse(get(srv, gnews_path(q, "en"))[2])
    assert feed.entries and all(stamp(e).date() == day for e in feed.entries)


FEEDS = ["/feeds/orbitly-blog.xml", "/feeds/vantro-press.xml", "/feeds/kestrel-blog.xml",
         "/vantro/vantro-hub/releases.atom", *(f"/feeds/videos.xml?channel_id={c}" for c in CH.values())]


@pytest.mark.parametrize("path", FEEDS)
def test_feeds_parse_and_hold_nothing_from_the_future(srv, path):
    status, headers, body = get(srv, path)
    feed = feedparser.parse(body)
    assert status == 200 and not feed.bozo and feed.entries, path
    assert all(stamp(e) <= FLOOR for e in feed.entries)
    assert all(stamp(e) > FLOOR - timedelta(days=30) for e in feed.entries)
    assert headers["ETag"].startswith('"') and headers["Last-Modified"].endswith("GMT")


def test_rdf_press_feed_lists_exactly_the_served_items(srv):
    feed = feedparser.parse(get(srv, "/feeds/vantro-press.xml")[2])
    assert feed.version == "rss10"
    body = get(srv, "/feeds/vantro-press.xml")[2].decode()
    assert body.count("<rdf:li ") == len(feed.entries)
    assert any("Vantro Hub 2" in e.title for e in feed.entries)


def test_youtube_feed_has_ids_and_statistics(srv):
    status, _, body = get(srv, f"/feeds/videos.xml?channel_id={CH['orbitly']}")
    feed = feedparser.parse(body)
    assert len(feed.entries) == 15
    e = feed.entries[0]
    assert len(e.yt_videoid) == 11 and e.yt_channelid == CH["orbitly"]
    assert int(e.media_statistics["views"]) >= 0 and int(e.media_starrating["count"]) >= 0
    assert e.summary
    assert get(srv, "/feeds/videos.xml?channel_id=UCnope")[0] == 404


def test_youtube_views_grow_with_age():
    clock = {"now": NOW}
    with ReplayServer(clock=lambda: clock["now"]) as s:
        first = feedparser.parse(get(s, f"/feeds/videos.xml?channel_id={CH['vantro']}")[2]).entries[0]
        clock["now"] += timedelta(hours=6)
        later = {e.yt_videoid: e for e in feedparser.parse(get(s, f"/feeds/videos.xml?channel_id={CH['vantro']}")[2]).entries}
    assert int(later[first.yt_videoid].media_statistics["views"]) > int(first.media_statistics["views"])


def test_hn_hits_have_exactly_the_algolia_fields(srv):
    doc = hn(srv, query="Orbitly", tags="(story,comment)", hitsPerPage=100)
    assert {"hits", "nbHits", "page", "nbPages", "hitsPerPage"} <= set(doc)
    assert all(tuple(h) == HN_FIELDS for h in doc["hits"])
    h = doc["hits"][0]
    assert h["created_at"] == datetime.fromtimestamp(h["created_at_i"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert FLOOR - RECENT <= datetime.fromtimestamp(h["created_at_i"], timezone.utc) <= FLOOR
    stories = [x for x in doc["hits"] if "story" in x["_tags"]]
    comments = [x for x in doc["hits"] if "comment" in x["_tags"]]
    assert comments and all(c["comment_text"] and c["story_id"] and c["parent_id"] for c in comments)
    assert all(s["points"] is not None and s["comment_text"] is None for s in stories)


def test_hn_paging_walks_every_hit_once_newest_first(srv):
    first = hn(srv, query="kestrel", hitsPerPage=100)
    seen = []
    for page in range(first["nbPages"]):
        seen += hn(srv, query="kestrel", hitsPerPage=100, page=page)["hits"]
    assert len(seen) == first["nbHits"] == len({h["objectID"] for h in seen}) < 1000
    assert [h["created_at_i"] for h in seen] == sorted((h["created_at_i"] for h in seen), reverse=True)
    assert all("kestrel" in f"{h['title']} {h['story_text']} {h['comment_text']}".lower() for h in seen)
    assert hn(srv, query="kestrel", hitsPerPage=100, page=first["nbPages"])["hits"] == []


def test_hn_caps_reachable_hits_at_1000(srv):
    doc = hn(srv, query="", hitsPerPage=100)
    assert doc["nbHits"] > 1000 and doc["nbPages"] == 10
    assert hn(srv, query="", hitsPerPage=300, page=3)["hits"][-1:] and len(hn(srv, hitsPerPage=300, page=3)["hits"]) == 100


def test_hn_numeric_filters_and_tags(srv):
    lo = int((FLOOR - timedelta(days=3)).timestamp())
    hi = int((FLOOR - timedelta(days=1)).timestamp())
    doc = hn(srv, query="Vantro", numericFilters=f"created_at_i>{lo},created_at_i<{hi}", hitsPerPage=1000)
    assert doc["hits"] and all(lo < h["created_at_i"] < hi for h in doc["hits"])
    stories = hn(srv, query="Vantro", tags="story", hitsPerPage=1000)["hits"]
    assert stories and all(h["_tags"][0] == "story" for h in stories)
    both = hn(srv, query="Vantro", tags="(story,comment)", hitsPerPage=1)["nbHits"]
    assert both == hn(srv, query="Vantro", hitsPerPage=1)["nbHits"] > len(stories)
    assert get(srv, "/api/v1/search_by_date?query=x&numericFilters=points>5")[0] == 400


@pytest.mark.parametrize("path", [gnews_path("Orbitly", "ko"), "/feeds/orbitly-blog.xml",
                                  "/api/v1/search_by_date?query=Orbitly&tags=(story,comment)"])
def test_conditional_get_answers_304(srv, path):
    status, headers, body = get(srv, path)
    assert status == 200 and body
    assert get(srv, path, **{"If-None-Match": headers["ETag"]})[:3:2] == (304, b"")
    assert get(srv, path, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(srv, path, **{"If-None-Match": '"stale"'})[0] == 200
    old = format_datetime(NOW - timedelta(days=40), usegmt=True)
    assert get(srv, path, **{"If-Modified-Since": old})[0] == 200


def last_complete_week(now: datetime) -> tuple[datetime, datetime]:
    """[Monday, next Monday) 00:00 UTC of the ISO week before the one holding ``now``."""
    monday = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=now.weekday())
    return monday - timedelta(days=7), monday


@pytest.mark.parametrize("now", [
    *(datetime(2026, 6, 8, 0, 0, tzinfo=timezone.utc) + timedelta(days=d, hours=7 * d) for d in range(7)),
    datetime(2026, 6, 14, 23, 59, tzinfo=timezone.utc), datetime(2027, 1, 4, 0, 1, tzinfo=timezone.utc),
], ids=lambda now: now.strftime("%a-%H%M"))
def test_launch_and_surge_fall_in_the_last_complete_week_whatever_the_weekday(now):
    with ReplayServer(clock=lambda: now) as s:
        events = s.events()
        newest = datetime.fromtimestamp(hn(s, query="Orbitly", hitsPerPage=1)["hits"][0]["created_at_i"], timezone.utc)
    start, end = last_complete_week(now)
    assert {e["kind"] for e in events} == {"crisis", "launch"}
    assert all(start <= e["start"] < e["end"] <= end for e in events), events
    assert now - RECENT <= newest <= now, "the replay still runs up to now"


def test_labelled_surge_and_launch_are_last_week_and_the_surge_five_times_normal(srv):
    ev = {e["kind"]: e for e in srv.events()}
    surge, launch = ev["crisis"], ev["launch"]
    assert surge["brand"] == "orbitly" and launch["brand"] == "vantro"
    start, end = last_complete_week(FLOOR)
    assert start <= launch["start"] < launch["end"] <= surge["start"] < surge["end"] <= end
    assert timedelta(hours=3) <= surge["end"] - surge["start"] <= timedelta(hours=5)

    news = [stamp(e) for lang in GNEWS for e in feedparser.parse(get(srv, gnews_path("Orbitly", lang))[2]).entries]

    def count(start: datetime, end: datetime) -> int:
        f = f"created_at_i>={int(start.timestamp())},created_at_i<{int(end.timestamp())}"
        return hn(srv, query="Orbitly", numericFilters=f, hitsPerPage=0)["nbHits"] + sum(start <= t < end for t in news)

    normal = [count(surge["start"] - timedelta(days=d), surge["end"] - timedelta(days=d)) for d in (1, 2, 3)]
    assert count(surge["start"], surge["end"]) >= 5 * max(1, sum(normal) / len(normal))


def test_new_items_appear_as_the_clock_moves_on():
    clock = {"now": NOW}
    with ReplayServer(clock=lambda: clock["now"]) as s:
        before = hn(s, query="Orbitly", hitsPerPage=0)["nbHits"]
        etag = get(s, gnews_path("Orbitly", "en"))[1]["ETag"]
        clock["now"] = NOW + timedelta(hours=30)
        after = hn(s, query="Orbitly", hitsPerPage=5)
        assert after["nbHits"] > before
        newest = datetime.fromtimestamp(after["hits"][0]["created_at_i"], timezone.utc)
        assert NOW < newest <= clock["now"]
        assert get(s, gnews_path("Orbitly", "en"), **{"If-None-Match": etag})[0] == 200
        clock["now"] = NOW + timedelta(days=9)
        newest = datetime.fromtimestamp(hn(s, query="Vantro", hitsPerPage=1)["hits"][0]["created_at_i"], timezone.utc)
        assert clock["now"] - RECENT <= newest <= clock["now"]


def test_demo_config_points_every_source_at_the_replay(srv):
    cfg = yaml.safe_load(DEMO_CONFIG.read_text())
    assert set(cfg) == {"project", "languages", "endpoints", "brands", "alerting", "inbox"}
    assert (cfg["inbox"]["thread_days"], cfg["inbox"]["slack"]) == (14, False)
    assert cfg["languages"] == ["en", "ko", "ja"]
    assert set(cfg["endpoints"].values()) == {"${REPLAY_URL}"}
    assert [b["key"] for b in cfg["brands"]] == ["orbitly", "vantro", "kestrel"]
    assert [b["own"] for b in cfg["brands"]] == [True, False, False]
    assert cfg["alerting"]["bucket_minutes"] == 5
    for b in cfg["brands"]:
        assert {"key", "name", "own", "aliases", "query", "sources"} <= set(b)
        assert b["sources"]["youtube"][0]["channel_id"] == CH[b["key"]]
        for f in b["sources"]["feeds"]:
            path = f["url"].replace("${REPLAY_URL}", "")
            assert get(srv, path)[0] == 200, path
        for g in b["sources"]["google_news"]:
            for lang in g["locales"]:
                assert b"<item>" in get(srv, gnews_path(g["query"], lang))[2]


def test_the_demos_task_keys_stay_the_same_when_the_replay_port_is_taken() -> None:
    """Cursors, task health and checks are keyed by task: a key holding the replay's port would orphan them."""
    with open_config(None) as config:
        usual = sorted(t.key for t in plan_tasks(config))
    with contextlib.ExitStack() as stack:
        holder = stack.enter_context(socket.socket())
        with contextlib.suppress(OSError):  # another process may hold it already: the same situation
            holder.bind(("127.0.0.1", REPLAY_PORT))
            holder.listen()
        with open_config(None) as config:
            assert f":{REPLAY_PORT}" not in str(config.brands[0].sources.feeds[0].url)
            moved = sorted(t.key for t in plan_tasks(config))
    assert moved == usual
    assert "rss:${REPLAY_URL}/feeds/orbitly-blog.xml" in usual
