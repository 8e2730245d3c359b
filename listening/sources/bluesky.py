"""Bluesky: account feeds and engagement re-polls anonymously, post search with an app password.

Posts are bucketed by ``indexedAt`` (when the AppView saw them): ``createdAt``
is set by the posting client and may be anywhere in time, so it stays in
``raw`` only. Search needs a session: an app password from the environment is
exchanged at ``createSession`` for a bearer token. The password is read when
logging in and never stored on a connector, logged, or put in an error.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from listening.errors import ConfigError, FetchError, ListeningError, ParseError
from listening.http import HttpClient, Response, redact_url, register_secret
from listening.mention import Mention
from listening.utc import as_utc
from listening.sources.base import Cursor, FetchResult, Skipped
from listening.sources.items import BadItem, as_object, guarded
from listening.sources.paging import read_with_backlog
from listening.sources.text import jsonable

__all__ = [
    "AppPassword",
    "BSKY_APPVIEW",
    "BSKY_PUBLIC",
    "BSKY_SESSION_URL",
    "BlueskyAuthor",
    "BlueskySearch",
    "post_to_mention",
    "refresh_posts",
]

logger = logging.getLogger(__name__)

BSKY_PUBLIC = "https://public.api.bsky.app"
BSKY_APPVIEW = "https://api.bsky.app"
BSKY_SESSION_URL = "https://bsky.social/xrpc/com.atproto.server.createSession"
GET_POSTS_MAX = 25
_SESSION_TTL_S = 60 * 60  # access tokens live ~2 h; log in again well before
_sessions: dict[tuple[str, str], tuple[str, float]] = {}
_sessions_lock = threading.Lock()


class BadPost(BadItem):
    """A post view that cannot become a Mention; recorded as Skipped, never escapes."""


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def post_to_mention(post: Any, *, query: str, fetched_at: datetime, is_own: bool = False) -> Mention:
    """A ``app.bsky.feed.defs#postView`` as a Mention, dated by ``indexedAt``.

    >>> m = post_to_mention({"uri": "at://did:plc:x/app.bsky.feed.post/3kabc", "author": {"handle": "acme.com"},
    ...     "record": {"text": "Hi", "langs": ["en-US"], "createdAt": "1999-01-01T00:00:00Z"},
    ...     "indexedAt": "2026-11-24T10:00:00.123Z", "likeCount": 4}, query="", fetched_at=datetime(2026, 11, 25))
    >>> (m.url, m.published_at.isoformat(), m.lang, m.likes)
    ('https://bsky.app/profile/acme.com/post/3kabc', '2026-11-24T10:00:00.123000+00:00', 'en', 4)
    """
    post = as_object(post, "post")
    uri = post.get("uri")
    if not isinstance(uri, str) or not uri.startswith("at://"):
        raise BadPost("no_id", f"post without an at:// uri (cid {post.get('cid')!r})")
    indexed = post.get("indexedAt")
    try:
        published = as_utc(datetime.fromisoformat(str(indexed).replace("Z", "+00:00")))
    except ValueError:
        raise BadPost("bad_time", f"post {uri}: unreadable indexedAt {indexed!r}") from None
    author = post.get("author") if isinstance(post.get("author"), dict) else {}
    record = post.get("record") if isinstance(post.get("record"), dict) else {}
    text = " ".join(str(record.get("text") or "").split())
    if not text:
        raise BadPost("empty", f"post {uri} has no text (media only?)")
    handle = author.get("handle") or author.get("did") or ""
    langs = record.get("langs") if isinstance(record.get("langs"), list) else []
    return Mention(
        source="bluesky",
        native_id=uri,
        url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}",
        title="",
        text=text,
        published_at=published,
        fetched_at=as_utc(fetched_at),
        author=handle,
        lang=str(langs[0]).split("-")[0].lower() if langs else "",
        query=query,
        is_own=is_own,
        likes=_count(post.get("likeCount")),
        reposts=_count(post.get("repostCount")),
        replies=_count(post.get("replyCount")),
        raw=jsonable(post),
    )


def _payload(response: Response, key: str) -> tuple[list[Any], str | None]:
    data = response.json()
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ParseError(f"{redact_url(response.url)}: XRPC response without a {key!r} list")
    next_cursor = data.get("cursor")
    return data[key], next_cursor if isinstance(next_cursor, str) and next_cursor else None


def _collect(posts: Iterable[Any], found: list[Mention], skipped: list[Skipped], **kw: Any) -> list[datetime]:
    """Map post views into ``found``; returns every readable ``indexedAt`` (for stop decisions)."""
    times = []
    for index, post in enumerate(posts):
        mention = guarded(f"bluesky post {index}", skipped, post_to_mention, post, **kw)
        if mention is None:
            continue
        times.append(mention.published_at)
        if all(m.native_id != mention.native_id for m in found):
            found.append(mention)
    return times


def refresh_posts(
    client: HttpClient, uris: list[str], *, base_url: str = BSKY_PUBLIC, now: datetime | None = None
) -> FetchResult:
    """Re-observe known posts (engagement snapshots), 25 uris per ``getPosts`` request.

    Deleted posts are simply absent from the answer; they are recorded as skips.
    """
    fetched_at = now or datetime.now(timezone.utc)
    url = f"{base_url.rstrip('/')}/xrpc/app.bsky.feed.getPosts"
    mentions: list[Mention] = []
    skipped: list[Skipped] = []
    requests = 0
    for start in range(0, len(uris), GET_POSTS_MAX):
        chunk = uris[start:start + GET_POSTS_MAX]
        response = client.get(f"{url}?{urlencode([('uris', u) for u in chunk])}")
        requests += response.attempts
        posts, _ = _payload(response, "posts")
        _collect(posts, mentions, skipped, query="", fetched_at=fetched_at)
    missing = set(uris) - {m.native_id for m in mentions}
    skipped += [Skipped("gone", f"{uri} not returned (deleted or taken down)") for uri in uris if uri in missing]
    return FetchResult(mentions, Cursor(), skipped, requests=requests)


@dataclass(frozen=True, slots=True)
class BlueskyAuthor:
    """One account's posts without replies (own and competitor accounts), plus its follower count.

    With ``repoll`` set, every run reads back at least that far past the
    watermark, so posts are seen again while their engagement still grows.
    """

    handle: str
    base_url: str = BSKY_PUBLIC
    is_own: bool = False
    limit: int = 100
    max_pages: int = 3
    lookback: timedelta = timedelta(days=7)
    repoll: timedelta = timedelta(0)
    source: str = "bluesky"

    @property
    def key(self) -> str:
        return f"{self.source}:@{self.handle.lstrip('@')}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        fetched_at = now or datetime.now(timezone.utc)
        cursor = (cursor or Cursor()).as_of(fetched_at)
        stop_at = cursor.watermark or fetched_at - max(self.lookback, self.repoll)
        if self.repoll:
            stop_at = min(stop_at, fetched_at - self.repoll)
        actor = self.handle.lstrip("@")
        xrpc = f"{self.base_url.rstrip('/')}/xrpc"
        profile = client.get(f"{xrpc}/app.bsky.actor.getProfile", params={"actor": actor})
        facts = profile.json()
        followers = _count(facts.get("followersCount")) if isinstance(facts, dict) else None
        requests = profile.attempts
        params: dict[str, str | int] = {"actor": actor, "filter": "posts_no_replies", "limit": self.limit}
        found: list[Mention] = []
        skipped: list[Skipped] = []
        pages = 0

        def window(after: datetime, until: datetime | None, token: str | None) -> tuple[datetime, str | None] | None:
            """The feed cannot be asked for a time window: it resumes at a page cursor or reads from the top."""
            nonlocal requests, pages
            page_cursor = token
            oldest = until or fetched_at
            while True:
                if pages >= self.max_pages:
                    skipped.append(Skipped("request_limit", f"stopped after {pages} pages of @{actor}"))
                    return oldest, page_cursor
                try:
                    response = client.get(f"{xrpc}/app.bsky.feed.getAuthorFeed",
                                          params={**params, "cursor": page_cursor} if page_cursor else params)
                    requests += response.attempts
                    items, page_cursor = _payload(response, "feed")
                except ListeningError as exc:
                    if pages == 0:
                        raise
                    skipped.append(Skipped("page_failed", f"@{actor} page {pages}: {type(exc).__name__}: {exc}"))
                    return oldest, page_cursor
                pages += 1
                own = [i.get("post") if isinstance(i, dict) else i for i in items
                       if not (isinstance(i, dict) and i.get("reason"))]  # reasonRepost/reasonPin: not this post's time
                times = _collect(own, found, skipped, query=f"@{actor}", fetched_at=fetched_at, is_own=self.is_own)
                oldest = min([oldest, *times])
                if not page_cursor or not items or any(t <= after for t in times):
                    return None

        backlog = read_with_backlog(cursor, stop_at, window)
        floor = min(stop_at, cursor.backlog.after) if cursor.backlog else stop_at  # the oldest window asked
        mentions = [m.with_(author_followers=followers) for m in found if m.published_at >= floor]
        new_cursor = replace(cursor.advanced([m.published_at for m in mentions], now=fetched_at), backlog=backlog)
        return FetchResult(mentions, new_cursor, skipped, requests=requests)


@dataclass(frozen=True, slots=True)
class AppPassword:
    """Where the Bluesky login comes from: env var names only, so the value never holds a secret.

    ``createSession`` is a POST through the shared client: same timeouts, retries and redaction as every fetch.
    """

    identifier_env: str = "LISTENING_BLUESKY_IDENTIFIER"
    password_env: str = "LISTENING_BLUESKY_APP_PASSWORD"
    session_url: str = BSKY_SESSION_URL

    @property
    def configured(self) -> bool:
        return bool(os.environ.get(self.identifier_env) and os.environ.get(self.password_env))

    def token(self, client: HttpClient) -> str:
        """A bearer token, reusing a recent session for the same account."""
        identifier = os.environ.get(self.identifier_env, "")
        password = os.environ.get(self.password_env, "")
        if not identifier or not password:
            raise ConfigError(
                f"Bluesky search needs an app password: set {self.identifier_env} (handle or e-mail) and "
                f"{self.password_env} (Settings > App passwords), or drop the Bluesky search from the config"
            )
        key = (self.session_url, identifier)
        with _sessions_lock:
            cached = _sessions.get(key)
            if cached and time.monotonic() - cached[1] < _SESSION_TTL_S:
                return cached[0]
        token = self._login(client, identifier, password)
        with _sessions_lock:
            _sessions[key] = (token, time.monotonic())
        return token

    def _login(self, client: HttpClient, identifier: str, password: str) -> str:
        shown = redact_url(self.session_url)
        register_secret(password)
        resp = client.post(self.session_url, json={"identifier": identifier, "password": password},
                           raise_for_status=False)
        if resp.status != 200:
            try:
                error = str(resp.json().get("error", ""))[:80]
            except (ParseError, AttributeError):
                error = ""
            raise FetchError(
                f"Bluesky login as {identifier} at {shown} returned HTTP {resp.status} {error}".rstrip()
                + f"; check {self.password_env} (an app password, not the account password)",
                url=shown, status=resp.status,
            )
        try:
            jwt = resp.json()["accessJwt"]
        except (ParseError, KeyError, TypeError):
            raise ParseError(f"Bluesky login at {shown}: no accessJwt in the answer") from None
        logger.info("bluesky: logged in as %s", identifier)
        return str(jwt)


@dataclass(frozen=True, slots=True)
class BlueskySearch:
    """Posts matching ``query`` (newest first) via ``searchPosts``; needs :class:`AppPassword` credentials."""

    query: str
    base_url: str = BSKY_APPVIEW
    auth: AppPassword = field(default_factory=AppPassword)
    lang: str = ""
    limit: int = 100
    max_pages: int = 3
    lookback: timedelta = timedelta(days=2)
    source: str = "bluesky"

    @property
    def key(self) -> str:
        return f"{self.source}:search:{self.query}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        fetched_at = now or datetime.now(timezone.utc)
        cursor = (cursor or Cursor()).as_of(fetched_at)
        stop_at = cursor.watermark or fetched_at - self.lookback
        headers = {"Authorization": f"Bearer {self.auth.token(client)}"}
        url = f"{self.base_url.rstrip('/')}/xrpc/app.bsky.feed.searchPosts"
        found: list[Mention] = []
        skipped: list[Skipped] = []
        requests = pages = 0

        def window(after: datetime, until: datetime | None, token: str | None) -> tuple[datetime, str | None] | None:
            nonlocal requests, pages
            params: dict[str, str | int] = {"q": self.query, "sort": "latest", "limit": self.limit,
                                            "since": _xrpc_time(after)}
            if until is not None:
                params["until"] = _xrpc_time(until + timedelta(milliseconds=1))
            if self.lang:
                params["lang"] = self.lang
            page_cursor = token
            oldest = until or fetched_at
            while True:
                if pages >= self.max_pages:
                    skipped.append(Skipped("request_limit", f"stopped after {pages} pages of {self.query!r}"))
                    return oldest, page_cursor
                try:
                    response = client.get(url, params={**params, "cursor": page_cursor} if page_cursor else params,
                                          headers=headers)
                    requests += response.attempts
                    posts, page_cursor = _payload(response, "posts")
                except ListeningError as exc:
                    if pages == 0:
                        raise
                    skipped.append(Skipped("page_failed", f"{self.query!r}: {type(exc).__name__}: {exc}"))
                    return oldest, page_cursor
                pages += 1
                times = _collect(posts, found, skipped, query=self.query, fetched_at=fetched_at)
                oldest = min([oldest, *times])
                if not page_cursor or not posts or any(t <= after for t in times):
                    return None

        backlog = read_with_backlog(cursor, stop_at, window)
        floor = min(stop_at, cursor.backlog.after) if cursor.backlog else stop_at  # the oldest window asked
        mentions = [m for m in found if m.published_at >= floor]
        new_cursor = replace(cursor.advanced([m.published_at for m in mentions], now=fetched_at), backlog=backlog)
        return FetchResult(mentions, new_cursor, skipped, requests=requests)


def _xrpc_time(when: datetime) -> str:
    """A time as searchPosts' ``since``/``until`` want it.

    >>> _xrpc_time(datetime(2026, 11, 24, 9, 30, 0, 123456, tzinfo=timezone.utc))
    '2026-11-24T09:30:00.123Z'
    """
    return as_utc(when).strftime("%Y-%m-%dT%H:%M:%S.") + f"{as_utc(when).microsecond // 1000:03d}Z"
