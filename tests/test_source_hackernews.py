"""Hacker News via Algolia: recorded pages -> exact mentions, paging across pages and time slices."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone

import pytest

from listening.errors import ParseError
from listening.http import HttpClient
from listening.mention import Mention
from listening.sources import Cursor, HackerNewsSearch, Skipped
from listening.sources.hackernews import TimeSlicePaginator
from tests.fault_server import FIXTURES, FaultServer, Recorded, Reply, dynamic, fault_server, ok  # noqa: F401

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
PATH = "/api/v1/search_by_date"


def recorded_pages(request: Recorded) -> Reply:
    """The two recorded pages of query "acme", chosen by the ``page`` parameter."""
    page = int(request.param("page") or 0)
    body = (FIXTURES / f"hn_search_acme_page{page}.json").read_bytes()
    return Reply(200, body, {"Content-Type": "application/json; charset=utf-8"})


class FakeAlgolia:
    """Honours numericFilters, hitsPerPage and page like Algolia, and caps reachable hits like it (at ``cap``)."""

    def __init__(self, stamps: list[int], cap: int) -> None:
        self.hits = [
            {"objectID": str(1000 + i), "created_at_i": t, "title": f"Acme story {i}", "author": "a",
             "points": i, "num_comments": 0, "_tags": ["story"], "url": f"https://example.test/{i}"}
            for i, t in enumerate(stamps)
        ]
        self.cap = cap

    def __call__(self, request: Recorded) -> Reply:
        hits = sorted(self.hits, key=lambda h: -h["created_at_i"])
        for cond in (request.param("numericFilters") or "").split(","):
            field, op, value = re.fullmatch(r"(\w+)(>|<=|<|>=)(\d+)", cond).groups()
            test = {">": int.__gt__, "<": int.__lt__, "<=": int.__le__, ">=": int.__ge__}[op]
            hits = [h for h in hits if test(h[field], int(value))]
        per_page, page = int(request.param("hitsPerPage")), int(request.param("page"))
        reachable = hits[: self.cap]
        body = {"hits": reachable[page * per_page:(page + 1) * per_page], "nbHits": len(hits), "page": page,
                "nbPages": math.ceil(len(reachable) / per_page), "hitsPerPage": per_page}
        return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def search(server: FaultServer, **kw) -> HackerNewsSearch:
    return HackerNewsSearch("acme", base_url=server.base_url, **kw)


def test_recorded_pages_become_mentions(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(PATH, dynamic(recorded_pages))
    cursor = Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC))
    result = search(fault_server, hits_per_page=3).fetch(client, cursor, now=NOW)
    story, comment, ask, other_comment = result.mentions
    assert story == Mention(
        source="hackernews", native_id="41000001", url="https://blog.acme.example/2026/11/acme-cloud-3/",
        title="Acme Cloud 3.0 released", text="Acme Cloud 3.0 released",
        published_at=datetime(2026, 11, 24, 16, 20, tzinfo=UTC), fetched_at=NOW, author="jdoe", query="acme",
        likes=128, score=128, replies=42,
    )
    assert comment == Mention(
        source="hackernews", native_id="41000010", url="https://news.ycombinator.com/item?id=41000010",
        title="Acme Cloud 3.0 released",
        text="We migrated to Acme last month & deploys got 3x faster. The CLI still crashes on sync though: "
             "https://github.com/acme/cli/issues/9",
        published_at=datetime(2026, 11, 24, 16, 5, tzinfo=UTC), fetched_at=NOW, author="sre_kim", query="acme",
    )
    assert (ask.url, ask.text, ask.score, ask.replies) == (
        "https://news.ycombinator.com/item?id=40990000", "Has anyone moved off Acme? Pricing doubled for us.", 3, 0,
    )
    assert other_comment.published_at == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # from created_at alone
    assert "_highlightResult" not in story.raw and story.raw["objectID"] == "41000001"
    assert result.skipped == [Skipped("no_id", "hit without objectID (title 'Acme Cloud 3.0 released')")]
    assert (result.requests, result.cursor.watermark) == (2, datetime(2026, 11, 24, 16, 20, tzinfo=UTC))


def test_requests_carry_the_documented_parameters(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(PATH, dynamic(recorded_pages))
    watermark = datetime(2026, 11, 20, tzinfo=UTC)
    search(fault_server, hits_per_page=3).fetch(client, Cursor(watermark=watermark), now=NOW)
    first, second = fault_server.hits(PATH)
    assert {k: v[0] for k, v in first.query.items()} == {
        "query": "acme", "tags": "(story,comment)", "hitsPerPage": "3", "page": "0",
        "numericFilters": f"created_at_i>{int(watermark.timestamp()) - 1}",
    }
    assert second.param("page") == "1"


def test_time_slices_reach_past_the_hit_cap(fault_server: FaultServer, client: HttpClient) -> None:
    start = int(NOW.timestamp())
    stamps = [start - 60 * i for i in range(25)] + [start - 60 * 9]  # two hits share a slice boundary second
    fault_server.route(PATH, dynamic(FakeAlgolia(stamps, cap=10)))
    result = search(fault_server, hits_per_page=4).fetch(client, now=NOW)
    assert sorted(int(m.native_id) for m in result.mentions) == list(range(1000, 1026))
    filters = [r.param("numericFilters") for r in fault_server.hits(PATH)]
    assert len({f for f in filters}) >= 3 and "created_at_i<=" in filters[-1]


def test_first_run_stops_at_the_lookback_and_later_runs_at_the_watermark(
    fault_server: FaultServer, client: HttpClient
) -> None:
    start = int(NOW.timestamp())
    fault_server.route(PATH, dynamic(FakeAlgolia([start - 3600 * h for h in range(48)], cap=1000)))
    first = search(fault_server, lookback=timedelta(hours=5)).fetch(client, now=NOW)
    assert len(first.mentions) == 6 and first.cursor.watermark == NOW
    again = search(fault_server).fetch(client, first.cursor, now=NOW)
    assert [m.native_id for m in again.mentions] == ["1000"]  # only the boundary second, re-read on purpose


def test_request_limit_is_recorded(fault_server: FaultServer, client: HttpClient) -> None:
    start = int(NOW.timestamp())
    fault_server.route(PATH, dynamic(FakeAlgolia([start - i for i in range(20)], cap=1000)))
    result = search(fault_server, hits_per_page=2, max_requests=3).fetch(client, now=NOW)
    assert len(result.mentions) == 6 and [s.reason for s in result.skipped] == ["request_limit"]


def test_min_points_filters_stories_locally(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(PATH, dynamic(recorded_pages))
    result = search(fault_server, hits_per_page=3, min_points=10).fetch(
        client, Cursor(watermark=datetime(2026, 11, 20, tzinfo=UTC)), now=NOW
    )
    assert [m.native_id for m in result.mentions] == ["41000001", "41000010", "40980001"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b'{"hits": [{"objectID": "1"', "malformed JSON", id="truncated-json"),
        pytest.param(b"<html>rate limited</html>", "malformed JSON", id="html"),
        pytest.param(b'{"message": "Invalid numericFilters", "status": 400}', "no 'hits' list", id="not-a-search"),
        pytest.param(b'{"hits": [], "nbPages": "2", "nbHits": 0}', "integer 'nbPages'", id="bad-nbpages"),
    ],
)
def test_malformed_payload_is_a_parse_error(
    fault_server: FaultServer, client: HttpClient, body: bytes, message: str
) -> None:
    fault_server.route(PATH, ok(body, "application/json"))
    with pytest.raises(ParseError, match=message):
        search(fault_server).fetch(client, now=NOW)


@pytest.mark.parametrize(
    ("hit", "reason"),
    [
        pytest.param({"created_at_i": 1, "title": "x"}, "no_id", id="no-object-id"),
        pytest.param({"objectID": "1", "title": "x"}, "no_time", id="no-created-at"),
        pytest.param({"objectID": "1", "created_at": "yesterday", "title": "x"}, "bad_time", id="bad-created-at"),
        pytest.param({"objectID": "1", "created_at_i": 1, "comment_text": "", "_tags": ["comment"]}, "empty",
                     id="empty-comment"),
        pytest.param("not an object", "not_object", id="not-an-object"),
    ],
)
def test_bad_hit_is_skipped_with_a_reason(fault_server: FaultServer, client: HttpClient, hit, reason: str) -> None:
    good = {"objectID": "2", "created_at_i": int(NOW.timestamp()), "title": "Acme", "_tags": ["story"]}
    body = json.dumps({"hits": [hit, good], "nbHits": 2, "nbPages": 1, "page": 0, "hitsPerPage": 100}).encode()
    fault_server.route(PATH, ok(body, "application/json"))
    result = search(fault_server).fetch(client, now=NOW)
    assert [m.native_id for m in result.mentions] == ["2"] and [s.reason for s in result.skipped] == [reason]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param({"hits": [{"created_at_i": 50}], "page": 0, "nbPages": 3, "nbHits": 9, "hitsPerPage": 3},
                     (True, 1, None), id="next-page"),
        pytest.param({"hits": [{"created_at_i": 50}], "page": 2, "nbPages": 3, "nbHits": 9, "hitsPerPage": 3},
                     (False, 2, None), id="last-page"),
        pytest.param({"hits": [{"created_at_i": 50}], "page": 2, "nbPages": 3, "nbHits": 40, "hitsPerPage": 3},
                     (True, 0, 50), id="capped-opens-a-slice"),
        pytest.param({"hits": [], "page": 0, "nbPages": 0, "nbHits": 0, "hitsPerPage": 3},
                     (False, 0, None), id="empty"),
    ],
)
def test_paginator_decides_from_the_payload_alone(payload: dict, expected: tuple) -> None:
    pager = TimeSlicePaginator(since=10)
    pager.page = payload["page"]
    pager.update_state(payload)
    assert (pager.has_next_page, pager.page, pager.until) == expected


def test_paginator_stops_when_one_second_holds_more_than_the_cap() -> None:
    pager = TimeSlicePaginator(since=10, until=50)
    pager.update_state({"hits": [{"created_at_i": 50}], "page": 0, "nbPages": 1, "nbHits": 5, "hitsPerPage": 1})
    assert not pager.has_next_page
