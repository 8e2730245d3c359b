"""Two overlapping runs of the same work end in the same state as one run, on SQLite and on PostgreSQL.

The runs start together (a barrier) on separate connections; primary keys, conflict-aware upserts and
conditional updates in the database decide the outcome, not timing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from listening.alerts import SqlRepository, deliver
from listening.config import load_config
from listening.http import HttpClient, Politeness
from listening.ingest import run_ingest
from listening.pipeline import DEMO_CONFIG
from listening.replay.server import ReplayServer
from listening.slack import SlackClient, SlackConfig
from listening.store import Store, alerts, brand_hourly, cursors, mentions, metadata
from listening.timeseries import rebuild_window
from listening.watch import watch
from tests.fault_server import FaultServer, fault_server, fixture  # noqa: F401
from tests.slack_server import BOT_TOKEN, SlackServer
from tests.test_crash_safety import CHANNEL, CYCLES, MODEL, seed_scored_mentions, slack_thread

FROZEN = datetime.fromisoformat("2026-11-20T12:00:00+00:00")


def overlapping(n: int, work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in ``n`` threads released at the same instant; re-raise the first failure."""
    barrier, results, errors = threading.Barrier(n), [], []

    def one() -> None:
        barrier.wait()
        try:
            results.append(work())
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def snapshot(store: Store, *tables: sa.Table) -> dict[str, set[tuple]]:
    """Table contents without the columns that record when a row was written."""
    out = {}
    with store.engine.connect() as conn:
        for table in tables:
            cols = [c for c in table.c if c.name not in ("fetched_at", "updated_at", "first_seen", "last_seen")]
            out[table.name] = {tuple(_utc(v) for v in r) for r in conn.execute(sa.select(*cols))}
    return out


def _utc(value: Any) -> Any:
    """PostgreSQL returns aware datetimes, SQLite naive UTC ones: compare them as naive UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


@pytest.fixture(scope="module")
def replay() -> Any:
    with ReplayServer(clock=lambda: FROZEN) as server:
        yield server


def ingest(store: Store, replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLAY_URL", replay.url)
    config = load_config(DEMO_CONFIG)
    with HttpClient.for_contact(config.project.contact, politeness=Politeness(max_concurrency_per_host=4, min_interval_s=0)) as client:
        report = run_ingest(config, store, client, now=lambda: FROZEN)
    assert not report.failed


@pytest.mark.slow
def test_two_overlapping_ingests_and_partition_rebuilds_leave_what_one_run_leaves(
        store_url: str, tmp_path: Path, replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    single = Store.open(f"sqlite:///{tmp_path / 'single.db'}")
    ingest(single, replay, monkeypatch)
    day = FROZEN.replace(hour=0) - timedelta(days=3)
    rebuild_window(single, day, day + timedelta(days=1))

    store = Store.open(store_url)
    overlapping(2, lambda: ingest(Store.open(store_url), replay, monkeypatch))
    overlapping(2, lambda: rebuild_window(Store.open(store_url), day, day + timedelta(days=1)))

    tables = (mentions, cursors, brand_hourly)
    assert snapshot(store, *tables) == snapshot(single, *tables)
    assert {t: store.count(metadata.tables[t]) for t in ("mentions", "cursors", "brand_hourly")} == \
        {t: single.count(metadata.tables[t]) for t in ("mentions", "cursors", "brand_hourly")}


def crisis_cycles(store_url: str, slack: SlackServer, config_file: Path) -> None:
    """The crisis_signals + crisis_alerts work for each cycle time, against one store."""
    store, config = Store.open(store_url), load_config(config_file)
    with SlackClient(SlackConfig(bot_token=BOT_TOKEN, channel=CHANNEL, base_url=slack.api_url)) as client:
        for at in CYCLES:
            watch(config, store, MODEL, now=at)
            deliver(SqlRepository(store), client, brands={"orbitly"})


@pytest.mark.slow
def test_two_overlapping_crisis_cycles_post_each_alert_state_once(store_url: str, tmp_path: Path) -> None:
    config = tmp_path / "listening.yaml"
    config.write_text("brands:\n  - {key: orbitly, name: Orbitly, own: true}\n")
    with SlackServer() as slack:
        single = f"sqlite:///{tmp_path / 'single.db'}"
        seed_scored_mentions(Store.open(single))
        crisis_cycles(single, slack, config)
    expected = slack_thread(slack)

    seed_scored_mentions(Store.open(store_url))
    with SlackServer() as slack:
        overlapping(2, lambda: crisis_cycles(store_url, slack, config))
        assert slack_thread(slack) == expected
    with Store.open(store_url).engine.connect() as conn:
        assert conn.execute(sa.select(alerts.c.state, alerts.c.delivered_state)).all() == [("resolved", "resolved")]


def test_an_ingest_that_overlaps_another_sources_write_drops_the_stories_that_write_stored(
        store_url: str, tmp_path: Path, fault_server: FaultServer) -> None:
    """Ingest steps of different sources run at once; a headline stored by one while the other is
    de-duplicating must not be stored twice (the second waits for the first, then sees its rows)."""
    fault_server.route("/blog.xml", fixture("blog_rss2.xml"))
    config_file = tmp_path / "c.yaml"
    config_file.write_text(f"brands:\n  - key: acme\n    name: Acme\n    sources: {{feeds: [{{url: '{fault_server.url('/blog.xml')}'}}]}}\n")
    config = load_config(config_file)
    fast = {"politeness": Politeness(max_concurrency_per_host=4, min_interval_s=0)}
    scratch = Store.open(f"sqlite:///{tmp_path / 'scratch.db'}")
    with HttpClient.for_contact("t@example.com", **fast) as client:
        assert run_ingest(config, scratch, client, now=lambda: FROZEN).new >= 2
    # The same stories as another source (a news search) finds them: other ids and URLs, the same headlines.
    with scratch.engine.connect() as conn:
        copies = [{**row, "id": "gn" + row["id"][2:], "source": "google_news", "native_id": f"gn-{row['native_id']}",
                   "url": f"https://news.example/{row['id']}", "canonical_url": f"https://news.example/{row['id']}"}
                  for row in conn.execute(sa.select(mentions)).mappings()]
    assert all(row["title_key"] for row in copies)

    store = Store.open(store_url)
    reports: list[Any] = []
    with HttpClient.for_contact("t@example.com", **fast) as client:
        blog = threading.Thread(target=lambda: reports.append(run_ingest(config, Store.open(store_url), client, now=lambda: FROZEN)))
        with store.transaction() as conn:
            store.lock_mentions(conn)  # the news step is storing right now
            blog.start()
            blog.join(timeout=1.5)
            assert blog.is_alive() and Store.open(store_url).count(mentions) == 0, "the blog step waits for the news step"
            store.upsert(conn, mentions, copies)
        blog.join(timeout=60)
    assert not blog.is_alive()
    (report,) = reports
    assert not report.failed
    assert report.new == 0 and report.tasks[0].duplicates == len(copies)
    with store.engine.connect() as conn:
        assert set(conn.execute(sa.select(mentions.c.source)).scalars()) == {"google_news"}
    assert store.count(mentions) == len(copies)
