"""The crisis path through the real Dagster job: the replay's surge becomes exactly one Slack thread."""

import json
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from dagster_project.definitions import build_defs
from listening.replay import DATA_DIR
from listening.store import Store, alerts
from tests.conftest import NOW
from tests.slack_server import BOT_TOKEN, SlackServer

SOURCES = ("rss_mentions", "google_news_mentions", "hackernews_mentions", "youtube_mentions")


def surge_window(epoch: datetime) -> tuple[datetime, datetime]:
    event = next(e for e in json.loads((DATA_DIR / "labels.json").read_text())["events"] if e["kind"] == "crisis")
    return epoch + timedelta(seconds=event["start_offset_s"]), epoch + timedelta(seconds=event["end_offset_s"])


def run_cycle(instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch, at: datetime) -> dg.ExecuteInProcessResult:
    monkeypatch.setenv("LISTENING_REPLAY_NOW", at.isoformat())
    # built after the Slack variables are set, as `dagster dev` started with them set would bind them
    result = build_defs().resolve_job_def("listening_cycle").execute_in_process(instance=instance)
    assert result.success
    return result


@pytest.mark.slow
def test_the_replay_surge_becomes_one_slack_thread_within_a_minute(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    epoch = NOW.replace(minute=0, second=0, microsecond=0)
    start, end = surge_window(epoch)
    monkeypatch.setenv("LISTENING_REPLAY_EPOCH", epoch.isoformat())
    with SlackServer() as slack, dg.instance_for_test() as instance:
        monkeypatch.setenv("LISTENING_SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("LISTENING_SLACK_CHANNEL", "#brand-alerts")
        monkeypatch.setenv("LISTENING_SLACK_BASE_URL", slack.api_url)

        run_cycle(instance, monkeypatch, start - timedelta(minutes=15))
        assert slack.messages() == [], "two quiet weeks must not page anyone"

        result = run_cycle(instance, monkeypatch, start + timedelta(minutes=40))
        ingest_done = max(entry.timestamp for entry in instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
                          if entry.step_key in SOURCES)
        opened = slack.received[0] if slack.received else None
        assert opened is not None, "the surge must page within 40 minutes of its labelled start (its first negative post comes 15 minutes in)"
        latency = opened.at - ingest_done
        print(f"\ningest finished -> Slack post: {latency:.1f} s")
        assert latency <= 60

        for hours in (2, 3, 4):
            run_cycle(instance, monkeypatch, start + timedelta(hours=hours))
        run_cycle(instance, monkeypatch, end + timedelta(hours=10))

    messages = slack.messages()
    root, replies = messages[0], messages[1:]
    assert "thread_ts" not in root or not root["thread_ts"]
    assert "orbitly" in root["text"].casefold()
    assert replies, "updates and the resolution go to the thread"
    assert {r.get("thread_ts") for r in replies} == {"1700000000.000001"}
    assert "resolved" in replies[-1]["text"].casefold()
    assert any("resolved" not in r["text"].casefold() for r in replies), "at least one update before the resolution"

    with Store.open().engine.connect() as conn:
        stored = conn.execute(sa.select(alerts.c.brand, alerts.c.state)).all()
    assert stored == [("orbitly", "resolved")], "one episode, and no alert for anyone else"
