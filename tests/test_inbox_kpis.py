"""Responsiveness KPIs equal plain SQL over the store; reminders go to a local Slack stand-in once per item."""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from listening.http import HttpClient
from listening.inbox import items, send_reminders, send_summary, weekly_kpis
from listening.mention import mention_id
from listening.normalize import text_hash
from listening.slack import SlackClient, SlackConfig
from listening.store import Store, inbox_notices, intents, thread_items
from tests.conftest import NOW
from tests.fault_server import FaultServer, fault_server  # noqa: F401
from tests.inbox_world import read_world, write_config

sys.path.insert(0, str(Path(__file__).parent))
from slack_server import BOT_TOKEN, SlackServer  # noqa: E402

UTC = timezone.utc
MODEL = "kpi-test-model"
KPI_NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
WEEK_START, WEEK_END = datetime(2026, 11, 22, 15, tzinfo=UTC), datetime(2026, 11, 29, 15, tzinfo=UTC)  # W48 in Seoul


def _seed(store: Store) -> None:
    """Items of three brands around ISO week 2026-W48, with intents as the scorer writes them."""
    rnd = random.Random(21)
    rows, labels = [], []
    for n in range(90):
        brand = ("acme", "rival", "rival", "other")[n % 4]
        at = datetime(2026, 11, 21, tzinfo=UTC) + timedelta(minutes=rnd.randrange(0, 10 * 24 * 60))
        answer = at + timedelta(minutes=rnd.randrange(30, 40 * 60)) if rnd.random() < 0.6 else None
        deleted = at + timedelta(hours=1) if rnd.random() < 0.1 else None
        text = f"item {n}"
        rows.append({"id": mention_id("bluesky", f"at://x/{n}"), "root_id": "r" * 32, "brand": brand, "platform": "bluesky",
                     "native_id": f"at://x/{n}", "parent_native_id": None, "url": f"https://bsky.app/x/{n}",
                     "author": "acme.bsky.social" if n % 13 == 0 and brand == "acme" else f"user{n}.bsky.social",
                     "author_followers": None, "by_brand": n % 13 == 0 and brand == "acme", "text": text,
                     "text_hash": text_hash("", text), "lang": "en", "published_at": at, "fetched_at": at,
                     "answered_at": answer if answer and answer < KPI_NOW else None, "answered_by": "x" if answer else None,
                     "deleted_at": deleted})
        labels.append({"text_hash": text_hash("", text), "model_id": MODEL, "scored_at": at,
                       "intents": rnd.choice(["question", "complaint", "complaint,request", "praise", "other", "request"])})
    with store.transaction() as conn:
        store.upsert(conn, thread_items, rows)
        store.upsert(conn, intents, labels)


def _sql(store: Store, brand: str) -> tuple[int, int, list[float], int]:
    """Needing, answered, hours to answer and SLA (24 h) breaches for ``brand``'s W48 items, in plain SQL."""
    if store.dialect == "sqlite":
        waited = "(julianday(t.answered_at) - julianday(t.published_at)) * 24"
        late = "(julianday(coalesce(t.answered_at, :now)) - julianday(t.published_at)) * 24 > 24"
        now = KPI_NOW.strftime("%Y-%m-%d %H:%M:%S.000000")
    else:
        waited = "extract(epoch from t.answered_at - t.published_at) / 3600"
        late = "coalesce(t.answered_at, :now) - t.published_at > interval '24 hours'"
        now = KPI_NOW
    base = """FROM thread_items t JOIN intents i ON i.text_hash = t.text_hash AND i.model_id = :model
               WHERE t.brand = :brand AND NOT t.by_brand AND t.published_at >= :start AND t.published_at < :end
               AND (i.intents LIKE '%question%' OR i.intents LIKE '%complaint%' OR i.intents LIKE '%request%')
               AND (t.deleted_at IS NULL OR t.answered_at IS NOT NULL)"""
    params = {"model": MODEL, "brand": brand, "start": WEEK_START, "end": WEEK_END, "now": now}
    with store.engine.connect() as conn:
        needing = conn.execute(sa.text(f"SELECT count(*) {base}"), params).scalar_one()
        hours = [float(h) for h in conn.execute(sa.text(f"SELECT {waited} {base} AND t.answered_at IS NOT NULL"), params).scalars()]
        breaches = conn.execute(sa.text(f"SELECT count(*) {base} AND {late}"), params).scalar_one()
    return needing, len(hours), hours, breaches


def test_kpis_equal_plain_sql_counts(store_url: str, tmp_path: Path) -> None:
    store = Store.open(store_url)
    config = write_config(tmp_path, "http://127.0.0.1:9")
    _seed(store)

    rows = {k.brand: k for k in weekly_kpis(store, config, MODEL, "2026-W48", now=KPI_NOW)}

    assert list(rows) == ["acme", "rival"]  # own brand first; "other" is no configured brand
    for brand, k in rows.items():
        needing, answered, hours, breaches = _sql(store, brand)
        assert (k.needing, k.answered, k.breaches) == (needing, answered, breaches), brand
        assert needing > 5 and 0 < answered < needing
        assert k.median_hours == pytest.approx(float(np.median(hours)), abs=0.01)
        assert k.p90_hours == pytest.approx(float(np.percentile(hours, 90)), abs=0.01)
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            p90 = conn.execute(sa.text("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch from "
                                       "answered_at - published_at) / 3600) FROM thread_items t JOIN intents i ON "
                                       "i.text_hash = t.text_hash WHERE brand = 'acme' AND NOT by_brand AND "
                                       "published_at >= :s AND published_at < :e AND answered_at IS NOT NULL AND "
                                       "i.intents NOT IN ('praise', 'other')"), {"s": WEEK_START, "e": WEEK_END}).scalar_one()
        assert rows["acme"].p90_hours == pytest.approx(float(p90), abs=0.01)


def test_reminders_are_grouped_escaped_and_sent_once_per_item(store_url: str, tmp_path: Path, fault_server: FaultServer,
                                                              client: HttpClient) -> None:
    world = read_world(Store.open(store_url), tmp_path, fault_server, client, now=NOW)
    store, config = world.store, world.config
    hostile = "<!channel> *free* refund? <https://evil.test|click>"
    with store.transaction() as conn:
        store.upsert(conn, thread_items, [{
            "id": "f" * 32, "root_id": "r" * 32, "brand": "acme", "platform": "bluesky", "native_id": "at://h/1",
            "parent_native_id": None, "url": "https://bsky.app/profile/h/post/1", "author": "mallory.bsky.social",
            "author_followers": 10, "by_brand": False, "text": hostile, "text_hash": text_hash("", hostile), "lang": "en",
            "published_at": datetime(2026, 11, 25, 10, tzinfo=UTC), "fetched_at": NOW, "answered_at": None,
            "answered_by": None, "deleted_at": None}])
    at = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # bob (09:00) and mallory (10:00) breach tomorrow within 4 h

    with SlackServer() as slack:
        cfg = SlackConfig(bot_token=BOT_TOKEN, channel="C1", base_url=slack.api_url, max_retries=0)
        with SlackClient(cfg) as sc:
            slack.fail_next(1)
            failed = send_reminders(store, sc, config, items(store, config, MODEL, now=at), now=at)
            assert failed.failed and not failed.reminded  # the stand-in answered 500: claims released
            first = send_reminders(store, sc, config, items(store, config, MODEL, now=at), now=at)
            again = send_reminders(store, sc, config, items(store, config, MODEL, now=at), now=at)
            later = at + timedelta(hours=2)
            third = send_reminders(store, sc, config, items(store, config, MODEL, now=later), now=later)
            report = third
            send_summary(store, sc, config, items(store, config, MODEL, now=later), now=later, report=report)
            send_summary(store, sc, config, items(store, config, MODEL, now=later), now=later, report=report)
        messages = slack.messages()

    assert sorted(first.reminded) == sorted(it.id for it in first.due) and len(first.reminded) == 2
    assert again.reminded == [] and again.already == 2 and third.reminded == []
    reminder, summary = messages
    assert reminder["text"].startswith("2 inbox items will breach the 24 h SLA within 4 h")
    body = str(reminder["blocks"])
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body and "<https://evil.test|" not in body
    assert "bob.bsky.social" in body and "acme" not in body.replace("Acme", "")
    assert summary["text"].startswith("Inbox this morning: 3 open")  # 15:30 in Seoul, past the 09:00 summary hour
    assert report.summary == "summary:2026-11-26"
    with store.engine.connect() as conn:
        keys = sorted(conn.execute(sa.select(inbox_notices.c.key)).scalars())
    assert keys == sorted([f"due:{i}" for i in first.reminded] + ["summary:2026-11-26"])


def test_the_weekly_digest_has_a_responsiveness_section(home: Path, tmp_path: Path) -> None:
    from listening.digest import build_digest, write_digest

    store = Store.open()
    config = write_config(tmp_path, "http://127.0.0.1:9")
    _seed(store)
    digest = build_digest(store, config, "2026-W48", MODEL)
    md = write_digest(digest, tmp_path / "out").html.with_suffix(".md").read_text(encoding="utf-8")
    assert "Responsiveness" in write_digest(digest, tmp_path / "out").html.read_text(encoding="utf-8")
    section = md.split("## Responsiveness", 1)[1].split("## ", 1)[0]
    expected = {k.brand: k for k in weekly_kpis(store, config, MODEL, "2026-W48", now=datetime(2026, 11, 30, 15, tzinfo=UTC))}
    acme, rival = expected["acme"], expected["rival"]
    assert f"| **Acme** | {acme.needing} | {acme.answered_share:.1%} | {acme.median_hours:.1f} | {acme.p90_hours:.1f} | {acme.breaches} |" in section
    assert f"| Rival | {rival.needing} | {rival.answered_share:.1%} |" in section
    assert "SLA 24 h" in section
    assert digest.key_figures()["answered_share"]["acme"] == round(acme.answered_share, 4)
    empty = build_digest(Store.open(f"sqlite:///{tmp_path / 'empty.db'}"), config, "2026-W48", MODEL)
    again = write_digest(empty, tmp_path / "empty").html.with_suffix(".md").read_text(encoding="utf-8")
    assert "No conversations were read for this week" in again
