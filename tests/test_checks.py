"""Operator checks on a real store (pass and fail), Slack once per state change, and failed runs posted once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from dagster_project.checks import post_failed_runs
from dagster_project.resources import SlackResource
from listening.alerts import SqlRepository
from listening.checks import (
    CheckOutcome, Silence, alerts_delivered, announce, mentions_scored, native_ids_unique, record_outcome,
    tasks_not_silent, tasks_succeeded,
)
from listening.mention import Mention
from listening.normalize import keyed
from listening.slack import SlackClient, SlackConfig
from listening.store import Store, check_states, mention_row, mentions, scores
from tests.slack_server import SlackServer
from tests.test_alerts import run, stream

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
FEED = ("rss", "rss:https://acme.example/feed")
NEWS = ("google_news", "google_news:acme:ko")


@pytest.fixture
def store(store_url: str) -> Store:
    """A fresh SQLite file, and a fresh PostgreSQL database."""
    return Store.open(store_url)


def add_mentions(store: Store, task: tuple[str, str], times: list[datetime], *, fetched: datetime | None = None,
                 native: str = "") -> list[dict]:
    rows = []
    for i, t in enumerate(times):
        m = Mention(source=task[0], native_id=native or f"{task[1]}#{t.isoformat()}", url=f"https://x.example/{task[0]}/{i}/{t:%s}",
                    title=f"Acme news {t:%s}", text=f"acme item {i} at {t:%s}", published_at=t, fetched_at=fetched or t,
                    brand="acme", query=task[1])
        k = keyed(m)
        rows.append(mention_row(m, canonical_url=k.canonical_url, title_key=k.title_key, text_hash=k.text_hash,
                                brands=["acme"]))
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows)
    return rows


def test_tasks_succeeded_passes_when_every_task_succeeded_lately(store: Store) -> None:
    record_outcome(store, *FEED, NOW - timedelta(minutes=20))
    record_outcome(store, *NEWS, NOW - timedelta(minutes=10))
    outcome = tasks_succeeded(store, [FEED, NEWS], now=NOW)
    assert outcome.passed and outcome.failing == () and [r["why"] for r in outcome.rows] == ["ok", "ok"]


def test_a_failing_or_never_fetched_task_fails_and_says_why(store: Store) -> None:
    record_outcome(store, *FEED, NOW - timedelta(days=2))
    record_outcome(store, *FEED, NOW - timedelta(hours=3), "FetchError: GET https://acme.example/feed returned HTTP 410")
    record_outcome(store, *FEED, NOW - timedelta(minutes=5), "FetchError: GET https://acme.example/feed returned HTTP 410")
    outcome = tasks_succeeded(store, [FEED, NEWS], now=NOW)
    assert not outcome.passed and outcome.failing == (FEED[1], NEWS[1])
    feed, news = (r["why"] for r in outcome.rows)
    assert feed == f"failing since {NOW - timedelta(hours=3):%Y-%m-%d %H:%M} UTC: FetchError: GET https://acme.example/feed returned HTTP 410"
    assert news == "never fetched" and "HTTP 410" in outcome.summary
    record_outcome(store, *FEED, NOW - timedelta(minutes=1))
    assert tasks_succeeded(store, [FEED], now=NOW).passed


def test_a_task_silent_beyond_its_learned_gap_fails(store: Store) -> None:
    # Six-hourly items until two days ago: allowed gap is max(24 h floor, 3 x 6 h) = 24 h, silent for 48 h.
    add_mentions(store, FEED, [NOW - timedelta(days=12) + timedelta(hours=6 * i) for i in range(41)])
    # Hourly items up to an hour ago: fine.
    add_mentions(store, NEWS, [NOW - timedelta(hours=i) for i in range(1, 30)])
    outcome = tasks_not_silent(store, [FEED, NEWS], now=NOW)
    assert not outcome.passed and outcome.failing == (FEED[1],)
    assert outcome.rows[0]["verdict"] == "silent for 2 d, usually at most 1 d" and outcome.rows[1]["verdict"] == "ok"
    weekly = Silence(floor=timedelta(hours=24))
    assert tasks_not_silent(store, [NEWS], now=NOW + timedelta(hours=20), rule=weekly).passed


def test_a_slow_source_learns_a_longer_gap_and_a_new_one_is_not_judged(store: Store) -> None:
    add_mentions(store, FEED, [NOW - timedelta(days=80) + timedelta(days=7 * i) for i in range(11)])  # weekly blog
    add_mentions(store, NEWS, [NOW - timedelta(days=30), NOW - timedelta(days=20)])
    outcome = tasks_not_silent(store, [FEED, NEWS], now=NOW)
    assert outcome.passed and outcome.rows[0]["allowed_gap"] == "21 d" and outcome.rows[1]["verdict"].startswith("learning")


def test_every_mention_past_the_lookback_is_scored(store: Store) -> None:
    rows = add_mentions(store, FEED, [NOW - timedelta(hours=h) for h in (5, 4, 3)])
    add_mentions(store, NEWS, [NOW - timedelta(minutes=10)])  # inside the look-back: not yet required
    score = {"model_id": "m1", "sentiment": "neutral", "p_negative": 0.1, "p_neutral": 0.8, "p_positive": 0.1,
             "topic": "other", "scored_at": NOW}
    with store.transaction() as conn:
        store.upsert(conn, scores, [{**score, "text_hash": r["text_hash"]} for r in rows[:2]])
    outcome = mentions_scored(store, "m1", now=NOW, lookback=timedelta(hours=1))
    assert not outcome.passed and outcome.failing == (rows[2]["id"],) and outcome.summary.startswith("1 mentions")
    with store.transaction() as conn:
        store.upsert(conn, scores, [{**score, "text_hash": rows[2]["text_hash"]}])
    assert mentions_scored(store, "m1", now=NOW, lookback=timedelta(hours=1)).passed
    assert not mentions_scored(store, "m2", now=NOW, lookback=timedelta(hours=1)).passed


def test_a_native_id_stored_twice_fails(store: Store) -> None:
    add_mentions(store, FEED, [NOW - timedelta(hours=2)], native="t3_abc")
    assert native_ids_unique(store).passed
    row = add_mentions(store, FEED, [NOW - timedelta(hours=1)], native="t3_abc")[0]  # same pair, so the same id
    with store.transaction() as conn:  # what a changed id derivation would leave behind
        store.upsert(conn, mentions, [{**row, "id": "0" * 32}])
    outcome = native_ids_unique(store)
    assert not outcome.passed and outcome.failing == ("rss:t3_abc",) and outcome.rows[0]["copies"] == 2


def test_alerts_not_delivered_after_the_grace_fail_only_with_slack(store: Store) -> None:
    repo = SqlRepository(store)
    [opened] = run(repo, stream()[:455])
    later = opened.updated_at + timedelta(hours=1)
    assert not alerts_delivered(store, ["acme"], now=later, slack=True).passed
    assert alerts_delivered(store, ["acme"], now=opened.updated_at + timedelta(minutes=5), slack=True).passed
    assert alerts_delivered(store, ["other"], now=later, slack=True).passed
    unconfigured = alerts_delivered(store, ["acme"], now=later, slack=False)
    assert unconfigured.passed and "not configured: 1 alert" in unconfigured.summary
    repo.mark_delivered(opened.key, opened.delivery_label, "1.2", "C1")
    assert alerts_delivered(store, ["acme"], now=later, slack=True).passed


def outcome(passed: bool, *failing: str) -> CheckOutcome:
    return CheckOutcome("tasks_succeeded", passed, f"{len(failing)} failing: {', '.join(failing)}", failing)


def test_slack_hears_once_per_change_of_state(store: Store) -> None:
    sequence = [outcome(True), outcome(False, "a"), outcome(False, "a"), outcome(False, "a", "b"), outcome(True),
                outcome(True)]
    with SlackServer() as slack, SlackClient(SlackConfig(webhook_url=slack.webhook_url)) as client:
        posted = [announce(store, "rss_mentions.tasks_succeeded", o, now=NOW + timedelta(minutes=10 * i),
                           post=client.post) for i, o in enumerate(sequence)]
        texts = [m["text"] for m in slack.messages()]
    assert posted == [False, True, False, True, True, False]
    assert [t.split(":")[0] for t in texts] == ["Check rss_mentions.tasks_succeeded FAILED"] * 2 + [
        "Check rss_mentions.tasks_succeeded passes again"]
    assert "2 failing: a, b" in texts[1] and store.count(check_states) == 1


def test_a_change_slack_refused_is_posted_by_the_next_evaluation(store: Store) -> None:
    with SlackServer() as slack:
        config = SlackConfig(webhook_url=slack.webhook_url, max_retries=0)
        with SlackClient(config) as client:
            slack.fail_next(1, status=500)
            assert not announce(store, "mentions.native_ids_unique", outcome(False, "x"), now=NOW, post=client.post)
            assert announce(store, "mentions.native_ids_unique", outcome(False, "x"), now=NOW, post=client.post)
            assert not announce(store, "mentions.native_ids_unique", outcome(False, "x"), now=NOW, post=client.post)
        assert len(slack.messages()) == 1


def test_without_slack_the_state_is_kept_and_nothing_posts(store: Store) -> None:
    assert not announce(store, "c", outcome(False, "x"), now=NOW, post=None)
    with SlackServer() as slack, SlackClient(SlackConfig(webhook_url=slack.webhook_url)) as client:
        assert not announce(store, "c", outcome(False, "x"), now=NOW, post=client.post)
        assert not slack.messages()


@dg.op
def breaks() -> None:
    raise RuntimeError("store unreachable at postgresql://app:hunter2pw@db/listening")


@dg.job
def doomed() -> None:
    breaks()


def test_a_failed_run_is_posted_once() -> None:
    with SlackServer() as slack, dg.instance_for_test() as instance:
        resource = SlackResource(webhook_url=slack.webhook_url)

        def tick(cursor: str | None) -> str | None:
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"slack": resource})
            post_failed_runs.evaluate_tick(context)
            return context.cursor

        cursor = tick(None)  # the first tick starts from now
        assert not doomed.execute_in_process(instance=instance, raise_on_error=False).success
        cursor = tick(cursor)
        cursor = tick(cursor)
        [message] = slack.messages()
    assert message["text"].startswith("Run of doomed failed") and "breaks: RuntimeError: store unreachable" in message["text"]
    assert "hunter2pw" not in str(message)
