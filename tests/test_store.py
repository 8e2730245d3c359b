"""The store on a real SQLite file and a real PostgreSQL database: upserts are idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from listening.errors import StoreError
from listening.mention import Mention
from listening.normalize import keyed
from listening.store import Store, cursors, engagement_snapshots, mention_row, mentions, reach_notices
from listening.timeseries import rebuild_window

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def mention(native_id: str, minutes: int = 0, brand: str = "acme", likes: int | None = None) -> Mention:
    return Mention(source="hackernews", native_id=native_id, url=f"https://news.ycombinator.com/item?id={native_id}",
                   title="", text=f"comment {native_id} about Acme", published_at=T0 + timedelta(minutes=minutes),
                   fetched_at=T0 + timedelta(hours=2), brand=brand, lang="en", likes=likes)


def rows(ms: list[Mention]) -> list[dict]:
    out = []
    for m in ms:
        k = keyed(m)
        out.append(mention_row(m, canonical_url=k.canonical_url, title_key=k.title_key, text_hash=k.text_hash, brands=[m.brand]))
    return out


def test_upserting_the_same_mentions_twice_changes_nothing(store_url: str) -> None:
    store = Store.open(store_url)
    batch = rows([mention(str(i), i) for i in range(5)])
    for _ in range(2):
        with store.transaction() as conn:
            store.upsert(conn, mentions, batch, update=("likes",))
    assert store.count(mentions) == 5
    stored = store.mention_frame_rows(limit=1)[0]
    assert stored["published_at"] == T0 + timedelta(minutes=4)
    assert stored["published_at"].tzinfo is not None


def test_a_later_fetch_updates_engagement_but_not_identity(store_url: str) -> None:
    store = Store.open(store_url)
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows([mention("1", likes=3)]), update=("likes",))
        store.upsert(conn, mentions, rows([mention("1", likes=40)]), update=("likes",))
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(mentions.c.likes)).scalar_one() == 40


def test_a_failed_transaction_leaves_nothing_behind(store_url: str) -> None:
    store = Store.open(store_url)
    with pytest.raises(RuntimeError):
        with store.transaction() as conn:
            store.upsert(conn, mentions, rows([mention("1")]))
            store.upsert(conn, cursors, [{"source": "hackernews", "key": "acme", "watermark": T0, "updated_at": T0}])
            raise RuntimeError("crash between the writes")
    assert store.count(mentions) == 0
    assert store.read_cursor("hackernews", "acme") is None


def test_hourly_counts_are_rebuilt_per_window(store_url: str) -> None:
    store = Store.open(store_url)
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows([mention("1", 0), mention("2", 10), mention("3", 45), mention("4", 10, brand="rival")]))
    day = T0.replace(hour=0, minute=0)
    first = rebuild_window(store, day, day + timedelta(days=1))
    again = rebuild_window(store, day, day + timedelta(days=1))
    assert first.equals(again)
    assert sorted((r["brand"], r["hour"].hour, r["mentions"]) for r in first.to_dicts()) == [("acme", 9, 2), ("acme", 10, 1), ("rival", 9, 1)]


def test_an_unreachable_database_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StoreError) as info:
        Store.open("postgresql+psycopg://app:hunter2@127.0.0.1:1/listening?connect_timeout=2")
    assert "cannot open the store" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert "***" in str(info.value)


def test_an_unusable_home_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where LISTENING_HOME should be a folder")
    with pytest.raises(StoreError, match="cannot create the store folder"):
        Store.open(f"sqlite:///{blocker / 'home' / 'listening.db'}")



def _open_after(barrier, url: str, results) -> None:
    barrier.wait()
    try:
        Store.open(url).count(mentions)
        results.put("ok")
    except StoreError as exc:
        results.put(str(exc))


def test_processes_opening_a_fresh_store_at_once_all_succeed(store_url: str) -> None:
    """A fetch and a reader (or parallel Dagster steps) may both create the schema; neither may fail."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    n = 6
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_open_after, args=(barrier, store_url, results)) for _ in range(n)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert outcomes == ["ok"] * n


def look(post: str, hours: float, likes: int) -> dict:
    return {"post_id": post, "observed_at": T0 + timedelta(hours=hours), "platform": "bluesky", "account": "acme.com",
            "posted_at": T0, "likes": likes, "reposts": 1, "replies": None, "views": None, "followers": 1200}


def test_snapshot_looks_are_kept_once_and_read_back_in_utc(store_url: str) -> None:
    store = Store.open(store_url)
    batch = [look("at://a/1", 1, 3), look("at://a/1", 6, 9), look("at://a/2", 2, 0)]
    for _ in range(2):
        with store.transaction() as conn:
            store.upsert(conn, engagement_snapshots, batch)
    with store.engine.connect() as conn:
        assert store.last_observed(conn, ["at://a/1", "at://a/2", "at://a/3"]) == {
            "at://a/1": T0 + timedelta(hours=6), "at://a/2": T0 + timedelta(hours=2)}
    read = store.snapshots()
    assert [(r["post_id"], r["observed_at"], r["likes"]) for r in read] == [
        ("at://a/1", T0 + timedelta(hours=1), 3), ("at://a/2", T0 + timedelta(hours=2), 0), ("at://a/1", T0 + timedelta(hours=6), 9)]
    assert all(r["posted_at"].tzinfo == timezone.utc and r["replies"] is None for r in read)


def test_a_claim_succeeds_once(store_url: str) -> None:
    store = Store.open(store_url)
    row = {"key": "reach:mastodon:platform:down:20260120T0600", "platform": "mastodon", "attribution": "platform",
           "posted_at": T0, "slack_ts": None, "slack_channel": None}
    with store.transaction() as conn:
        assert store.insert_new(conn, reach_notices, row)
    with store.transaction() as conn:
        assert not store.insert_new(conn, reach_notices, row)
    assert store.count(reach_notices) == 1


def test_a_store_made_before_an_index_existed_gets_it_when_opened(store_url: str) -> None:
    """A store made before migrations existed (no version table) by a release without the index."""
    store = Store.open(store_url)
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows([mention(str(i), i) for i in range(5)]))
        conn.execute(sa.text("DROP INDEX ix_mentions_fetched"))
        conn.execute(sa.text("DROP TABLE listening_schema_version"))
    assert "ix_mentions_fetched" not in {ix["name"] for ix in sa.inspect(store.engine).get_indexes("mentions")}
    reopened = Store.open(store_url)
    assert "ix_mentions_fetched" in {ix["name"] for ix in sa.inspect(reopened.engine).get_indexes("mentions")}
    assert reopened.count(mentions) == 5, "adding the index keeps every row"


def test_refreshing_statistics_lets_sqlite_plan_by_table_sizes(home: Path) -> None:
    store = Store.open()
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows([mention(str(i), i) for i in range(5)]))
    store.refresh_statistics()
    with store.engine.connect() as conn:
        analysed = {r[0] for r in conn.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
    assert "mentions" in analysed


def test_the_store_and_the_model_share_one_home_with_tilde_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import listening.nlp.convert as convert
    import listening.nlp.training as training
    from listening.store import database_url, listening_home

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LISTENING_HOME", "~/lh")
    monkeypatch.delenv("LISTENING_DATABASE_URL", raising=False)
    assert convert.listening_home is training.listening_home is listening_home
    assert listening_home() == tmp_path / "lh"
    assert database_url() == f"sqlite:///{tmp_path / 'lh' / 'listening.db'}"
