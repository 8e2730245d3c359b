"""Retention on real SQLite and PostgreSQL stores: old raw payloads and mentions go, aggregates stay."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from dagster_project.assets.retention import data_retention
from dagster_project.resources import ListeningResource, wired
from listening.config import ListeningConfig, Retention, load_config
from listening.errors import ConfigError
from listening.ingest import _store_result, IngestReport, TaskReport
from listening.mention import Mention
from listening.normalize import keyed
from listening.retention import EMPTY_RAW, apply_retention
from listening.sources.base import Cursor, FetchResult
from listening.sources.plan import plan_tasks
from listening.store import (Store, alerts, brand_hourly, detector_state, mention_row, mentions, scores,
                             skipped_items)
from listening.timeseries import rebuild_window

NOW = datetime(2026, 11, 25, 7, 42, tzinfo=timezone.utc)
RETENTION = Retention(raw_days=7, mention_days=30)
CONFIG = """
brands:
  - key: acme
    name: Acme
    own: true
    sources: {hackernews: [{query: acme}]}
retention: {raw_days: 7, mention_days: 30}
"""


def mention(i: int, days_ago: float, brand: str = "acme") -> Mention:
    return Mention(source="hackernews", native_id=str(i), url=f"https://news.ycombinator.com/item?id={i}", title="",
                   text=f"Acme comment number {i}", published_at=NOW - timedelta(days=days_ago),
                   fetched_at=NOW - timedelta(days=days_ago) + timedelta(minutes=5), brand=brand, lang="en",
                   raw={"objectID": str(i), "author": "someone"})


def store_mentions(store: Store, ms: list[Mention]) -> None:
    rows = []
    for m in ms:
        k = keyed(m)
        rows.append(mention_row(m, canonical_url=k.canonical_url, title_key=k.title_key, text_hash=k.text_hash, brands=[m.brand]))
    score_rows = [{"text_hash": r["text_hash"], "model_id": "m", "sentiment": "neutral", "p_negative": 0.1, "p_neutral": 0.8,
                   "p_positive": 0.1, "topic": "t", "scored_at": NOW} for r in rows]
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows)
        store.upsert(conn, scores, score_rows)


def hourly_totals(store: Store) -> dict[tuple[str, str], int]:
    with store.engine.connect() as conn:
        q = sa.select(brand_hourly.c.brand, brand_hourly.c.hour, sa.func.sum(brand_hourly.c.mentions)).group_by(
            brand_hourly.c.brand, brand_hourly.c.hour)
        return {(b, (h if h.tzinfo else h.replace(tzinfo=timezone.utc)).isoformat()): int(n) for b, h, n in conn.execute(q)}


@pytest.fixture
def history(store_url: str) -> Store:
    """60 days of mentions, two per day (one per brand); hourly counts materialised for the last 10 days only."""
    store = Store.open(store_url)
    store_mentions(store, [mention(i, i / 2, "acme" if i % 2 else "rival") for i in range(120)])
    rebuild_window(store, NOW - timedelta(days=10), NOW)
    with store.transaction() as conn:
        store.upsert(conn, alerts, [{"key": "acme:old", "brand": "acme", "state": "resolved", "severity": "high",
                                     "opened_at": NOW - timedelta(days=50), "updated_at": NOW - timedelta(days=49),
                                     "window_start": NOW - timedelta(days=50), "window_end": NOW - timedelta(days=49),
                                     "payload": json.dumps({"posts": []})}])
        store.upsert(conn, detector_state, [{"key": "crisis:acme", "state": "{}", "updated_at": NOW - timedelta(days=40)}])
        store.upsert(conn, skipped_items, [
            {"source": "hackernews", "key": "k", "fingerprint": f"f{d}", "reason": "empty", "detail": "deleted comment",
             "first_seen": NOW - timedelta(days=d), "last_seen": NOW - timedelta(days=d)} for d in (1, 45)])
    return store


def test_old_mentions_go_and_every_hour_is_still_counted(history: Store) -> None:
    store = history
    rebuild_window(store, NOW - timedelta(days=61), NOW)
    expected = hourly_totals(store)
    assert sum(expected.values()) == 120

    report = apply_retention(store, RETENTION, now=NOW)

    assert report.mentions_deleted == 120 - 61  # published 30 days ago or later stay (i / 2 <= 30)
    assert store.count(mentions) == 61
    assert report.scores_deleted == 59 and store.count(scores) == 61
    assert report.skipped_deleted == 1 and store.count(skipped_items) == 1
    assert hourly_totals(store) == expected
    assert store.count(alerts) == 1 and store.count(detector_state) == 1
    with store.engine.connect() as conn:
        raws = dict(conn.execute(sa.select(mentions.c.native_id, mentions.c.raw)).all())
    assert all((raws[str(i)] == EMPTY_RAW) == (i / 2 > 7) for i in range(61)), "raw kept for 7 days, cleared after"
    assert json.loads(raws["2"])["author"] == "someone"


def test_hours_never_materialised_are_counted_before_their_mentions_go(history: Store) -> None:
    store = history
    before = hourly_totals(store)
    assert sum(before.values()) == 21  # only the last 10 days were ever materialised
    report = apply_retention(store, RETENTION, now=NOW)
    after = hourly_totals(store)
    assert report.mentions_deleted == 59
    assert sum(after.values()) == 21 + 59  # the days in between keep their mentions for a later rebuild
    assert {k: v for k, v in after.items() if k in before} == before


def test_a_later_timeseries_rebuild_cannot_erase_pruned_hours(history: Store) -> None:
    store = history
    apply_retention(store, RETENTION, now=NOW)
    counted = hourly_totals(store)
    frame = rebuild_window(store, NOW - timedelta(days=61), NOW)
    after = hourly_totals(store)
    assert {k: v for k, v in after.items() if k in counted} == counted
    assert sum(after.values()) == int(frame["mentions"].sum()) == 120


def test_retention_twice_changes_nothing_and_expired_items_are_not_stored_again(history: Store) -> None:
    store = history
    apply_retention(store, RETENTION, now=NOW)
    counted = hourly_totals(store)
    again = apply_retention(store, RETENTION, now=NOW)
    assert (again.mentions_deleted, again.raw_cleared, again.scores_deleted) == (0, 0, 0)

    config = ListeningConfig.model_validate({"brands": [{"key": "acme", "name": "Acme", "sources": {"hackernews": [{"query": "acme"}]}}]})
    task = plan_tasks(config)[0]
    old, fresh = mention(500, 45, ""), mention(501, 1, "")
    task_report = TaskReport(task.source, task.key, task.brand)
    _store_result(config, store, task, FetchResult(mentions=[old, fresh], skipped=[], cursor=Cursor()), task_report,
                  IngestReport(), NOW)
    assert (task_report.new, task_report.expired) == (1, 1)
    apply_retention(store, RETENTION, now=NOW)
    assert hourly_totals(store) == counted, "the expired item was neither stored nor counted a second time"
    assert store.count(mentions) == 62


def test_without_a_setting_nothing_is_deleted(history: Store) -> None:
    report = apply_retention(history, Retention(), now=NOW)
    assert (report.mentions_deleted, report.raw_cleared) == (0, 0)
    assert history.count(mentions) == 120


def test_the_setting_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.replace("raw_days: 7", "raw_days: 90"))
    with pytest.raises(ConfigError, match="raw_days cannot exceed mention_days"):
        load_config(path)
    path.write_text(CONFIG.replace("raw_days: 7", "raw_days: 0"))
    with pytest.raises(ConfigError, match="retention.raw_days"):
        load_config(path)
    path.write_text(CONFIG.replace("raw_days: 7", "keep_days: 7"))
    with pytest.raises(ConfigError, match="retention.keep_days: unknown field"):
        load_config(path)


def test_the_cycle_step_prunes_with_the_configured_setting(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = home.parent / "listening.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv("LISTENING_REPLAY_NOW", NOW.isoformat())
    store = Store.open()
    store_mentions(store, [mention(i, i * 3) for i in range(20)])
    result = dg.materialize([data_retention], resources=wired(ListeningResource(config_path=str(path))))
    assert result.success
    meta = result.asset_materializations_for_node("data_retention")[0].metadata
    assert meta["mentions_deleted"].value == 9 and meta["raw_cleared"].value == 8
    assert meta["hours_counted_before_deleting"].value == 9
    assert store.count(mentions) == 11
