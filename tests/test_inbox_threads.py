"""Conversations against local servers in the thread APIs' shapes: answered detection per platform,
threads that vanish, deleted replies, manual states surviving a re-read, the brand's own posts never listed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from listening.http import HttpClient
from listening.inbox import items, mark_done, read_conversations, select
from listening.store import Store, thread_items, threads
from tests.conftest import NOW
from tests.fault_server import FaultServer, fault_server, ok, status  # noqa: F401
from tests.inbox_world import CONTEXT, HN_ITEM, JSON, REDDIT, THREAD, fixture_bytes, read_world

UTC = timezone.utc
MODEL = "no-model-yet"


@pytest.fixture(autouse=True)
def reddit_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENING_REDDIT_CLIENT_ID", "cid")
    monkeypatch.setenv("LISTENING_REDDIT_CLIENT_SECRET", "csecret")


def _rows(store: Store) -> dict[str, dict]:
    with store.engine.connect() as conn:
        return {r["native_id"]: dict(r) for r in conn.execute(sa.select(thread_items)).mappings()}


def _utc(row: dict, key: str) -> datetime | None:
    value = row[key]
    return None if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC))


def test_answered_detection_per_platform(store_url: str, tmp_path: Path, fault_server: FaultServer,
                                         client: HttpClient) -> None:
    world = read_world(Store.open(store_url), tmp_path, fault_server, client, now=NOW, passers_by=True)
    store, report = world.store, world.report

    assert [t.status for t in report.threads] == ["ok"] * 4, report.problems()  # passers-by are no threads
    rows = _rows(store)
    kim = rows["https://fosstodon.org/users/kim/statuses/113520000000000902"]
    assert _utc(kim, "answered_at") == datetime(2026, 11, 24, 11, 30, tzinfo=UTC) and kim["answered_by"] == "acme@mastodon.social"
    assert _utc(rows["https://mstdn.jp/users/tanaka/statuses/113520000000000904"], "answered_at") is None
    jane = rows["at://did:plc:jane0000000000000000000000/app.bsky.feed.post/3lreply000001"]
    assert _utc(jane, "answered_at") == datetime(2026, 11, 24, 14, 0, 1, tzinfo=UTC)
    assert _utc(rows["at://did:plc:bob00000000000000000000000/app.bsky.feed.post/3lreply000004"], "answered_at") is None
    assert _utc(rows["42100"], "answered_at") == datetime(2026, 11, 24, 9, tzinfo=UTC)  # acme_team's comment
    assert rows["t3_1h0abc"]["answered_by"] == "Acme_Support"  # handles compare case-insensitively
    assert _utc(rows["t3_1h0abc"], "answered_at") == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert rows["https://mastodon.social/users/acme/statuses/113520000000000003"]["by_brand"] is True
    assert "t1_m2" not in rows and rows["t1_m3"]["by_brand"] is True  # others' replies to an addressed post: no items
    assert fault_server.hits(REDDIT)[0].headers["authorization"] == "Bearer tok-123"
    assert report.new_answers == 4


def test_inbox_lists_open_items_and_never_the_brands_own_posts(store_url: str, tmp_path: Path,
                                                              fault_server: FaultServer, client: HttpClient) -> None:
    world = read_world(Store.open(store_url), tmp_path, fault_server, client, now=NOW)
    store, config, roots = world.store, world.config, world.roots

    found = items(store, config, MODEL, now=NOW)
    listed = select(found, "open")
    assert sorted(it.author for it in listed) == ["bob.bsky.social", "tanaka@mstdn.jp"]
    everything = select(items(store, config, MODEL, now=NOW, needing_only=False), "all")
    authors = {it.author.lower() for it in everything}
    assert not authors & {"acme", "acme@mastodon.social", "acme.bsky.social", "acme_team", "acme_support"}
    assert roots["mastodon"] not in {it.id for it in everything} and roots["bluesky"] not in {it.id for it in everything}
    tanaka = next(it for it in listed if it.author == "tanaka@mstdn.jp")
    assert (tanaka.intents, tanaka.scored, tanaka.state) == (("question",), False, "breached")  # 26 h > 24 h SLA


def test_threads_that_vanish_and_deleted_replies_lose_nothing_and_reopen_nothing(
        store_url: str, tmp_path: Path, fault_server: FaultServer, client: HttpClient) -> None:
    world = read_world(Store.open(store_url), tmp_path, fault_server, client, now=NOW)
    store, config = world.store, world.config
    before = _rows(store)
    tanaka = next(it for it in items(store, config, MODEL, now=NOW) if it.author == "tanaka@mstdn.jp")
    mark_done(store, tanaka.id[:10], now=NOW, note="answered by e-mail")

    # Mastodon drops the brand's answer and tanaka's reply (deleted); Bluesky's root is gone (400 NotFound);
    # the HN story is gone (404); Reddit answers 410.
    doc = json.loads(fixture_bytes("mastodon_context.json"))
    doc["descendants"] = [s for s in doc["descendants"] if s["id"] not in ("113520000000000003", "113520000000000004")]
    fault_server.route(CONTEXT, ok(json.dumps(doc).encode(), JSON))
    fault_server.route(THREAD, status(400, b'{"error":"NotFound","message":"Post not found"}', {"Content-Type": JSON}))
    fault_server.route(HN_ITEM, status(404, b'{"status":404,"error":"Not Found"}', {"Content-Type": JSON}))
    fault_server.route(REDDIT, status(410))
    later = NOW + timedelta(hours=2)

    report = read_conversations(config, store, client, now=later)

    assert {t.platform: t.status for t in report.threads} == {
        "reddit": "gone", "hackernews": "gone", "mastodon": "ok", "bluesky": "gone"}
    assert all("items are kept" in t.detail for t in report.threads if t.status == "gone")
    assert any(line.startswith("hackernews thread ") and "gone" in line for line in report.problems())
    after = _rows(store)
    assert set(after) == set(before), "nothing lost"
    for key, row in before.items():
        assert _utc(after[key], "answered_at") == _utc(row, "answered_at"), f"{key}: an answer is never cleared"
    kim = after["https://fosstodon.org/users/kim/statuses/113520000000000902"]
    assert kim["deleted_at"] is None and _utc(kim, "answered_at") is not None  # its answer was deleted: still answered
    assert _utc(after["https://mastodon.social/users/acme/statuses/113520000000000003"], "deleted_at") == later
    assert _utc(after["https://mstdn.jp/users/tanaka/statuses/113520000000000904"], "deleted_at") == later
    states = {it.author: it.state for it in items(store, config, MODEL, now=later, needing_only=False)}
    assert states["tanaka@mstdn.jp"] == "done" and states["alice"] == "answered"
    with store.engine.connect() as conn:
        gone = dict(conn.execute(sa.select(threads.c.platform, threads.c.status)).all())
    assert gone == {"mastodon": "ok", "bluesky": "gone", "hackernews": "gone", "reddit": "gone"}


def test_manual_states_survive_a_re_read(store_url: str, tmp_path: Path, fault_server: FaultServer,
                                         client: HttpClient) -> None:
    from listening.inbox import assign, snooze

    world = read_world(Store.open(store_url), tmp_path, fault_server, client, now=NOW)
    store, config = world.store, world.config
    listed = {it.author: it for it in items(store, config, MODEL, now=NOW)}
    mark_done(store, listed["tanaka@mstdn.jp"].id, now=NOW, note="called back")
    snooze(store, listed["bob.bsky.social"].id[:8], until=NOW + timedelta(hours=6), now=NOW)
    assign(store, listed["bob.bsky.social"].id[:8], to="mina", now=NOW)

    read_conversations(config, store, client, now=NOW + timedelta(hours=1))
    again = {it.author: it for it in items(store, config, MODEL, now=NOW + timedelta(hours=1))}
    assert again["tanaka@mstdn.jp"].state == "done" and again["tanaka@mstdn.jp"].note == "called back"
    assert again["bob.bsky.social"].state == "snoozed" and again["bob.bsky.social"].assignee == "mina"
    assert select(list(again.values()), "open") == []
    back = {it.author: it for it in items(store, config, MODEL, now=NOW + timedelta(hours=7))}
    assert back["bob.bsky.social"].state in ("ok", "due", "breached") and back["bob.bsky.social"].assignee == "mina"


def test_reddit_without_oauth_is_a_clear_skip(store_url: str, tmp_path: Path, fault_server: FaultServer,
                                             client: HttpClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LISTENING_REDDIT_CLIENT_ID")
    report = read_world(Store.open(store_url), tmp_path, fault_server, client, now=NOW).report
    reddit = next(t for t in report.threads if t.platform == "reddit")
    assert reddit.status == "skipped" and "LISTENING_REDDIT_CLIENT_ID" in reddit.detail
    assert report.count("ok") == 3
