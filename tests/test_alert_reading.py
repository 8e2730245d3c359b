"""On-call can read a whole alert without Slack: `listening alerts` in the terminal, `crisis_alerts` metadata in the UI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets.crisis import crisis_alerts
from dagster_project.resources import ListeningResource, wired
from listening.alerts import AlertLifecycle, Post, SqlRepository
from listening.cli import main
from listening.store import Store
from tests.slack_server import SlackServer
from tests.test_alerts import CFG, stream

HOSTILE = Post(url="https://evil.example/x", text="<!channel> [click](javascript:alert(1)) \u202eexe.txt *deal*",
               author="eve_x", source="hackernews", reach=10**6)
SLACK_VARS = ("LISTENING_SLACK_WEBHOOK_URL", "LISTENING_SLACK_BOT_TOKEN", "LISTENING_SLACK_CHANNEL", "LISTENING_UI_URL")


@pytest.fixture
def episode(home: Path, monkeypatch: pytest.MonkeyPatch):
    """One resolved surge of the demo's own brand in a fresh store, never posted anywhere."""
    for var in SLACK_VARS:
        monkeypatch.delenv(var, raising=False)
    buckets = stream()
    buckets[460] = replace(buckets[460], posts=(*buckets[460].posts, HOSTILE))
    return AlertLifecycle("orbitly", SqlRepository(Store.open()), CFG).observe_many(buckets)[-1]


def test_the_terminal_lists_alerts_and_shows_one_whole(episode, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "--brand", "orbitly"]) == 0
    listed = capsys.readouterr().out
    header, row = listed.splitlines()
    assert header.split()[:3] == ["opened", "(UTC)", "brand"]
    assert all(x in row for x in ("orbitly", "critical", "resolved", f"{episode.explanation.peak_ratio:.1f}x", "4 h 45 min", episode.key))

    assert main(["alerts", "--state", "open"]) == 0
    assert capsys.readouterr().out.strip() == "no crisis alerts match"

    assert main(["alerts", "show", episode.key]) == 0
    shown = capsys.readouterr().out
    e = episode.explanation
    for fact in (f"**{e.peak_ratio:.1f}×** normal negative volume, 90 vs ~", "per 15 min at 2024-05-10 18:00 UTC",
                 "lasted 4 h 45 min", f"{e.total:,} negative mentions", "severity critical because: peak",
                 "- timeline (negative mentions per 15 min", "- languages: en (", "de (140)", "- sources: ",
                 "- top terms: outage", "https://news.example/"):
        assert fact in shown, fact
    assert "eve_x · hackernews · reach 1,000,000: <!channel> [click](javascript:alert(1)) exe.txt *deal*" in shown, \
        "the terminal shows what was written, minus disguising characters"


def test_an_unknown_key_is_one_clear_line(episode, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "show", "orbitly:nope"]) == 2
    err = capsys.readouterr().err
    assert "no alert with key 'orbitly:nope'" in err and "Traceback" not in err


def test_the_crisis_alerts_asset_shows_the_whole_explanation_in_its_metadata(episode) -> None:
    result = dg.materialize([crisis_alerts], resources=wired(ListeningResource()))
    meta = {k: v.value for k, v in result.asset_materializations_for_node("crisis_alerts")[0].metadata.items()}
    e = episode.explanation
    assert meta["slack"] == "not configured" and meta["open_alerts"] == 0
    assert episode.key in meta["recent_alerts"] and f"{e.peak_ratio:.1f}x" in meta["recent_alerts"]
    details = meta["alert_details"]
    for fact in (f"**{e.peak_ratio:.1f}×**", "lasted 4 h 45 min", "- timeline", "- languages: en", "- sources: rss",
                 "](https://news.example/"):
        assert fact in details, fact
    assert "<!channel>" not in details and "\\<\\!channel\\>" in details, "text from the web stays inert in Markdown"
    assert "](javascript:" not in details and "\u202e" not in details and "](https://evil.example/x)" in details


def test_slack_posts_link_to_the_ui_when_its_address_is_set(episode, monkeypatch: pytest.MonkeyPatch) -> None:
    with SlackServer() as slack:
        monkeypatch.setenv("LISTENING_SLACK_WEBHOOK_URL", slack.webhook_url)
        monkeypatch.setenv("LISTENING_UI_URL", "http://dagster.example:3000")
        result = dg.materialize([crisis_alerts], resources=wired(ListeningResource()))
        [message] = slack.messages()
    meta = result.asset_materializations_for_node("crisis_alerts")[0].metadata
    assert meta["posted_now"].value == 1
    body = json.dumps(message["blocks"])
    assert message["text"].startswith("Negative spike (over): orbitly (critical)")
    assert "<http://dagster.example:3000/assets/crisis_alerts|" in body
