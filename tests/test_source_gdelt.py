"""GDELT DOC 2.0: recorded artlist/timeline answers, host pacing, 429 handling, text errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from listening.errors import ParseError
from listening.http import HttpClient, HttpPolicy, Politeness, Retry, Timeouts
from listening.mention import Mention
from listening.sources.base import Cursor
from listening.sources.gdelt import GdeltSearch, HostPacer
from tests.fault_server import FaultServer, fault_server, fixture, ok, retry_after  # noqa: F401

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
DOC = "/api/v2/doc/doc"
JSON = "application/json; charset=utf-8"


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def search(server: FaultServer, pacer: HostPacer | None = None, **kw) -> GdeltSearch:
    return GdeltSearch("acme sourcelang:korean", base_url=server.base_url, pacer=pacer or HostPacer(0), **kw)


def test_artlist_becomes_mentions(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(DOC, fixture("gdelt_artlist_acme.json", JSON))
    result = search(fault_server).fetch(client, now=NOW)
    first = result.mentions[0]
    assert first == Mention(
        source="gdelt", native_id="https://www.koreatech.example.kr/news/articleView.html?idxno=120345",
        url="https://www.koreatech.example.kr/news/articleView.html?idxno=120345",
        title="Acme Cloud 3.0 국내 출시 ... 배포 속도 3 배", text="Acme Cloud 3.0 국내 출시 ... 배포 속도 3 배",
        published_at=datetime(2026, 11, 24, 23, 15, tzinfo=UTC), fetched_at=NOW, author="koreatech.example.kr",
        lang="ko", query="acme sourcelang:korean",
    )
    assert [m.lang for m in result.mentions] == ["ko", "ja", "en"]
    assert [m.raw["sourcecountry"] for m in result.mentions] == ["South Korea", "Japan", "United States"]
    assert json.loads(json.dumps(first.raw))["language"] == "Korean"
    assert (result.skipped, result.cursor.watermark) == ([], first.published_at)


def test_request_carries_the_window_from_the_cursor(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(DOC, fixture("gdelt_artlist_acme.json", JSON))
    search(fault_server).fetch(client, Cursor(watermark=datetime(2026, 11, 24, 6, 30, tzinfo=UTC)), now=NOW)
    sent = fault_server.hits(DOC)[0]
    assert {k: v[0] for k, v in sent.query.items()} == {
        "query": "acme sourcelang:korean", "mode": "artlist", "format": "json", "maxrecords": "250",
        "sort": "datedesc", "startdatetime": "20261124063000", "enddatetime": "20261125070000",
    }


def test_window_is_clamped_to_three_months(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(DOC, ok(b"{}", JSON))
    search(fault_server).fetch(client, Cursor(watermark=NOW - timedelta(days=400)), now=NOW)
    assert fault_server.hits(DOC)[0].param("startdatetime") == "20260827070000"


def test_requests_to_the_host_are_paced(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(DOC, fixture("gdelt_artlist_acme.json", JSON))
    fake = FakeTime()
    pacer = HostPacer(5.0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        search(fault_server, pacer).fetch(client, now=NOW)
    assert fake.slept == [5.0, 5.0]


def test_429_then_success_honours_retry_after(fault_server: FaultServer) -> None:
    fault_server.route(DOC, retry_after("7"), fixture("gdelt_artlist_acme.json", JSON))
    fake = FakeTime()
    policy = HttpPolicy(timeout=Timeouts(connect=2, read=5), retry=Retry(attempts=3, backoff=0.01),
                        politeness=Politeness(min_interval_s=0))
    with HttpClient(policy, sleep=fake.sleep, clock=fake.clock) as paced:
        result = search(fault_server).fetch(paced, now=NOW)
    assert (len(result.mentions), result.requests, len(fault_server.hits(DOC))) == (3, 2, 2)
    assert 7.0 in fake.slept


def test_empty_object_means_no_articles(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(DOC, ok(b"{}", JSON))
    result = search(fault_server).fetch(client, Cursor(watermark=NOW - timedelta(hours=1)), now=NOW)
    assert (result.mentions, result.cursor.watermark) == ([], NOW - timedelta(hours=1))


def test_plain_text_refusal_is_quoted_in_the_parse_error(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(DOC, ok(b"The specified phrase is too short.", "text/html; charset=utf-8"))
    with pytest.raises(ParseError, match="GDELT refused the query.*phrase is too short"):
        search(fault_server).fetch(client, now=NOW)


def test_full_page_is_recorded_as_truncated(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route(DOC, fixture("gdelt_artlist_acme.json", JSON))
    result = search(fault_server, max_records=3).fetch(client, now=NOW)
    assert [s.reason for s in result.skipped] == ["truncated"]


@pytest.mark.parametrize(
    ("article", "reason"),
    [
        pytest.param({"title": "x", "seendate": "20261124T000000Z"}, "no_id", id="no-url"),
        pytest.param({"url": "https://x.test/1", "seendate": "2026-11-24"}, "bad_time", id="bad-seendate"),
        pytest.param(["nope"], "not_object", id="not-an-object"),
    ],
)
def test_bad_article_is_skipped(fault_server: FaultServer, client: HttpClient, article, reason: str) -> None:
    good = {"url": "https://x.test/ok", "title": "Acme", "seendate": "20261124T000000Z"}
    fault_server.route(DOC, ok(json.dumps({"articles": [article, good]}).encode(), JSON))
    result = search(fault_server).fetch(client, now=NOW)
    assert [m.url for m in result.mentions] == ["https://x.test/ok"] and [s.reason for s in result.skipped] == [reason]
