"""Posting a week's digest to Slack once: the headline findings, and the HTML file in its thread.

Strategists should get one message per week, even when a backfill and the schedule
overlap or a run is retried. So the week is claimed in the store's ``digest_posts``
table before anything is sent, and the message ts is recorded as soon as the message
is out: a retry after a failed upload shares the file without posting the message
again. Re-running a week that was posted rewrites its files but posts nothing.

A post that Slack refuses or never answers does not fail the digest: the files are
written, the week's row stays without ``posted_at`` (pending), and the next run of that
week posts it — the ``digest_slack_retry`` schedule starts one for every pending week.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from listening.digest._model import Digest
from listening.digest._render import slack_message
from listening.errors import ConfigError, DeliveryError, StoreError
from listening.http import redact_url
from listening.slack import SlackClient
from listening.store import Store, digest_posts

log = logging.getLogger(__name__)

#: A claim older than this belongs to a run that died mid-post; another run may take it over.
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class DigestPost:
    """What happened on Slack; only ids, never a token or webhook URL, so it is safe to show anywhere."""

    status: str
    mode: str = ""
    channel: str = ""
    ts: str = ""
    file_id: str = ""
    reason: str = ""

    def describe(self) -> str:
        """One line for asset metadata and the terminal."""
        if self.status == "not configured":
            return "not configured (set LISTENING_SLACK_WEBHOOK_URL, or LISTENING_SLACK_BOT_TOKEN and LISTENING_SLACK_CHANNEL)"
        if self.status == "busy":
            return "another run is posting this week's digest"
        if self.status == "pending":
            return f"pending ({self.mode}): {self.reason}; the next run of this week posts it"
        where = ", ".join(f"{k} {v}" for k, v in (("channel", self.channel), ("ts", self.ts), ("file", self.file_id)) if v)
        return f"{self.status} ({self.mode}{': ' + where if where else ''})"


def digest_location(html: Path, base_url: str = "") -> str:
    """Where a reader finds the HTML: ``base_url`` + file name when the digests folder is served, else the file's path.

    The link is posted to Slack, so a password or token in ``base_url`` is left out (the reader's browser asks).
    """
    if not base_url:
        return str(html.resolve())
    if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
        raise ConfigError("LISTENING_DIGEST_BASE_URL must be an http(s) URL (where $LISTENING_HOME/digests is served)")
    return redact_url(base_url.rstrip("/") + "/" + html.name, link=True)


def deliver_digest(store: Store, digest: Digest, html: Path, env: Mapping[str, str] | None = None) -> DigestPost:
    """Post the digest when Slack is configured in ``LISTENING_SLACK_*`` (else report that it is not).

    A failed post is reported as pending, not raised: the week stays open in ``digest_posts``.
    """
    env = os.environ if env is None else env
    client = SlackClient.from_env(env)
    if client is None:
        return DigestPost("not configured")
    with client:
        try:
            return post_digest(store, digest, html, client, base_url=env.get("LISTENING_DIGEST_BASE_URL", "").strip())
        except DeliveryError as exc:
            log.warning("digest %s not posted to Slack, left pending for the next run: %s", digest.week, exc)
            return DigestPost("pending", client.config.mode, reason=str(exc))


def pending_weeks(store: Store) -> list[str]:
    """ISO weeks whose digest Slack has not taken yet, oldest first (a week another run is posting right now excepted)."""
    t, now = digest_posts, datetime.now(timezone.utc)
    q = (sa.select(t.c.week).where(t.c.posted_at.is_(None))
         .where(sa.or_(t.c.claimed_at.is_(None), t.c.claimed_at < now - LEASE)).order_by(t.c.week))
    try:
        with store.engine.connect() as conn:
            return list(conn.execute(q).scalars())
    except SQLAlchemyError as exc:
        raise StoreError(f"reading the digests waiting for Slack failed: {exc.__class__.__name__}") from exc


def post_digest(store: Store, digest: Digest, html: Path, client: SlackClient, *, base_url: str = "") -> DigestPost:
    """Post the headline findings, then (bot mode) share the HTML in the message's thread; once per week."""
    mode, week, owner = client.config.mode, digest.week, uuid.uuid4().hex
    if not _claim(store, week, owner):
        row = _row(store, week)
        if row.get("posted_at"):
            return DigestPost("already posted", mode, row.get("channel") or "", row.get("ts") or "", row.get("file_id") or "")
        return DigestPost("busy", mode)
    try:
        row = _row(store, week)
        channel, ts, file_id = row.get("channel") or "", row.get("ts") or "", row.get("file_id") or ""
        location = digest_location(html, base_url) if base_url or mode == "webhook" else html.name
        if not ts:
            text, blocks = slack_message(digest, location)
            sent = client.post(text, blocks)
            channel, ts = sent.channel, sent.ts
            _update(store, week, channel=channel or None, ts=ts or None)
        if mode == "bot" and not file_id:
            file_id = client.upload(html.name, html.read_bytes(), title=f"{digest.project} · {week}", channel=channel, thread_ts=ts)
            _update(store, week, file_id=file_id)
        _update(store, week, posted_at=datetime.now(timezone.utc), claimed_by=None, claimed_at=None)
    except BaseException:
        _release(store, week, owner)
        raise
    log.info("digest %s posted to Slack (%s)", week, mode)
    return DigestPost("posted", mode, channel, ts, file_id)


def _claim(store: Store, week: str, owner: str) -> bool:
    """Take the right to post ``week``: False when it was posted or another live run holds it."""
    t, now = digest_posts, datetime.now(timezone.utc)
    with store.transaction() as conn:
        store.upsert(conn, t, [{"week": week}])
        q = (sa.update(t).where(t.c.week == week, t.c.posted_at.is_(None))
             .where(sa.or_(t.c.claimed_at.is_(None), t.c.claimed_at < now - LEASE))
             .values(claimed_by=owner, claimed_at=now))
        return conn.execute(q).rowcount == 1


def _row(store: Store, week: str) -> dict[str, Any]:
    try:
        with store.engine.connect() as conn:
            found = conn.execute(sa.select(digest_posts).where(digest_posts.c.week == week)).mappings().first()
    except SQLAlchemyError as exc:
        raise StoreError(f"reading the digest's Slack record failed: {exc.__class__.__name__}") from exc
    return dict(found) if found else {}


def _update(store: Store, week: str, **values: Any) -> None:
    with store.transaction() as conn:
        conn.execute(sa.update(digest_posts).where(digest_posts.c.week == week).values(**values))


def _release(store: Store, week: str, owner: str) -> None:
    """Give the claim back after a failure, so the next run retries at once."""
    t = digest_posts
    with store.transaction() as conn:
        conn.execute(sa.update(t).where(t.c.week == week, t.c.claimed_by == owner).values(claimed_by=None, claimed_at=None))
