"""Slack delivery over real HTTP against the local stand-in server."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from slack_server import BOT_TOKEN, WEBHOOK_PATH, SlackServer, channel_id  # noqa: E402

from listening.errors import ConfigError, DeliveryError  # noqa: E402
from listening.slack import (  # noqa: E402
    MAX_BLOCKS, SlackClient, SlackConfig, escape, fit_blocks, header, link, section,
)


waits: list[float] = []


class Clock:
    """The client's clock, moved on by its own waits: back-off is recorded, never slept."""

    def __init__(self) -> None:
        self.t = 0.0

    def sleep(self, seconds: float) -> None:
        waits.append(seconds)
        self.t += seconds

    def now(self) -> float:
        return self.t


@pytest.fixture
def slack():
    with SlackServer() as server:
        yield server


def bot(server: SlackServer, token: str = BOT_TOKEN, **kw) -> SlackClient:
    """A bot-mode client against the local server that records back-off waits instead of sleeping."""
    cfg = SlackConfig(bot_token=token, channel="#crisis", base_url=server.api_url, **kw)
    clock = Clock()
    return SlackClient(cfg, sleep=clock.sleep, clock=clock.now)


@pytest.fixture(autouse=True)
def _reset_waits():
    waits.clear()


@pytest.mark.parametrize(
    ("hostile", "forbidden"),
    [
        pytest.param("<!channel> wake up", "<!channel>", id="broadcast"),
        pytest.param("hi <@U123>", "<@U123>", id="user-mention"),
        pytest.param("<http://evil.example|click>", "<http", id="crafted-link"),
        pytest.param("*bold* _it_ ~s~ `code`", "*", id="formatting"),
        pytest.param("safe\u202eexe.txt\u200b", "\u202e", id="bidi-override"),
    ],
)
def test_hostile_text_is_inert(hostile, forbidden):
    out = escape(hostile)
    assert forbidden not in out
    assert "<" not in out and ">" not in out


@pytest.mark.parametrize("written", [
    pytest.param("google_news", id="source-name"),
    pytest.param("mina_s", id="author"),
    pytest.param("snake_case_name and 2*3 and x~y", id="inside-words"),
    pytest.param("東京_ソウル", id="cjk"),
])
def test_text_keeps_the_characters_the_user_wrote_inside_words(written):
    assert escape(written) == written


@pytest.mark.parametrize("styled", ["*free*", "_urgent_", "~gone~", "`rm -rf`", "teleport_ and _x"])
def test_styling_markers_at_word_boundaries_stay_inert(styled):
    out = escape(styled)
    assert not any(ch in out for ch in "*_~`")


def test_only_http_links_render_as_links():
    assert link("https://example.com/a?b=1&c=2", "post") == "<https://example.com/a?b=1&amp;c=2|post>"
    assert link("javascript:alert(1)", "post") == "post"
    assert link("https://example.com/x|<!here>", "p").count("<") == 1


def test_long_text_and_many_blocks_fit_slack_limits():
    block = section(escape("&" * 5000))
    assert len(block["text"]["text"]) <= 3000 and block["text"]["text"].endswith("…")
    assert not block["text"]["text"][:-1].endswith("&am")
    assert len(header("x" * 400)["text"]["text"]) <= 150
    assert len(fit_blocks([section("a")] * 80)) == MAX_BLOCKS


def test_bot_mode_posts_and_threads(slack):
    with bot(slack) as client:
        first = client.post("opened", [section("hello")])
        reply = client.post("update", [section("more")], thread_ts=first.ts)
    assert first.ts and first.channel == channel_id("#crisis") and first.channel.startswith("C")
    bodies = slack.messages()
    assert [b.get("thread_ts") for b in bodies] == [None, first.ts]
    assert reply.ts != first.ts


def test_webhook_mode_posts_blocks(slack):
    with SlackClient(SlackConfig(webhook_url=slack.webhook_url)) as client:
        assert client.post("hi", [section("hello")]).ts == ""
    assert slack.messages()[0]["blocks"][0]["text"]["text"] == "hello"


def test_429_is_retried_after_the_advertised_wait(slack):
    slack.fail_next(2, status=429, retry_after="7")
    with bot(slack) as client:
        assert client.post("x", [section("y")]).ts
    assert waits == [7.0, 7.0]
    assert len(slack.received) == 3


def test_500_is_retried_with_backoff_then_gives_up(slack):
    slack.fail_next(10, status=500)
    with bot(slack, max_retries=2) as client, pytest.raises(DeliveryError, match="after 3 attempts: HTTP 500"):
        client.post("x", [section("y")])
    assert waits == [1.0, 2.0]


def test_retry_after_beyond_max_wait_is_not_waited_for(slack):
    """The shared policy: a server asking for more than the cap fails now; the alert stays pending for the next run."""
    slack.fail_next(1, status=429, retry_after="3600")
    with bot(slack, max_wait=5.0) as client, pytest.raises(DeliveryError, match="retry after 3600s"):
        client.post("x", [section("y")])
    assert waits == [] and len(slack.received) == 1


def test_bad_token_error_never_contains_the_token(slack, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "xoxb-999-wrong-s3cr3t"
    with bot(slack, token=wrong) as client, pytest.raises(DeliveryError) as info:
        client.post("x", [section("y")])
    assert "invalid_auth" in str(info.value)
    assert wrong not in str(info.value) and wrong not in repr(client)
    assert wrong not in caplog.text


def test_webhook_url_never_leaks_in_errors_or_logs(slack, caplog):
    caplog.set_level(logging.DEBUG)
    slack.fail_next(5, status=503)
    cfg = SlackConfig(webhook_url=slack.webhook_url, max_retries=1)
    with SlackClient(cfg, sleep=waits.append) as client, pytest.raises(DeliveryError) as info:
        client.post("x", [section("y")])
    assert "after 2 attempts: HTTP 503" in str(info.value) and info.value.__cause__ is None
    assert WEBHOOK_PATH not in str(info.value) and slack.url not in str(info.value)
    assert WEBHOOK_PATH not in caplog.text and WEBHOOK_PATH not in repr(cfg)


def test_unreachable_server_error_is_redacted():
    cfg = SlackConfig(webhook_url="http://127.0.0.1:9" + WEBHOOK_PATH, max_retries=1, timeout=1.0)
    with SlackClient(cfg, sleep=waits.append) as client, pytest.raises(DeliveryError) as info:
        client.post("x", [])
    assert WEBHOOK_PATH not in str(info.value) and "attempts" in str(info.value)


def test_config_from_env():
    env = {
        "LISTENING_SLACK_BOT_TOKEN": "xoxb-1", "LISTENING_SLACK_CHANNEL": "C1",
        "LISTENING_SLACK_BASE_URL": "http://127.0.0.1:1/api",
    }
    cfg = SlackConfig.from_env(env)
    assert cfg is not None and cfg.mode == "bot" and cfg.base_url.endswith("/api/")
    assert SlackConfig.from_env({}) is None
    with pytest.raises(ConfigError, match="LISTENING_SLACK_CHANNEL"):
        SlackConfig.from_env({"LISTENING_SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(ConfigError):
        SlackConfig(webhook_url="file:///etc/passwd")


def test_webhook_rejection_is_reported_without_retry(slack):
    cfg = SlackConfig(webhook_url=slack.url + "/services/T000/B000/revoked")
    with SlackClient(cfg, sleep=waits.append) as client, pytest.raises(DeliveryError, match=r"HTTP 404 \(no_service\)"):
        client.post("x", [section("y")])
    assert waits == [] and len(slack.received) == 1
