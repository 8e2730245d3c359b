"""A small world for the inbox tests: a config, roots stored as mentions, and thread APIs on a local server.

The payloads in tests/fixtures/inbox are in the real APIs' shapes (Mastodon status context, Bluesky
getPostThread, Algolia HN item, Reddit comment listing), pinned around the suite's NOW.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from listening.config import ListeningConfig, load_config
from listening.http import HttpClient
from listening.inbox import ConversationsReport, read_conversations
from listening.mention import Mention
from listening.normalize import text_hash
from listening.store import Store, mention_row, mentions
from tests.fault_server import FaultServer, ok

UTC = timezone.utc
FIXTURES = Path(__file__).parent / "fixtures" / "inbox"
JSON = "application/json; charset=utf-8"
MASTODON_ROOT_ID = "113520000000000001"
BSKY_ROOT = "at://did:plc:acme000000000000000000000/app.bsky.feed.post/3lroot0000001"
CONTEXT = f"/api/v1/statuses/{MASTODON_ROOT_ID}/context"
THREAD = "/xrpc/app.bsky.feed.getPostThread"
HN_ITEM = "/api/v1/items/42100"
REDDIT = "/comments/1h0abc"
TOKEN = "/api/v1/access_token"


def write_config(tmp: Path, base_url: str, extra: str = "") -> ListeningConfig:
    path = tmp / "inbox.yaml"
    path.write_text(f"""
project: {{timezone: Asia/Seoul}}
endpoints:
  mastodon: {base_url}
  bluesky: {base_url}
  hackernews: {base_url}
  reddit_oauth: {base_url}
  reddit_token: {base_url}{TOKEN}
brands:
  - key: acme
    name: Acme
    own: true
    handles: {{hackernews: [acme_team], reddit: [acme_support]}}
    sources:
      accounts:
        - {{platform: mastodon, handle: acme, instance: mastodon.social}}
        - {{platform: bluesky, handle: acme.bsky.social}}
  - key: rival
    name: Rival
    handles: {{bluesky: [rival.bsky.social]}}
inbox: {{sla_hours: 24, remind_hours: 4, thread_days: 7}}
{extra}
""", encoding="utf-8")
    return load_config(path)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def serve_threads(server: FaultServer) -> None:
    server.route(CONTEXT, ok(fixture_bytes("mastodon_context.json"), JSON))
    server.route(THREAD, ok(fixture_bytes("bluesky_thread.json"), JSON))
    server.route(HN_ITEM, ok(fixture_bytes("hn_item.json"), JSON))
    server.route(REDDIT, ok(fixture_bytes("reddit_comments.json"), JSON))
    server.route(TOKEN, ok(b'{"access_token": "tok-123", "token_type": "bearer", "expires_in": 86400}', JSON))


def _mention(source: str, native_id: str, *, author: str, text: str, at: datetime, brand: str = "acme",
             is_own: bool = False, query: str = "", raw: dict[str, Any] | None = None, url: str = "",
             title: str = "", replies: int | None = None) -> dict[str, Any]:
    m = Mention(source=source, native_id=native_id, url=url or f"https://example.test/{native_id}", title=title, text=text,
                published_at=at, fetched_at=at, author=author, brand=brand, query=query, is_own=is_own,
                raw=raw or {}, replies=replies)
    return mention_row(m, canonical_url=m.url, title_key="", text_hash=text_hash(title, text), brands=[brand])


def store_roots(store: Store) -> dict[str, str]:
    """The four thread roots as the connectors would have stored them; returns their mention ids by platform."""
    rows = [
        _mention("mastodon", "https://mastodon.social/users/acme/statuses/113520000000000001", author="acme",
                 text="Acme 4.0 is out today.", at=datetime(2026, 11, 24, 8, tzinfo=UTC), is_own=True,
                 query="mastodon:mastodon.social:@acme", raw={"id": MASTODON_ROOT_ID},
                 url="https://mastodon.social/@acme/113520000000000001"),
        _mention("bluesky", BSKY_ROOT, author="acme.bsky.social", text="Acme 4.0 is out today.",
                 at=datetime(2026, 11, 24, 8, tzinfo=UTC), is_own=True, query="bluesky:@acme.bsky.social"),
        _mention("hackernews", "42100", author="alice", title="Ask HN: Does Acme support SSO on the free plan?",
                 text="We are evaluating Acme. Does it support SSO?", at=datetime(2026, 11, 24, 6, tzinfo=UTC),
                 query="hackernews:Acme", replies=2),
        _mention("reddit", "t3_1h0abc", author="u_wait", title="Acme refund still pending after two weeks?",
                 text="Anyone else waiting on an Acme refund?", at=datetime(2026, 11, 24, 5, tzinfo=UTC),
                 query="reddit:Acme"),
    ]
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows)
    return {r["source"]: r["id"] for r in rows}


def store_passers_by(store: Store) -> None:
    """Mentions that are no thread roots: an HN comment naming the brand, a Bluesky post not addressed to it."""
    rows = [
        _mention("hackernews", "42999", author="carol", title="Ask HN: Does Acme support SSO on the free plan?",
                 text="I think Acme does, but check?", at=datetime(2026, 11, 24, 7, tzinfo=UTC), query="hackernews:Acme"),
        _mention("bluesky", "at://did:plc:dave/app.bsky.feed.post/3lx", author="dave.bsky.social",
                 text="Is Acme any good?", at=datetime(2026, 11, 24, 7, tzinfo=UTC), query="bluesky:acme"),
    ]
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows)


@dataclass(frozen=True)
class World:
    """A store holding the four thread roots, the config naming their brand, and what the first read found."""

    store: Store
    config: ListeningConfig
    roots: dict[str, str]
    report: ConversationsReport


def read_world(store: Store, tmp: Path, server: FaultServer, client: HttpClient, *, now: datetime,
               passers_by: bool = False) -> World:
    """The inbox as a user has it after one read of the threads (roots stored, thread APIs served at ``server``)."""
    config = write_config(tmp, server.base_url)
    roots = store_roots(store)
    if passers_by:
        store_passers_by(store)
    serve_threads(server)
    return World(store, config, roots, read_conversations(config, store, client, now=now))
