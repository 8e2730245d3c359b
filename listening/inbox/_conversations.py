"""The conversations step: read the threads of recent posts, store their items and who answered them.

Thread roots are stored mentions from the last ``inbox.thread_days`` on Mastodon, Bluesky, Hacker News
and Reddit: a post by one of the brand's own accounts or handles (kind ``own``: each reply not written by
the brand is an item) or a post that addresses the brand (kind ``addressed``: the post itself is the item,
answered when the brand replies anywhere in its thread). Addressing the brand means: a Hacker News story or
a Reddit post about it (comments that merely mention it are not), or a Mastodon or Bluesky post that names
one of its handles (``@acme``). App Store reviews are not read: the public
review feed carries no developer response (docs/inbox.md, Limits).

Each thread is one task with its own report. Nothing is deleted: a thread that is gone (404/410) is marked
``gone`` and its items kept; a reply that disappeared or is shown deleted gets ``deleted_at``; an answer
once seen is never cleared, so a re-read never reopens an item.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from listening.config import Brand, ListeningConfig
from listening.errors import ConfigError, FetchError, ParseError
from listening.http import HttpClient, redact_text
from listening.inbox._answered import Handles, first_answers
from listening.inbox._fetch import (Post, ThreadGone, bluesky_replies, hackernews_replies, mastodon_replies,
                                    reddit_replies)
from listening.mention import mention_id
from listening.normalize import scoring_text, text_hash, title_is_thread
from listening.sources.reddit import ClientCredentials
from listening.store import Store, mentions, thread_items, threads
from listening.utc import as_utc

log = logging.getLogger(__name__)

THREAD_PLATFORMS = ("mastodon", "bluesky", "hackernews", "reddit")


@dataclass(frozen=True)
class Root:
    """A stored mention whose thread is read."""

    id: str
    brand: str
    platform: str
    kind: str
    native_id: str
    url: str
    author: str
    author_followers: int | None
    text: str
    text_hash: str
    lang: str
    published_at: datetime
    query: str
    raw: dict[str, Any]


@dataclass
class ThreadReport:
    """One thread task's outcome: ``ok``, ``gone`` (404/410: items kept), ``failed`` (retried next run) or ``skipped``."""

    root_id: str
    brand: str
    platform: str
    url: str
    status: str
    detail: str = ""
    items: int = 0
    new_answers: int = 0
    deleted: int = 0


@dataclass
class ConversationsReport:
    threads: list[ThreadReport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(t.status == status for t in self.threads)

    @property
    def items(self) -> int:
        return sum(t.items for t in self.threads)

    @property
    def new_answers(self) -> int:
        return sum(t.new_answers for t in self.threads)

    def problems(self) -> list[str]:
        """One line per thread that was not read, naming it and why (for logs and asset metadata)."""
        return [f"{t.platform} thread {t.url} ({t.brand}): {t.status}: {t.detail}"
                for t in self.threads if t.status != "ok"]


def _author_is_brand(brand: Brand, platform: str, author: str, query: str) -> bool:
    instance = _instance(query)
    name = author if platform != "mastodon" or "@" in author or not author else f"{author}@{instance}"
    return Handles.of(brand, platform).match(name)


def _addresses(brand: Brand, platform: str, native_id: str, text: str, replies: int | None) -> bool:
    """Whether a post by someone else is addressed to the brand (see the module docstring)."""
    if platform == "hackernews":
        return not title_is_thread(platform, replies)  # a story: comments carry num_comments = None
    if platform == "reddit":
        return native_id.startswith("t3_")
    lowered = text.lower()
    return any(f"@{h.partition('@')[0]}" in lowered for h in Handles.of(brand, platform).names)


def _instance(query: str) -> str:
    """The Mastodon instance a task key names (``mastodon:mastodon.social:@acme`` -> ``mastodon.social``)."""
    parts = query.split(":")
    return parts[1] if len(parts) >= 3 and parts[0] == "mastodon" else ""


def thread_roots(store: Store, config: ListeningConfig, *, now: datetime) -> list[Root]:
    """Stored mentions of the last ``thread_days`` whose threads are read, oldest first."""
    brands = {b.key: b for b in config.brands}
    since = now - timedelta(days=config.inbox.thread_days)
    c = mentions.c
    q = (sa.select(c.id, c.brand, c.source, c.native_id, c.url, c.author, c.author_followers, c.title, c.text,
                   c.text_hash, c.lang, c.published_at, c.query, c.is_own, c.raw, c.replies)
         .where(c.source.in_(THREAD_PLATFORMS), c.published_at >= since, c.published_at <= now,
                c.brand.in_(list(brands)))
         .order_by(c.published_at, c.id))
    out = []
    with store.engine.connect() as conn:
        for r in conn.execute(q).mappings():
            brand = brands[r["brand"]]
            own = _author_is_brand(brand, r["source"], r["author"], r["query"]) or (
                bool(r["is_own"]) and r["source"] in ("mastodon", "bluesky"))
            if not own and not _addresses(brand, r["source"], r["native_id"], r["text"] or "", r["replies"]):
                continue
            try:
                raw = json.loads(r["raw"]) if r["raw"] else {}
            except ValueError:
                raw = {}
            out.append(Root(r["id"], r["brand"], r["source"], "own" if own else "addressed", r["native_id"], r["url"],
                            r["author"], r["author_followers"], scoring_text(r["title"] or "", r["text"] or ""),
                            r["text_hash"], r["lang"], as_utc(r["published_at"]), r["query"],
                            raw if isinstance(raw, dict) else {}))
    return out


Reader = Callable[[HttpClient, Root], list[Post]]


def readers(config: ListeningConfig) -> dict[str, Reader]:
    """The per-platform thread readers, with the config's endpoints (the replay points them at 127.0.0.1)."""
    ep = config.endpoints
    auth = ClientCredentials(token_url=ep.reddit_token)

    def mastodon(client: HttpClient, root: Root) -> list[Post]:
        instance = _instance(root.query) or root.url.split("/")[2]
        status_id = root.raw.get("id")
        if not isinstance(status_id, str) or not status_id:
            raise ParseError("the stored status has no local id to ask its context with")
        return mastodon_replies(client, ep.mastodon or f"https://{instance}", status_id, instance)

    def reddit(client: HttpClient, root: Root) -> list[Post]:
        if not auth.configured:
            raise ConfigError("Reddit threads need OAuth (LISTENING_REDDIT_CLIENT_ID and LISTENING_REDDIT_CLIENT_SECRET): "
                              "the keyless .json endpoints are closed")
        return reddit_replies(client, ep.reddit_oauth, root.native_id, auth)

    return {
        "mastodon": mastodon,
        "bluesky": lambda client, root: bluesky_replies(client, ep.bluesky, root.native_id),
        "hackernews": lambda client, root: hackernews_replies(client, ep.hackernews, root.native_id),
        "reddit": reddit,
    }


def read_conversations(config: ListeningConfig, store: Store, client: HttpClient, *, now: datetime,
                       roots: Sequence[Root] | None = None) -> ConversationsReport:
    """Read every root's thread and store what it says; one failing thread never stops the others."""
    brands = {b.key: b for b in config.brands}
    read = readers(config)
    report = ConversationsReport()
    for root in thread_roots(store, config, now=now) if roots is None else roots:
        task = ThreadReport(root.id, root.brand, root.platform, root.url, "ok")
        try:
            replies = read[root.platform](client, root)
        except ThreadGone as exc:
            task.status, task.detail = "gone", f"the thread is gone ({exc}); its {_kept(store, root.id)} stored items are kept"
        except ConfigError as exc:
            task.status, task.detail = "skipped", str(exc)
        except (FetchError, ParseError) as exc:
            task.status, task.detail = "failed", redact_text(str(exc)) + " (read again next run)"
        if task.status == "ok":
            _store_thread(store, brands[root.brand], root, replies, task, now)
        _mark(store, root, task, now)
        if task.status not in ("ok", "skipped"):
            log.warning("conversations: %s thread %s: %s: %s", root.platform, root.url, task.status, task.detail)
        report.threads.append(task)
    return report


def _kept(store: Store, root_id: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(thread_items.c.root_id == root_id)).scalar_one()


def _root_post(root: Root) -> Post:
    return Post(key=str(root.raw.get("id") or root.native_id) if root.platform == "mastodon" else root.native_id,
                native_id=root.native_id, parent_key=None, author=root.author, text=root.text,
                published_at=root.published_at, url=root.url, lang=root.lang, author_followers=root.author_followers)


def _store_thread(store: Store, brand: Brand, root: Root, replies: list[Post], task: ThreadReport, now: datetime) -> None:
    handles = Handles.of(brand, root.platform)
    top = _root_post(root)
    live = [p for p in replies if not p.deleted]
    candidates = [top] if root.kind == "addressed" else [p for p in live if not handles.match(p.author)]
    answers = first_answers(candidates, replies, handles, root_key=top.key)
    # In an addressed thread only the root is an item; others' replies there answer its author, not the brand,
    # so of them only the brand's own replies are kept (the answers).
    kept = [top] + [p for p in live if handles.match(p.author)] if root.kind == "addressed" else live
    rows = []
    for post in kept:
        answer = answers.get(post.key)
        rows.append({
            "id": mention_id(root.platform, post.native_id), "root_id": root.id, "brand": root.brand,
            "platform": root.platform, "native_id": post.native_id,
            "parent_native_id": _native_of(post.parent_key, top, replies), "url": post.url, "author": post.author,
            "author_followers": post.author_followers, "by_brand": handles.match(post.author), "text": post.text,
            "text_hash": root.text_hash if post is top else text_hash("", post.text), "lang": post.lang,
            "published_at": post.published_at, "fetched_at": now,
            "answered_at": answer[0] if answer else None, "answered_by": answer[1] if answer else None,
            "deleted_at": None,
        })
    seen = {r["id"] for r in rows}
    gone = {mention_id(root.platform, p.native_id) for p in replies if p.deleted}
    with store.transaction() as conn:
        before = {r.id: r.answered_at for r in conn.execute(
            sa.select(thread_items.c.id, thread_items.c.answered_at, thread_items.c.deleted_at)
            .where(thread_items.c.root_id == root.id))}
        store.upsert(conn, thread_items, rows, update=("url", "author_followers", "text", "fetched_at"))
        t = thread_items.c
        for r in rows:
            if r["answered_at"] is not None:  # keep the earliest answer ever seen; never clear one
                conn.execute(sa.update(thread_items).where(t.id == r["id"], sa.or_(t.answered_at.is_(None),
                             t.answered_at > r["answered_at"])).values(answered_at=r["answered_at"],
                                                                       answered_by=r["answered_by"]))
                if before.get(r["id"]) is None:
                    task.new_answers += 1
        # Replies stored earlier but not in this read (Mastodon omits deleted ones) or shown deleted.
        missing = [i for i in before if i not in seen and i != root.id] + [i for i in gone if i in before]
        if missing:
            result = conn.execute(sa.update(thread_items).where(t.id.in_(missing), t.deleted_at.is_(None))
                                  .values(deleted_at=now))
            task.deleted = result.rowcount or 0
    task.items = len(rows)


def _native_of(key: str | None, top: Post, replies: Sequence[Post]) -> str | None:
    if key is None:
        return None
    if key == top.key:
        return top.native_id
    return next((p.native_id for p in replies if p.key == key), key)


def _mark(store: Store, root: Root, task: ThreadReport, now: datetime) -> None:
    row = {"root_id": root.id, "brand": root.brand, "platform": root.platform, "kind": root.kind, "url": root.url,
           "status": task.status, "detail": task.detail, "checked_at": now, "gone_at": now if task.status == "gone" else None}
    with store.transaction() as conn:
        store.upsert(conn, threads, [row], update=("status", "detail", "checked_at", "kind"))
        if task.status == "gone":
            conn.execute(sa.update(threads).where(threads.c.root_id == root.id, threads.c.gone_at.is_(None))
                         .values(gone_at=now))
