"""The weekly digest on Slack, over real HTTP against the local Slack stand-in.

Bot mode posts the headline findings and shares the HTML file in that message's
thread; webhook mode posts the findings with a link. Each week is posted once,
a failed post never fails the asset: the week stays pending, the retry schedule
asks for it, and the next run posts it (an upload without a second message). No
token or webhook URL reaches metadata, logs or errors.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

import dagster_project.assets.digest as digest_asset
from dagster_project.resources import ListeningResource, ModelResource, wired
from dagster_project.schedules import digest_slack_retry
from listening.digest import build_digest, pending_weeks, post_digest, write_digest
from listening.errors import DeliveryError
from listening.slack import SlackClient, SlackConfig
from tests.slack_server import BOT_TOKEN, WEBHOOK_PATH, SlackServer, channel_id
from tests.test_digest_fixtures import MODEL, config, open_store, populate

WEEK_KEY = "2026-11-09"  # ISO week 2026-W46 in the fixture store
SLACK_VARS = ("LISTENING_SLACK_WEBHOOK_URL", "LISTENING_SLACK_BOT_TOKEN", "LISTENING_SLACK_CHANNEL",
              "LISTENING_SLACK_BASE_URL", "LISTENING_DIGEST_BASE_URL")


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The fixture store and config behind the digest asset, no Slack configured yet."""
    monkeypatch.setenv("LISTENING_HOME", str(tmp_path / "home"))
    for var in SLACK_VARS:
        monkeypatch.delenv(var, raising=False)
    store = open_store(tmp_path)
    populate(store)
    path = tmp_path / "listening.yaml"
    path.write_text("project: {name: acme-listening}\nbrands:\n  - {key: acme, name: Acme, own: true}\n"
                    "  - {key: rival, name: Rival}\n  - {key: other, name: Other Co}\n", encoding="utf-8")
    monkeypatch.setattr(ModelResource, "model_id", lambda self: MODEL)
    resource = ListeningResource(config_path=str(path), database_url=str(store.engine.url))
    return SimpleNamespace(store=store, resource=resource, html=tmp_path / "home" / "digests" / "digest-2026-W46.html")


def materialize(setup: SimpleNamespace, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize([digest_asset.weekly_competitor_digest], partition_key=WEEK_KEY, instance=instance,
                          resources=wired(setup.resource), raise_on_error=False)


def slack_meta(result: dg.ExecuteInProcessResult) -> str:
    return result.asset_materializations_for_node("weekly_competitor_digest")[0].metadata["slack"].value


def everything_logged(instance: dg.DagsterInstance, caplog: pytest.LogCaptureFixture) -> str:
    """Every Dagster event (messages, metadata, errors) of every run, plus every Python log line."""
    runs = instance.get_runs()
    events = [repr(entry) for run in runs for entry in instance.all_logs(run.run_id)]
    return "\n".join(events + [r.getMessage() for r in caplog.records])


def bot_env(monkeypatch: pytest.MonkeyPatch, slack: SlackServer, token: str = BOT_TOKEN) -> None:
    monkeypatch.setenv("LISTENING_SLACK_BOT_TOKEN", token)
    monkeypatch.setenv("LISTENING_SLACK_CHANNEL", "#strategy")
    monkeypatch.setenv("LISTENING_SLACK_BASE_URL", slack.api_url)


def test_bot_mode_posts_the_findings_and_shares_the_html_in_the_thread_once(
        setup: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with SlackServer() as slack, dg.instance_for_test() as instance:
        bot_env(monkeypatch, slack)
        first = materialize(setup, instance)
        again = materialize(setup, instance)
        logged = everything_logged(instance, caplog)

    assert first.success and again.success
    [message] = slack.messages()
    assert message["channel"] == "#strategy" and "2026-W46" in message["text"]
    blocks = str(message["blocks"])
    assert "crisis alert" in blocks and "Share of voice" in blocks and "digest-2026-W46.html" in blocks
    [(file_id, shared)] = slack.files.items()
    assert shared.content == setup.html.read_bytes() and shared.filename == "digest-2026-W46.html"
    assert shared.channel == channel_id("#strategy") and shared.thread_ts == "1700000000.000001"
    assert slack_meta(first) == f"posted (bot: channel {channel_id('#strategy')}, ts 1700000000.000001, file {file_id})"
    assert slack_meta(again).startswith("already posted (bot: ")
    upload = next(r for r in slack.received if r.path.startswith("/upload/"))
    assert "Authorization" not in upload.headers, "the token stays with slack.com's API, not the upload host"
    assert BOT_TOKEN not in logged and "s3cr3t" not in logged


def test_webhook_mode_posts_the_findings_with_a_link_to_the_served_digest(
        setup: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with SlackServer() as slack, dg.instance_for_test() as instance:
        monkeypatch.setenv("LISTENING_SLACK_WEBHOOK_URL", slack.webhook_url)
        monkeypatch.setenv("LISTENING_DIGEST_BASE_URL", "https://intranet.example/digests/")
        result = materialize(setup, instance)
        logged = everything_logged(instance, caplog)

    assert result.success and slack_meta(result) == "posted (webhook)"
    [message] = slack.messages()
    assert slack.received[0].path == WEBHOOK_PATH and not slack.files
    assert "<https://intranet.example/digests/digest-2026-W46.html|" in str(message["blocks"])
    assert WEBHOOK_PATH not in logged and "s3cr3t" not in logged


def test_a_failed_upload_is_retried_without_posting_the_message_twice(
        setup: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with SlackServer(missing_scope={"files.getUploadURLExternal"}) as slack, dg.instance_for_test() as instance:
        bot_env(monkeypatch, slack)
        failed = materialize(setup, instance)
        slack.missing_scope.clear()
        retried = materialize(setup, instance)
        logged = everything_logged(instance, caplog)

    assert failed.success and retried.success
    assert slack_meta(failed) == ("pending (bot): Slack files.getUploadURLExternal failed: missing_scope; "
                                  "the next run of this week posts it")
    assert "Slack files.getUploadURLExternal failed: missing_scope" in logged
    assert len(slack.messages()) == 1, "the retry shares the file under the message already posted"
    [shared] = slack.files.values()
    assert shared.content == setup.html.read_bytes() and shared.thread_ts == "1700000000.000001"
    assert BOT_TOKEN not in logged


def test_a_rejected_token_posts_nothing_names_no_secret_and_the_week_stays_open(setup: SimpleNamespace) -> None:
    digest = build_digest(setup.store, config(), "2026-W46", MODEL)
    html = write_digest(digest, setup.html.parent).html
    with SlackServer() as slack:
        wrong = SlackConfig(bot_token="xoxb-wrong-s3cr3t", channel="#strategy", base_url=slack.api_url)
        with SlackClient(wrong) as client, pytest.raises(DeliveryError) as err:
            post_digest(setup.store, digest, html, client)
        assert "invalid_auth" in str(err.value) and "s3cr3t" not in str(err.value)
        with SlackClient(SlackConfig(bot_token=BOT_TOKEN, channel="#strategy", base_url=slack.api_url)) as client:
            posted = post_digest(setup.store, digest, html, client)
    assert posted.status == "posted" and len(slack.messages()) == 1 and len(slack.files) == 1


def retry_tick(setup: SimpleNamespace) -> list[dg.RunRequest] | dg.SkipReason:
    """What the hourly retry schedule asks for, evaluated against the test store."""
    context = dg.build_schedule_context(resources=wired(setup.resource),
                                        scheduled_execution_time=datetime(2026, 11, 16, 9, 45, tzinfo=timezone.utc))
    return digest_slack_retry(context)


@pytest.mark.parametrize("mode", ["webhook answers 500", "bot answers ok:false"])
def test_slack_down_leaves_the_week_pending_and_the_next_run_posts_it_once(
        setup: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, mode: str) -> None:
    caplog.set_level(logging.DEBUG)
    with SlackServer() as slack, dg.instance_for_test() as instance:
        if mode.startswith("webhook"):
            monkeypatch.setenv("LISTENING_SLACK_WEBHOOK_URL", slack.webhook_url)
            slack.fail_next(5, status=500, retry_after="0")  # every attempt of the first run
            reason = "Slack webhook: failed after 5 attempts: HTTP 500"
        else:
            bot_env(monkeypatch, slack)
            slack.missing_scope.add("chat.postMessage")
            reason = "Slack chat.postMessage failed: missing_scope"
        assert retry_tick(setup) == dg.SkipReason("no digest is waiting for Slack")

        down = materialize(setup, instance)
        assert down.success and setup.html.exists() and not slack.messages()
        assert slack_meta(down) == f"pending ({mode.split()[0]}): {reason}; the next run of this week posts it"
        assert pending_weeks(setup.store) == ["2026-W46"]
        [request] = retry_tick(setup)
        assert request.partition_key == WEEK_KEY

        slack.missing_scope.clear()
        up = materialize(setup, instance)
        again = materialize(setup, instance)
        logged = everything_logged(instance, caplog)
        after = retry_tick(setup)

    assert up.success and slack_meta(up).startswith(f"posted ({mode.split()[0]}")
    assert again.success and slack_meta(again).startswith("already posted")
    [message] = slack.messages()
    assert "2026-W46" in message["text"]
    assert len(slack.files) == (1 if mode.startswith("bot") else 0)
    assert pending_weeks(setup.store) == [] and after == dg.SkipReason("no digest is waiting for Slack")
    assert reason in logged and BOT_TOKEN not in logged and "s3cr3t" not in logged


def test_the_retry_schedule_runs_hourly_and_waits_while_slack_is_not_configured(setup: SimpleNamespace) -> None:
    assert digest_slack_retry.job_name == "weekly_digest" and digest_slack_retry.cron_schedule == "45 * * * *"
    assert retry_tick(setup) == dg.SkipReason("Slack is not configured")
