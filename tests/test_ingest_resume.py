"""Ingest keeps listening: a capped run resumes where its stored data ends, a future date blinds nothing,
and one task's failure of any kind leaves the other sources running.

Real store (SQLite), real HTTP to a local Algolia stand-in that honours ``numericFilters`` and caps a
query at 1,000 reachable hits like the real API.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from listening.config import load_config
from listening.http import HttpClient, Politeness
from listening.ingest import run_ingest
from listening.sources import Cursor, FetchResult
from listening.sources.base import WATERMARK_SKEW
from listening.sources.plan import SourceTask, plan_tasks
from listening.store import Store, cursors, mentions, skipped_items
from tests.conftest import NOW
from tests.fault_server import FaultServer, Recorded, Reply, dynamic, fault_server, fixture, ok  # noqa: F401
from tests.test_source_hackernews import FakeAlgolia

FAST = {"politeness": Politeness(max_concurrency_per_host=4, min_interval_s=0)}
HN = "/api/v1/search_by_date"


def config_file(tmp_path: Path, server: FaultServer, *feeds: str) -> Path:
    path = tmp_path / "listening.yaml"
    feed_lines = "".join(f'        - {{url: "{server.url(f)}"}}\n' for f in feeds)
    path.write_text(f"""
endpoints:
  hackernews: "{server.base_url}"
brands:
  - key: acme
    name: Acme
    sources:
      hackernews:
        - {{query: acme}}
{"      feeds:" + chr(10) + feed_lines if feeds else ""}""")
    return path


def ingest(path: Path, store: Store, at: datetime, tasks: list[SourceTask] | None = None):
    config = load_config(path)
    with HttpClient.for_contact("t@example.com", **FAST) as client:
        return run_ingest(config, store, client, tasks=tasks, now=lambda: at)


def stamp(when: datetime) -> int:
    return int(when.timestamp())


def test_six_thousand_hits_for_one_query_are_all_stored_within_three_runs(
    home: Path, tmp_path: Path, fault_server: FaultServer
) -> None:
    algolia = FakeAlgolia([stamp(NOW) - 60 * i for i in range(6000)], cap=1000)
    fault_server.route(HN, dynamic(algolia))
    path, store = config_file(tmp_path, fault_server), Store.open()
    runs = []
    for run in range(3):
        report = ingest(path, store, NOW + timedelta(minutes=run))
        runs.append((report.new, store.count(mentions)))
        if store.count(mentions) == 6000:
            break
    assert 4900 < runs[0][1] < 6000, "the first run stops at 50 pages of 100 (max_requests)"
    assert store.count(mentions) == 6000, runs
    row = store.read_cursor("hackernews", "hackernews:acme")
    assert row["backlog"] is None and row["watermark"] == NOW, "caught up: nothing left to resume"
    before = len(fault_server.hits(HN))
    assert ingest(path, store, NOW + timedelta(minutes=5)).new == 0
    assert len(fault_server.hits(HN)) - before == 1, "a caught-up query costs one request"


def test_a_page_failing_mid_paging_keeps_the_pages_before_it_and_the_next_run_continues(
    home: Path, tmp_path: Path, fault_server: FaultServer
) -> None:
    algolia = FakeAlgolia([stamp(NOW) - 60 * i for i in range(500)], cap=1000)
    calls = {"n": 0}

    def flaky(request: Recorded) -> Reply:
        calls["n"] += 1
        if calls["n"] == 3:  # the first run's third page is garbage
            return Reply(200, b'{"message": "oops"}', {"Content-Type": "application/json"})
        return algolia(request)

    fault_server.route(HN, dynamic(flaky))
    path, store = config_file(tmp_path, fault_server), Store.open()
    first = ingest(path, store, NOW)
    assert not first.failed and first.new == 200, "two good pages kept"
    with store.engine.connect() as conn:
        reasons = set(conn.execute(sa.select(skipped_items.c.reason)).scalars())
    assert "page_failed" in reasons
    second = ingest(path, store, NOW + timedelta(minutes=1))
    assert not second.failed and store.count(mentions) == 500


def test_a_future_dated_item_is_stored_with_its_date_and_does_not_blind_the_query(
    home: Path, tmp_path: Path, fault_server: FaultServer
) -> None:
    year_2100 = datetime(2100, 1, 1, tzinfo=NOW.tzinfo)
    algolia = FakeAlgolia([stamp(NOW) - 3600, stamp(year_2100)], cap=1000)
    fault_server.route(HN, dynamic(algolia))
    path, store = config_file(tmp_path, fault_server), Store.open()
    assert ingest(path, store, NOW).new == 2
    with store.engine.connect() as conn:
        dates = sorted(conn.execute(sa.select(mentions.c.published_at)).scalars())
    assert dates[-1].year == 2100, "stored with the date it claims"
    watermark = store.read_cursor("hackernews", "hackernews:acme")["watermark"]
    assert watermark <= NOW + WATERMARK_SKEW
    later = NOW + timedelta(hours=2)
    algolia.hits.append({**algolia.hits[0], "objectID": "fresh", "created_at_i": stamp(NOW + timedelta(hours=1)),
                         "title": "Acme fresh story"})
    assert ingest(path, store, later).new == 1, "the item posted after the first run is fetched"


def test_a_query_blinded_by_an_older_run_recovers(home: Path, tmp_path: Path, fault_server: FaultServer) -> None:
    """A cursor an older version moved to 2100 is read as no watermark: the lookback window is fetched again."""
    algolia = FakeAlgolia([stamp(NOW) - 3600 * i for i in range(1, 4)], cap=1000)
    fault_server.route(HN, dynamic(algolia))
    path, store = config_file(tmp_path, fault_server), Store.open()
    with store.transaction() as conn:
        store.upsert(conn, cursors, [{"source": "hackernews", "key": "hackernews:acme", "etag": None,
                                      "last_modified": None, "watermark": datetime(2100, 1, 1, tzinfo=NOW.tzinfo),
                                      "updated_at": NOW}])
    assert ingest(path, store, NOW).new == 3
    assert store.read_cursor("hackernews", "hackernews:acme")["watermark"] == NOW - timedelta(hours=1)


def test_hostile_items_land_in_skipped_items_and_every_source_is_still_fetched(
    home: Path, tmp_path: Path, fault_server: FaultServer
) -> None:
    algolia = FakeAlgolia([stamp(NOW) - 60 * i for i in range(3)], cap=1000)
    good = algolia.hits[0]
    algolia.hits += [{**good, "objectID": "b1", "created_at_i": 10**12}, {**good, "objectID": "b2", "title": ["x"]},
                     {**good, "objectID": "b3", "url": 7}]
    fault_server.route(HN, dynamic(algolia))
    atom = Path(__file__).parent / "fixtures" / "sources" / "github_releases.atom"
    body = atom.read_text(encoding="utf-8").replace(
        "</feed>",
        "<entry><id>bad</id><title>Acme x</title><updated>9999-12-31T23:59:59-12:00</updated></entry></feed>")
    fault_server.route("/releases.atom", ok(body.encode(), "application/atom+xml"))
    fault_server.route("/blog.xml", fixture("blog_rss2.xml"))
    path, store = config_file(tmp_path, fault_server, "/releases.atom", "/blog.xml"), Store.open()
    report = ingest(path, store, NOW)
    assert not report.failed
    assert {t.key: t.skipped for t in report.tasks} == {
        f"rss:{fault_server.url('/releases.atom')}": 1, f"rss:{fault_server.url('/blog.xml')}": 0, "hackernews:acme": 3}
    assert all(t.new > 0 for t in report.tasks)
    assert store.count(skipped_items) == 4


class BuggyConnector:
    """A connector with a bug (not a ListeningError): it must fail only its own task."""

    source = "rss"
    key = "rss:buggy"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        raise TypeError("'NoneType' object is not subscriptable")


def test_a_task_raising_any_exception_fails_alone(home: Path, tmp_path: Path, fault_server: FaultServer) -> None:
    fault_server.route("/blog.xml", fixture("blog_rss2.xml"))
    fault_server.route(HN, dynamic(FakeAlgolia([stamp(NOW) - 60], cap=1000)))
    path, store = config_file(tmp_path, fault_server, "/blog.xml"), Store.open()
    tasks = [SourceTask(BuggyConnector(), "acme", False), *plan_tasks(load_config(path))]
    report = ingest(path, store, NOW, tasks)
    assert [t.key for t in report.failed] == ["rss:buggy"] and "TypeError" in report.failed[0].error
    assert [t.new > 0 for t in report.tasks[1:]] == [True, True]
    assert store.read_cursor("rss", "rss:buggy") is None


@pytest.mark.parametrize("backlog", [None, ["2026-11-20T00:00:00+00:00", "2026-11-21T00:00:00+00:00"]])
def test_a_cursor_round_trips_with_its_backlog(backlog: list[str] | None) -> None:
    cursor = Cursor.from_dict({"watermark": NOW.isoformat(), "backlog": backlog})
    assert Cursor.from_dict(json.loads(json.dumps(cursor.to_dict()))) == cursor


def test_a_store_made_before_backlogs_gains_the_column_and_keeps_its_cursors(store_url: str, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(store_url)
    old = sa.MetaData()
    sa.Table("cursors", old, sa.Column("source", sa.String(32), primary_key=True),
             sa.Column("key", sa.Text, primary_key=True), sa.Column("etag", sa.Text),
             sa.Column("last_modified", sa.Text), sa.Column("watermark", sa.DateTime(timezone=True)),
             sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO cursors (source, key, watermark, updated_at) VALUES "
                             "('hackernews', 'hackernews:acme', :w, :w)"), {"w": NOW})
    engine.dispose()
    store = Store.open(store_url)
    row = store.read_cursor("hackernews", "hackernews:acme")
    assert row["watermark"] == NOW and row["backlog"] is None
