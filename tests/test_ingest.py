"""Ingest end to end: the real connectors against the offline replay and local servers, into a real store."""

from __future__ import annotations

import bisect
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from listening.checks import tasks_succeeded
from listening.config import load_config
from listening.http import HttpClient, Politeness
from listening.ingest import run_ingest
from listening.pipeline import DEMO_CONFIG
from listening.replay.server import ReplayServer
from listening.snapshots import REPOLL_AGES
from listening.store import Store, cursors, engagement_snapshots, mentions, task_health
from listening.utc import as_utc
from tests.conftest import NOW
from tests.fault_server import FaultServer, fault_server, fixture, status  # noqa: F401

FAST = {"politeness": Politeness(max_concurrency_per_host=4, min_interval_s=0)}
# One instant for the replay and the fetches, so a second run sees exactly what the first saw.
FROZEN = NOW


def table_counts(store: Store) -> dict[str, int]:
    from listening.store import metadata

    return {name: store.count(table) for name, table in metadata.tables.items()}


def ingest_replay(store: Store, replay: ReplayServer, monkeypatch: pytest.MonkeyPatch, sources: list[str] | None = None):
    monkeypatch.setenv("REPLAY_URL", replay.url)
    config = load_config(DEMO_CONFIG)
    with HttpClient.for_contact(config.project.contact, **FAST) as client:
        return run_ingest(config, store, client, sources=sources, now=lambda: FROZEN)


@pytest.fixture(scope="module")
def replay():
    with ReplayServer(clock=lambda: FROZEN) as server:
        yield server


def test_the_replay_yields_mentions_of_every_brand_in_three_languages(home: Path, replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open()
    report = ingest_replay(store, replay, monkeypatch)
    assert not report.failed
    with store.engine.connect() as conn:
        per_brand = dict(conn.execute(sa.select(mentions.c.brand, sa.func.count()).group_by(mentions.c.brand)).all())
        langs = set(conn.execute(sa.select(mentions.c.lang).distinct()).scalars())
        sources = set(conn.execute(sa.select(mentions.c.source).distinct()).scalars())
        texts = [f"{t} {x}".casefold() for t, x in conn.execute(sa.select(mentions.c.title, mentions.c.text))]
    assert set(per_brand) == {"orbitly", "vantro", "kestrel"}
    assert min(per_brand.values()) > 200
    assert {"en", "ko", "ja"} <= langs
    assert sources == {"rss", "google_news", "hackernews", "youtube", "mastodon", "bluesky"}
    assert not any("orbitly coin" in t for t in texts), "the query's NOT \"orbitly coin\" must exclude the scam posts"
    assert not any("falcon" in t or "황조롱이" in t for t in texts), "bird posts about kestrels must be excluded"


def test_ingesting_twice_changes_no_row_count(home: Path, replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open()
    first = ingest_replay(store, replay, monkeypatch)
    before = table_counts(store)
    second = ingest_replay(store, replay, monkeypatch)
    assert first.new > 1000
    assert second.new == 0
    assert before["engagement_snapshots"] > 100, "tracked accounts' posts leave engagement snapshots"
    assert table_counts(store) == before


def test_a_later_run_keeps_a_look_only_for_posts_that_passed_a_repoll_age(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": FROZEN}
    added = []
    with ReplayServer(clock=lambda: clock["now"]) as server:
        monkeypatch.setenv("REPLAY_URL", server.url)
        config = load_config(DEMO_CONFIG)
        store = Store.open()
        with HttpClient.for_contact(config.project.contact, **FAST) as client:
            for hours in (0, 7):
                clock["now"] = FROZEN + timedelta(hours=hours)
                report = run_ingest(config, store, client, sources=["mastodon", "bluesky"], now=lambda: clock["now"])
                assert not report.failed
                added.append(sum(t.snapshots for t in report.tasks))
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(engagement_snapshots)).mappings().all()
    assert 0 < added[1] < added[0] == len(rows) - added[1]
    assert {r["platform"] for r in rows} == {"mastodon", "bluesky"}
    assert {r["account"] for r in rows} >= {"orbitly@mastodon.social", "orbitly.bsky.social", "vantro.bsky.social"}
    assert all(r["followers"] > 1000 and r["likes"] is not None and r["views"] is None for r in rows)
    brackets = [(r["post_id"], bisect.bisect_left(REPOLL_AGES, _utc(r["observed_at"]) - _utc(r["posted_at"])))
                for r in rows]
    assert len(set(brackets)) == len(brackets), "at most one look per post between two re-poll ages"


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def test_a_failing_source_does_not_stop_the_others(home: Path, tmp_path: Path, fault_server: FaultServer) -> None:
    fault_server.route("/good.xml", fixture("blog_rss2.xml"))
    fault_server.route("/broken.xml", status(503))
    config_file = tmp_path / "c.yaml"
    config_file.write_text(f"""
brands:
  - key: acme
    name: Acme
    sources:
      feeds:
        - {{url: "{fault_server.url('/broken.xml')}"}}
        - {{url: "{fault_server.url('/good.xml')}"}}
""")
    config = load_config(config_file)
    store = Store.open()
    with HttpClient.for_contact("t@example.com", **FAST) as client:
        client_retry_fast = client
        report = run_ingest(config, store, client_retry_fast)
    broken, good = report.tasks
    assert "503" in broken.error
    assert good.new > 0 and not good.error
    assert store.count(mentions) == good.new
    assert store.read_cursor("rss", broken.key) is None, "a failed source must not move its cursor"
    with store.engine.connect() as conn:  # each task's outcome is kept for the operator checks
        health = {r.key: r for r in conn.execute(sa.select(task_health))}
    assert "503" in health[broken.key].error and health[broken.key].succeeded_at is None
    assert health[good.key].error is None and health[good.key].succeeded_at is not None
    check = tasks_succeeded(store, [(t.source, t.key) for t in report.tasks], now=as_utc(health[good.key].attempted_at))
    assert check.failing == (broken.key,) and "HTTP 503" in check.rows[0]["why"]


def test_a_new_brand_and_feed_in_the_config_show_up_after_the_next_run(home: Path, tmp_path: Path, fault_server: FaultServer) -> None:
    fault_server.route("/acme.xml", fixture("blog_rss2.xml"))
    config_file = tmp_path / "c.yaml"
    config_file.write_text("brands:\n  - {key: first, name: First}\n")
    store = Store.open()
    with HttpClient.for_contact("t@example.com", **FAST) as client:
        assert run_ingest(load_config(config_file), store, client).new == 0
        config_file.write_text(config_file.read_text() + f"  - key: acme\n    name: Acme\n    sources: {{feeds: [{{url: '{fault_server.url('/acme.xml')}'}}]}}\n")
        report = run_ingest(load_config(config_file), store, client)
    assert report.new > 0
    assert {r["brand"] for r in store.mention_frame_rows()} == {"acme"}


def run_fetch(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "LISTENING_HOME": str(home), "LISTENING_REPLAY_NOW": "2026-11-20T12:00:00+00:00"}
    env.pop("LISTENING_CONFIG", None)
    return subprocess.Popen([sys.executable, "-m", "listening.cli", "fetch", "-q", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


@pytest.mark.slow
def test_killing_a_fetch_midway_then_rerunning_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    clean_home, killed_home = tmp_path / "clean", tmp_path / "killed"
    assert run_fetch(clean_home).wait(timeout=300) == 0
    clean = Store.open(f"sqlite:///{clean_home / 'listening.db'}")
    expected_ids = {r[0] for r in clean.engine.connect().execute(sa.select(mentions.c.id))}

    proc = run_fetch(killed_home)
    db = killed_home / "listening.db"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if db.exists() and Store.open(f"sqlite:///{db}").count(cursors) >= 3:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = Store.open(f"sqlite:///{db}")
    partial = killed.count(mentions)
    assert 0 < partial < len(expected_ids), "the kill should land mid-run"

    assert run_fetch(killed_home).wait(timeout=300) == 0
    ids = [r[0] for r in killed.engine.connect().execute(sa.select(mentions.c.id))]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected_ids
