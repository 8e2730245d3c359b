"""Slack delivery: safe Block Kit building blocks and a retrying client.

Two modes: an incoming webhook (``LISTENING_SLACK_WEBHOOK_URL``; no threads, no
files) or a bot token (``LISTENING_SLACK_BOT_TOKEN`` + ``LISTENING_SLACK_CHANNEL``;
``chat.postMessage`` with ``thread_ts`` so updates land in the alert's thread, and
Slack's external file upload for attachments such as the weekly digest).
Everything user-written goes through :func:`escape` first, so mentions such as
``<!channel>`` and crafted links stay inert. Requests go through the one HTTP
policy (:mod:`listening.http`); the token and webhook URL are registered as
secrets there, so they never reach exception messages, return values or logs.

>>> escape("<!channel> *buy* now & <http://evil|click>")
'&lt;!channel&gt; ∗buy∗ now &amp; &lt;http://evil|click&gt;'
>>> escape("google_news · mina_s · 2*3")
'google_news · mina_s · 2*3'
>>> link("javascript:alert(1)", "x")
'x'
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from listening.errors import ConfigError, DeliveryError, FetchError, ParseError
from listening.http import HttpClient, HttpPolicy, Politeness, Response, Retry, Timeouts, redact_text, register_secret
from listening.sanitize import strip_invisible

__all__ = [
    "MAX_BLOCKS", "MAX_SECTION", "PostResult", "SlackClient", "SlackConfig",
    "context", "divider", "escape", "fit_blocks", "header", "link", "require_configured", "section",
]


MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BLOCKS = 50
DEFAULT_BASE_URL = "https://slack.com/api/"
_FORMAT = {"*": "\u2217", "_": "\uff3f", "~": "\u223c", "`": "\u02cb"}
# A formatting character Slack could read as markup: one not sitting inside a word. Slack's mrkdwn
# only styles text whose markers touch a word boundary, so `google_news` or `2*3` stay as written.
_MARKUP = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Make user text inert in mrkdwn, keeping the characters the user wrote wherever Slack allows.

    ``& < >`` become entities (the only escapes Slack's mrkdwn has), which also breaks
    ``<!channel>``, ``<@U…>`` and crafted ``<url|label>`` links. Slack has no escape for
    ``* _ ~ ```, so only those that could open or close styling (at a word boundary) are
    replaced by look-alikes; inside a word (``google_news``) they are kept.
    """
    text = strip_invisible(text).translate(_ENTITIES)
    return _MARKUP.sub(lambda m: _FORMAT[m.group()], text)


def truncate(text: str, limit: int) -> str:
    """Cut to ``limit`` characters with an ellipsis, never splitting an ``&...;`` entity.

    >>> truncate("a &amp; b", 4)
    'a …'
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp >= 0 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def link(url: str, label: str) -> str:
    """A mrkdwn link for http(s) URLs only; anything else renders as the escaped label."""
    url = strip_invisible(url).strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"\s", url):
        return escape(label)
    safe = url.translate(_ENTITIES).replace("|", "%7C")
    return f"<{safe}|{escape(label).replace('|', '¦')}>"


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(strip_invisible(text), MAX_HEADER)}}


def section(mrkdwn: str) -> dict[str, Any]:
    """A section of already-escaped mrkdwn, truncated to Slack's 3000-character limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(mrkdwn, MAX_SECTION)}}


def context(*mrkdwn: str) -> dict[str, Any]:
    elements = [{"type": "mrkdwn", "text": truncate(t, MAX_SECTION)} for t in mrkdwn[:10]]
    return {"type": "context", "elements": elements}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def fit_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep within Slack's 50-block limit, saying how many were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    dropped = len(blocks) - (MAX_BLOCKS - 1)
    return blocks[: MAX_BLOCKS - 1] + [context(f"… {dropped} more blocks omitted")]


@dataclass(frozen=True)
class SlackConfig:
    """Where and how to deliver; ``repr`` never shows the secrets."""

    webhook_url: str = field(default="", repr=False)
    bot_token: str = field(default="", repr=False)
    channel: str = ""
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 10.0
    max_retries: int = 4
    max_wait: float = 30.0

    def __post_init__(self) -> None:
        if not self.webhook_url and not self.bot_token:
            raise ConfigError("Slack needs LISTENING_SLACK_WEBHOOK_URL or LISTENING_SLACK_BOT_TOKEN")
        if self.bot_token and not self.channel:
            raise ConfigError("bot-token mode needs a channel: set LISTENING_SLACK_CHANNEL")
        for name, url in (("webhook URL", self.webhook_url), ("base URL", self.base_url)):
            if url and urlsplit(url).scheme not in ("http", "https"):
                raise ConfigError(f"Slack {name} must be an http(s) URL")

    @property
    def mode(self) -> str:
        return "bot" if self.bot_token else "webhook"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "SlackConfig | None":
        """Read ``LISTENING_SLACK_*``; ``None`` when Slack is not configured (alerts stay in the store)."""
        env = os.environ if env is None else env
        webhook = env.get("LISTENING_SLACK_WEBHOOK_URL", "").strip()
        token = env.get("LISTENING_SLACK_BOT_TOKEN", "").strip()
        if not webhook and not token:
            return None
        base = env.get("LISTENING_SLACK_BASE_URL", "").strip() or DEFAULT_BASE_URL
        return cls(
            webhook_url=webhook, bot_token=token, channel=env.get("LISTENING_SLACK_CHANNEL", "").strip(),
            base_url=base if base.endswith("/") else base + "/",
        )


@dataclass(frozen=True, slots=True)
class PostResult:
    """Where a message landed; ``ts`` is empty in webhook mode (webhooks cannot thread)."""

    channel: str
    ts: str


def slack_policy(config: SlackConfig) -> HttpPolicy:
    """The shared HTTP policy with Slack's numbers: ``max_retries`` retries, backoff from 1 s up to ``max_wait``,
    a ``Retry-After`` longer than ``max_wait`` is not waited for (the alert stays pending for the next run), and
    no fixed spacing (Slack says when to slow down, with 429 and ``Retry-After``)."""
    return HttpPolicy(
        timeout=Timeouts(connect=min(5.0, config.timeout), read=config.timeout, total=config.timeout * 3),
        retry=Retry(attempts=config.max_retries + 1, backoff=1.0, max_backoff=config.max_wait, jitter=False,
                    max_retry_after=config.max_wait),
        politeness=Politeness(max_concurrency_per_host=4, min_interval_s=0.0),
        max_bytes=5_000_000,
    )


class SlackClient:
    """Posts Block Kit messages through :class:`~listening.http.HttpClient` (the one HTTP policy: retries on
    429/5xx and network errors, ``Retry-After``, deadlines, size cap, redaction)."""

    def __init__(
        self,
        config: SlackConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        for secret in (config.bot_token, config.webhook_url, urlsplit(config.webhook_url).path):
            register_secret(secret)
        self._http = HttpClient(slack_policy(config), sleep=sleep, clock=clock)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "SlackClient | None":
        """A client from ``LISTENING_SLACK_*`` variables, or ``None`` when Slack is not configured."""
        config = SlackConfig.from_env(env)
        return cls(config) if config is not None else None

    def __enter__(self) -> "SlackClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SlackClient(mode={self.config.mode!r}, channel={self.config.channel!r})"

    def close(self) -> None:
        self._http.close()

    def post(self, text: str, blocks: list[dict[str, Any]], *, thread_ts: str = "",
             marker: tuple[str, dict[str, str]] | None = None) -> PostResult:
        """Send one message (a thread reply when ``thread_ts`` is given in bot mode).

        ``marker`` (event type, payload) rides along as Slack message metadata in bot mode, so
        :meth:`find_post` can tell later whether a post whose answer was lost did land.
        """
        payload: dict[str, Any] = {"text": truncate(text, MAX_SECTION), "blocks": fit_blocks(blocks)}
        if self.config.mode == "webhook":
            self._send(self.config.webhook_url, {}, json=payload)
            return PostResult(channel="", ts="")
        payload.update(channel=self.config.channel, unfurl_links=False, unfurl_media=False)
        if thread_ts:
            payload["thread_ts"] = thread_ts
        if marker:
            payload["metadata"] = {"event_type": marker[0], "event_payload": marker[1]}
        data = self._api("chat.postMessage", json=payload)
        return PostResult(channel=str(data.get("channel", self.config.channel)), ts=str(data.get("ts", "")))

    def find_post(self, marker: tuple[str, dict[str, str]], *, channel: str = "", thread_ts: str = "",
                  oldest: float = 0.0) -> PostResult | None:
        """The message carrying ``marker`` in the channel (or in the thread of ``thread_ts``), if Slack has it.

        Needs bot mode and a channel id (``C…``/``G…``, as :meth:`post` returns it, or as
        ``LISTENING_SLACK_CHANNEL``); otherwise, or when the token may not read history
        (``channels:history``), this raises :class:`DeliveryError` and the caller cannot know.
        """
        channel = channel or self.config.channel
        if self.config.mode != "bot" or not re.fullmatch(r"[CG][A-Z0-9]+", channel):
            raise DeliveryError("finding an earlier Slack post needs bot-token mode and a channel id (C…)")
        event_type, payload = marker
        query = {"channel": channel, "include_all_metadata": "true", "limit": "200", "oldest": f"{oldest:.6f}"}
        if thread_ts:
            data = self._api("conversations.replies", form={**query, "ts": thread_ts})
        else:
            data = self._api("conversations.history", form=query)
        for message in data.get("messages") or []:
            meta = (message.get("metadata") if isinstance(message, dict) else None) or {}
            if meta.get("event_type") == event_type and meta.get("event_payload") == payload:
                return PostResult(channel=channel, ts=str(message.get("ts", "")))
        return None

    def upload(self, filename: str, content: bytes, *, title: str, channel: str, thread_ts: str = "") -> str:
        """Share a file in a channel (a thread reply with ``thread_ts``); bot mode only. Returns the file id.

        Slack's external upload: ``files.getUploadURLExternal`` gives a one-time URL, the bytes go
        there, ``files.completeUploadExternal`` shares the file. ``channel`` must be a channel id
        (as :meth:`post` returns it), not a ``#name``. The token never goes to the upload URL.
        """
        if self.config.mode != "bot":
            raise DeliveryError("Slack file upload needs bot-token mode (LISTENING_SLACK_BOT_TOKEN)")
        ticket = self._api("files.getUploadURLExternal", form={"filename": filename, "length": str(len(content))})
        upload_url, file_id = str(ticket.get("upload_url", "")), str(ticket.get("file_id", ""))
        if urlsplit(upload_url).scheme not in ("http", "https") or not file_id:
            raise DeliveryError("Slack files.getUploadURLExternal answered without an upload URL")
        register_secret(upload_url)
        self._send(upload_url, {}, content=content)
        share: dict[str, Any] = {"files": [{"id": file_id, "title": title}], "channel_id": channel}
        if thread_ts:
            share["thread_ts"] = thread_ts
        self._api("files.completeUploadExternal", json=share)
        return file_id

    def _api(self, method: str, *, json: dict[str, Any] | None = None, form: dict[str, str] | None = None) -> dict[str, Any]:
        """Call a Web API method with the bot token; Slack's ``ok: false`` becomes a :class:`DeliveryError`."""
        headers = {"Authorization": f"Bearer {self.config.bot_token}"}
        body = self._send(self.config.base_url + method, headers, json=json, data=form)
        try:
            data = body.json()
        except ParseError:
            raise DeliveryError(f"Slack {method} answered with something that is not JSON") from None
        if not isinstance(data, dict) or not data.get("ok"):
            error = data.get("error", "unknown_error") if isinstance(data, dict) else "unknown_error"
            code = re.sub(r"[^a-z_]", "", str(error))[:60]
            raise DeliveryError(f"Slack {method} failed: {code}")
        return data

    def _send(self, url: str, headers: dict[str, str], *, json: dict[str, Any] | None = None,
              data: dict[str, str] | None = None, content: bytes | None = None) -> Response:
        """POST under the shared policy; errors name the mode and what failed, never the webhook URL or token."""
        what = f"Slack {self.config.mode}"
        try:
            resp = self._http.post(url, json=json, data=data, content=content, headers=headers, raise_for_status=False)
        except FetchError as exc:
            # `from None`: the cause's attributes could carry the URL, which is a secret here.
            detail = str(exc).removeprefix(f"POST {exc.url}").lstrip(": ")
            raise DeliveryError(f"{what}: {redact_text(detail)}") from None
        if resp.status >= 400:
            text = resp.content.decode("utf-8", "replace")
            reason = re.sub(r"[^a-z_]", "", text.strip().lower())[:60] or "no reason given"
            raise DeliveryError(f"{what}: HTTP {resp.status} ({reason})")
        return resp


def require_configured(enabled: bool, mode: str, env: Mapping[str, str] | None = None) -> None:
    """Fail at start, not at the first alert, when the config turns Slack on but its secret is missing.

    ``enabled`` and ``mode`` are ``alerting.slack`` of the listening config; the
    secrets themselves only ever come from the environment.

    >>> require_configured(True, "webhook", {})
    Traceback (most recent call last):
    ...
    listening.errors.ConfigError: alerting.slack.enabled is true (mode webhook) but LISTENING_SLACK_WEBHOOK_URL is not set; set it in the environment, or set alerting.slack.enabled: false
    """
    if not enabled:
        return
    env = os.environ if env is None else env
    needed = ["LISTENING_SLACK_BOT_TOKEN", "LISTENING_SLACK_CHANNEL"] if mode == "bot" else ["LISTENING_SLACK_WEBHOOK_URL"]
    missing = [name for name in needed if not env.get(name, "").strip()]
    if missing:
        raise ConfigError(f"alerting.slack.enabled is true (mode {mode}) but {' and '.join(missing)} "
                          f"{'is' if len(missing) == 1 else 'are'} not set; set {'it' if len(missing) == 1 else 'them'} "
                          "in the environment, or set alerting.slack.enabled: false")
    SlackConfig.from_env(env)

