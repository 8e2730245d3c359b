"""Every paged source resumes a capped run: nothing between the last run's start and its oldest item is lost.

Each local server pages a stream of items newest first the way its API does (Mastodon ``Link``/``max_id``,
Bluesky and Reddit page cursors, Naver ``start`` offsets, App Store page numbers, GDELT time windows cut
at ``maxrecords``). The connector is capped well below the stream; its cursor goes through the store's
JSON form between runs, and every item must be in after a few runs.
"""

from __future__ import annotations

import email.utils
import json
import math
from collections.abc import Callable
from datetime import timedelta

import pytest

from listening.http import HttpClient
from listening.sources import (
    AppStoreReviews,
    BlueskyAuthor,
    ClientCredentials,
    Connector,
    Cursor,
    GdeltSearch,
    HostPacer,
    MastodonHashtag,
    NaverSearch,
    RedditOAuthSearch,
)
from listening.sources.gdelt import gdelt_time
from listening.sources.mastodon import snowflake_at
from tests.conftest import NOW
from tests.fault_server import FIXTURES, FaultServer, Recorded, Reply, dynamic, fault_server, ok  # noqa: F401

N = 25
PER_PAGE = 5
TIMES = [NOW - timedelta(minutes=3 * i) for i in range(N)]  # newest first


def reply(body: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})


def mastodon(server: FaultServer) -> Connector:
    ids = [int(snowflake_at(t)) + 1 for t in TIMES]

    def respond(r: Recorded) -> Reply:
        top = int(r.param("max_id") or 1 << 80)
        bottom = int(r.param("since_id") or 0)
        rows = [i for i in range(N) if bottom < ids[i] < top][:PER_PAGE]
        statuses = [{"id": str(ids[i]), "uri": f"https://m.test/s/{i}", "created_at": TIMES[i].isoformat(),
                     "content": f"<p>Acme post {i}</p>", "account": {"acct": "a"}} for i in rows]
        next_url = f'{server.url("/api/v1/timelines/tag/acme")}?max_id={ids[rows[-1]]}' if rows else ""
        return reply(statuses, {"Link": f'<{next_url}>; rel="next"'} if rows else {})

    server.route("/api/v1/timelines/tag/acme", dynamic(respond))
    return MastodonHashtag(server.base_url, "acme", limit=PER_PAGE, max_pages=3, instance="m.test")


def bluesky(server: FaultServer) -> Connector:
    def respond(r: Recorded) -> Reply:
        start = int(r.param("cursor") or 0)
        rows = range(start, min(start + PER_PAGE, N))
        feed = [{"post": {"uri": f"at://did:plc:acme/app.bsky.feed.post/{i}", "author": {"handle": "acme.com"},
                          "record": {"text": f"Acme post {i}"}, "indexedAt": TIMES[i].isoformat()}} for i in rows]
        return reply({"feed": feed, **({"cursor": str(start + PER_PAGE)} if start + PER_PAGE < N else {})})

    profile = (FIXTURES / "bluesky_profile.json").read_bytes()
    server.route("/xrpc/app.bsky.actor.getProfile", ok(profile, "application/json"))
    server.route("/xrpc/app.bsky.feed.getAuthorFeed", dynamic(respond))
    return BlueskyAuthor("acme.com", base_url=server.base_url, limit=PER_PAGE, max_pages=3)


def reddit(server: FaultServer) -> Connector:
    def respond(r: Recorded) -> Reply:
        after = r.param("after")
        start = int(after.removeprefix("t3_")) + 1 if after else 0
        rows = range(start, min(start + PER_PAGE, N))
        children = [{"kind": "t3", "data": {"name": f"t3_{i}", "title": f"Acme post {i}", "permalink": f"/r/x/{i}/",
                                            "created_utc": TIMES[i].timestamp()}} for i in rows]
        return reply({"data": {"children": children, "after": f"t3_{rows[-1]}" if rows and rows[-1] < N - 1 else None}})

    server.route("/search", dynamic(respond))
    token = server.route("/api/v1/access_token", ok(b'{"access_token": "t", "expires_in": 3600}', "application/json"))
    return RedditOAuthSearch("acme", base_url=server.base_url, limit=PER_PAGE, max_pages=3,
                             auth=ClientCredentials(token_url=token))


def naver(server: FaultServer) -> Connector:
    def respond(r: Recorded) -> Reply:
        start = int(r.param("start") or 1) - 1
        items = [{"title": f"Acme {i}", "originallink": f"https://n.test/{i}", "link": f"https://n.test/{i}",
                  "description": "acme", "pubDate": email.utils.format_datetime(TIMES[i])}
                 for i in range(start, min(start + PER_PAGE, N))]
        return reply({"total": N, "start": start + 1, "display": PER_PAGE, "items": items})

    server.route("/v1/search/news.json", dynamic(respond))
    return NaverSearch("acme", "news", base_url=server.base_url, display=PER_PAGE, max_pages=3)


def appstore(server: FaultServer) -> Connector:
    connector = AppStoreReviews("42", "jp", base_url=server.base_url, max_pages=3)
    for page in range(1, 11):
        rows = range((page - 1) * PER_PAGE, min(page * PER_PAGE, N))
        entries = [{"id": {"label": str(i)}, "im:rating": {"label": "4"}, "updated": {"label": TIMES[i].isoformat()},
                    "title": {"label": f"Acme {i}"}, "content": {"label": "ok"}} for i in rows]
        path = connector.page_url(page).removeprefix(server.base_url)
        server.route(path, ok(json.dumps({"feed": {"entry": entries} if entries else {}}).encode(), "application/json"))
    return connector


def gdelt(server: FaultServer) -> Connector:
    def respond(r: Recorded) -> Reply:
        start, end = gdelt_time(r.param("startdatetime")), gdelt_time(r.param("enddatetime"))
        rows = [i for i in range(N) if start <= TIMES[i] <= end][: int(r.param("maxrecords"))]
        return reply({"articles": [{"url": f"https://g.test/{i}", "title": f"Acme {i}",
                                    "seendate": TIMES[i].strftime("%Y%m%dT%H%M%SZ")} for i in rows]})

    server.route("/api/v2/doc/doc", dynamic(respond))
    return GdeltSearch("acme", base_url=server.base_url, max_records=PER_PAGE * 3, pacer=HostPacer(0))


SOURCES: dict[str, Callable[[FaultServer], Connector]] = {
    "mastodon": mastodon, "bluesky": bluesky, "reddit_oauth": reddit, "naver": naver, "appstore": appstore,
    "gdelt": gdelt,
}


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LISTENING_NAVER_CLIENT_ID", "LISTENING_NAVER_CLIENT_SECRET",
                 "LISTENING_REDDIT_CLIENT_ID", "LISTENING_REDDIT_CLIENT_SECRET"):
        monkeypatch.setenv(name, "test-value")


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_capped_run_leaves_a_backlog_and_the_next_runs_read_it(
    name: str, fault_server: FaultServer, client: HttpClient
) -> None:
    connector = SOURCES[name](fault_server)
    seen: list[set[str]] = []
    cursor: Cursor | None = None
    runs = math.ceil(N / (PER_PAGE * 2)) + 1  # the first run reads 3 pages, each later one 2 new (1 checks for news)
    for run in range(runs):
        result = connector.fetch(client, cursor, now=NOW + timedelta(seconds=run))
        seen.append({m.native_id for m in result.mentions})
        cursor = Cursor.from_dict(json.loads(json.dumps(result.cursor.to_dict())))  # as the store keeps it
        if run == 0:
            assert len(seen[0]) < N and cursor.backlog is not None, "the first run is capped"
            assert cursor.watermark == TIMES[0]
    assert len(set().union(*seen)) == N, [len(s) for s in seen]
    assert cursor.backlog is None, "caught up"
