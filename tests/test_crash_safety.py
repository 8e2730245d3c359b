"""Crash safety: the pipeline process is SIGKILLed mid-ingest, mid-scoring, mid-detection and mid-delivery, then
restarted; nothing is lost, nothing is duplicated, and every Slack post is made exactly once.

Each kill point is found by watching real progress (cursor rows, score rows, alert rows, a message Slack has
accepted but not yet answered), never by a hook in the product. Ingest kill points are drawn with a fixed seed.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from listening.enrich import pending_texts
from listening.store import Store, alerts, cursors, mentions, scores
from tests.slack_server import BOT_TOKEN, SlackServer

REPLAY_NOW = "2026-11-20T12:00:00+00:00"
SEED = 20261120
CHANNEL = "C0ALERTS01"  # a channel id, as Slack shows it in the channel's details


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(home: Path, argv: list[str], **env: str) -> subprocess.Popen:
    """The pipeline as its own process group (Dagster's step processes die with it)."""
    full = {**os.environ, "LISTENING_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
            "LISTENING_REPLAY_NOW": REPLAY_NOW, **env}
    full.pop("LISTENING_CONFIG", None)
    full.pop("LISTENING_DATABASE_URL", None)
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(argv, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float = 300) -> None:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out.decode(errors="replace")[-3000:]


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float = 120) -> None:
    """SIGKILL the whole process group as soon as ``ready()`` holds (and reap it, so its pid is gone)."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run ended before the kill point: " + proc.stdout.read().decode(errors="replace")[-2000:]
        assert time.monotonic() < deadline, "the kill point was never reached"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def count(db: Path, table: sa.Table) -> int:
    """Rows in a table of a store another process is writing; 0 while it does not exist yet."""
    if not db.exists():
        return 0
    engine = sa.create_engine(f"sqlite:///{db}", connect_args={"timeout": 30})
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
    except sa.exc.OperationalError:
        return 0
    finally:
        engine.dispose()


def fetch(home: Path, port: int, *args: str) -> subprocess.Popen:
    return spawn(home, [sys.executable, "-m", "listening.cli", "fetch", "-q", *args], LISTENING_REPLAY_PORT=str(port))


def ids_by_task(store: Store) -> dict[tuple[str, str], set[str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(mentions.c.source, mentions.c.query, mentions.c.id)).all()
    out: dict[tuple[str, str], set[str]] = {}
    for source, query, id_ in rows:
        out.setdefault((source, query), set()).add(id_)
    return out


@pytest.mark.slow
def test_ingest_killed_at_seeded_points_keeps_cursors_in_step_with_stored_mentions(tmp_path: Path) -> None:
    port = free_port()
    finish(fetch(tmp_path / "clean", port))
    clean = Store.open(f"sqlite:///{tmp_path / 'clean' / 'listening.db'}")
    expected = ids_by_task(clean)
    tasks = clean.count(cursors)
    kill_points = sorted(random.Random(SEED).sample(range(1, tasks - 1), 3))

    home = tmp_path / "killed"
    db = home / "listening.db"
    for point in kill_points:
        kill_when(fetch(home, port), lambda: count(db, cursors) >= point)
        killed = Store.open(f"sqlite:///{db}")
        assert killed.count(cursors) < tasks, "the kill should land mid-run"
        with killed.engine.connect() as conn:
            committed = {(s, k) for s, k in conn.execute(sa.select(cursors.c.source, cursors.c.key))}
        stored = ids_by_task(killed)
        for task in committed:
            assert stored.get(task, set()) == expected.get(task, set()), f"cursor of {task} moved without all its mentions"
        assert set(stored) <= committed, "mentions stored for a task whose cursor did not move"

    finish(fetch(home, port))
    ids = [r[0] for r in Store.open(f"sqlite:///{db}").engine.connect().execute(sa.select(mentions.c.id))]
    assert len(ids) == len(set(ids))
    assert ids_by_task(Store.open(f"sqlite:///{db}")) == expected


SCORE_SCRIPT = """
from listening.enrich import score_pending
from listening.nlp.scoring import get_scorer
from listening.store import Store

score_pending(Store.open(), get_scorer(), chunk=32)
"""


@pytest.mark.slow
def test_scoring_killed_after_a_committed_chunk_resumes_without_rescoring(tmp_path: Path) -> None:
    home = tmp_path / "home"
    finish(fetch(home, free_port(), *(f"--source={kind}" for kind in ("rss", "youtube", "mastodon", "bluesky"))))
    store = Store.open(f"sqlite:///{home / 'listening.db'}")
    with store.engine.connect() as conn:
        texts = conn.execute(sa.select(sa.func.count(sa.distinct(mentions.c.text_hash)))).scalar_one()
    score = [sys.executable, "-c", SCORE_SCRIPT]  # what the scored_mentions asset runs, in small chunks

    kill_when(spawn(home, score), lambda: store.count(scores) > 0, timeout=240)
    with store.engine.connect() as conn:
        before = dict(conn.execute(sa.select(scores.c.text_hash, scores.c.scored_at)).all())
    assert 0 < len(before) < texts, "the kill should land between two committed chunks"

    finish(spawn(home, score))
    with store.engine.connect() as conn:
        after = dict(conn.execute(sa.select(scores.c.text_hash, scores.c.scored_at)).all())
        model = conn.execute(sa.select(scores.c.model_id).distinct()).scalars().all()
    assert len(after) == texts and len(model) == 1
    assert pending_texts(store, model[0]) == []
    assert {h: after[h] for h in before} == before, "texts scored before the kill are not scored again"


MODEL = "crash-test-model"
T0 = datetime(2026, 11, 2, tzinfo=timezone.utc)
SURGE = T0 + timedelta(days=8, hours=10)
CYCLES = [SURGE - timedelta(minutes=15), SURGE + timedelta(minutes=45), SURGE + timedelta(hours=3),
          SURGE + timedelta(hours=9)]
CYCLE_SCRIPT = """
import sys
from datetime import datetime
from listening.alerts import SqlRepository, deliver
from listening.config import load_config
from listening.slack import SlackClient
from listening.store import Store
from listening.watch import watch

config, store = load_config(sys.argv[1]), Store.open()
for at in sys.argv[3:]:
    watch(config, store, sys.argv[2], now=datetime.fromisoformat(at))
    with SlackClient.from_env() as slack:
        deliver(SqlRepository(store), slack, brands={b.key for b in config.brands if b.own})
"""


def seed_scored_mentions(store: Store) -> None:
    """Eight quiet days of scored mentions of Orbitly, then a two-stage negative surge that dies down."""
    rng = np.random.default_rng(SEED)
    rows, score_rows = [], []
    step = timedelta(minutes=15)
    for i in range(int((CYCLES[-1] - T0) / step)):
        at = T0 + i * step
        hours = (at - SURGE) / timedelta(hours=1)
        negative = 25 if 0 <= hours < 1 else 70 if 1 <= hours < 3 else int(rng.poisson(1.5))
        for j in range(negative + int(rng.poisson(3))):
            n = len(rows)
            lang = "de" if j % 3 == 0 and hours >= 1 else "en"
            rows.append({
                "id": f"m{n:08d}", "source": "hackernews" if j % 2 else "rss", "native_id": str(n),
                "url": f"https://news.example/{n}", "canonical_url": f"news.example/{n}", "title_key": f"t{n}",
                "text_hash": f"h{n:08d}", "title": "", "text": f"orbitly app login outage report {n}", "lang": lang,
                "published_at": at + timedelta(seconds=j), "fetched_at": at, "author": "someone", "brand": "orbitly",
                "brands": "orbitly", "query": "orbitly", "is_own": False, "raw": "{}",
            })
            sentiment = "negative" if j < negative else "neutral"
            score_rows.append({"text_hash": f"h{n:08d}", "model_id": MODEL, "sentiment": sentiment,
                               "p_negative": 0.9 if j < negative else 0.1, "p_neutral": 0.1, "p_positive": 0.0,
                               "topic": "outage", "scored_at": at})
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows)
        store.upsert(conn, scores, score_rows)


def slack_thread(slack: SlackServer) -> list[tuple[str, bool]]:
    """What people saw in Slack: each message's text, and whether it went into the alert's thread."""
    messages = slack.messages()
    roots = {m["_ts"] for m in messages if not m.get("thread_ts")}
    assert all(m["thread_ts"] in roots for m in messages if m.get("thread_ts"))
    return [(m["text"], bool(m.get("thread_ts"))) for m in messages]


@pytest.mark.slow
def test_detection_and_delivery_killed_mid_post_leave_each_slack_post_made_once(tmp_path: Path) -> None:
    config = tmp_path / "listening.yaml"
    config.write_text("brands:\n  - {key: orbitly, name: Orbitly, own: true}\n")

    def run(home: Path, slack: SlackServer) -> subprocess.Popen:
        """One crisis-watch run over the cycles (what the crisis_signals and crisis_alerts assets do)."""
        return spawn(home, [sys.executable, "-c", CYCLE_SCRIPT, str(config), MODEL, *(c.isoformat() for c in CYCLES)],
                     LISTENING_SLACK_BOT_TOKEN=BOT_TOKEN, LISTENING_SLACK_CHANNEL=CHANNEL,
                     LISTENING_SLACK_BASE_URL=slack.api_url)

    with SlackServer() as slack:
        home = tmp_path / "clean"
        seed_scored_mentions(Store.open(f"sqlite:///{home / 'listening.db'}"))
        finish(run(home, slack))
    expected = slack_thread(slack)
    assert [thread for _, thread in expected] == [False] + [True] * (len(expected) - 1)
    assert len(expected) >= 3 and "resolved" in expected[-1][0].casefold(), "opened, updated at least once, resolved"

    home = tmp_path / "killed"
    store = Store.open(f"sqlite:///{home / 'listening.db'}")
    seed_scored_mentions(store)
    with SlackServer(reply_delay=60) as slack:
        kill_when(run(home, slack), lambda: store.count(alerts) > 0)
        kill_when(run(home, slack), lambda: len(slack.messages()) >= 1)
        kill_when(run(home, slack), lambda: len(slack.messages()) >= 2)
        slack.reply_delay = 0
        finish(run(home, slack))
        finish(run(home, slack))
        assert slack_thread(slack) == expected
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(alerts.c.state, alerts.c.delivered_state, alerts.c.claimed_by)).all()
    assert rows == [("resolved", "resolved", None)]
