"""Reddit: keyless Atom feeds (search, subreddit ``new``) and OAuth JSON search when a client id is set.

The unauthenticated ``.json`` endpoints closed in 2026; the Atom feeds still
work without keys but carry no scores. With ``LISTENING_REDDIT_CLIENT_ID`` and
``LISTENING_REDDIT_CLIENT_SECRET`` set, an app-only (client-credentials) token
unlocks ``oauth.reddit.com`` JSON with scores and comment counts. Both paths
key posts by the fullname ``t3_...`` so they dedupe against each other. The
secret is read at login and never stored on a connector, logged or raised.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, quote_plus

from listening.errors import ConfigError, FetchError, ListeningError, ParseError
from listening.http import HttpClient, redact_url, register_secret
from listening.mention import Mention
from listening.sources.base import Cursor, FetchResult, Skipped
from listening.sources.items import guarded
from listening.sources.paging import read_with_backlog
from listening.sources.rss import EntryContext, SkipEntry, fetch_feed, generic_entry
from listening.sources.text import from_epoch, jsonable

__all__ = [
    "ClientCredentials",
    "REDDIT_BASE",
    "REDDIT_OAUTH_BASE",
    "RedditOAuthSearch",
    "RedditSearch",
    "RedditSubreddit",
    "post_to_mention",
    "reddit_entry",
]

logger = logging.getLogger(__name__)

REDDIT_BASE = "https://www.reddit.com"
REDDIT_OAUTH_BASE = "https://oauth.reddit.com"
REDDIT_TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
_FOOTER = re.compile(r"\s*submitted by\s+/u/\S+(\s+to\s+r/\S+)?\s*\[link\]\s*\[comments\]\s*$")
_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def reddit_entry(entry: dict[str, Any], ctx: EntryContext) -> Mention:
    """An Atom entry: native id is the fullname ``t3_...``, the "submitted by ... [comments]" footer goes."""
    mention = generic_entry(entry, ctx)
    fullname = str(entry.get("id") or "")
    if not fullname.startswith("t3_"):
        raise SkipEntry("not_a_post", f"entry {fullname or mention.url!r} is not a post (no t3_ id)")
    text = _FOOTER.sub("", mention.text).strip()
    return mention.with_(native_id=fullname, text=text or mention.title, author=mention.author.removeprefix("/u/"))


@dataclass(frozen=True, slots=True)
class RedditSearch:
    """Newest posts matching ``query`` site-wide, from the keyless Atom feed (no scores)."""

    query: str
    base_url: str = REDDIT_BASE
    source: str = "reddit"

    @property
    def url(self) -> str:
        """The search feed URL.

        >>> RedditSearch("acme cloud").url
        'https://www.reddit.com/search.rss?q=acme+cloud&sort=new'
        """
        return f"{self.base_url.rstrip('/')}/search.rss?q={quote_plus(self.query)}&sort=new"

    @property
    def key(self) -> str:
        return f"{self.source}:search:{self.query}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        return fetch_feed(client, self.url, cursor, source=self.source, query=self.query, mapper=reddit_entry, now=now)


@dataclass(frozen=True, slots=True)
class RedditSubreddit:
    """Newest posts of one subreddit (a brand's own community or a competitor's)."""

    subreddit: str
    base_url: str = REDDIT_BASE
    is_own: bool = False
    source: str = "reddit"

    @property
    def url(self) -> str:
        """The subreddit's ``new`` feed URL.

        >>> RedditSubreddit("r/acme").url
        'https://www.reddit.com/r/acme/new.rss'
        """
        name = self.subreddit.removeprefix("/").removeprefix("r/")
        return f"{self.base_url.rstrip('/')}/r/{quote(name, safe='')}/new.rss"

    @property
    def key(self) -> str:
        return f"{self.source}:r/{self.subreddit.removeprefix('/').removeprefix('r/')}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        return fetch_feed(client, self.url, cursor, source=self.source, query=self.key.split(":", 1)[1],
                          is_own=self.is_own, mapper=reddit_entry, now=now)


def post_to_mention(data: Any, *, query: str, fetched_at: datetime) -> Mention:
    """A ``t3`` listing child's ``data`` as a Mention (score, upvotes, comment count).

    >>> m = post_to_mention({"name": "t3_1x", "title": "Acme down?", "selftext": "", "author": "kim",
    ...     "permalink": "/r/sre/comments/1x/acme_down/", "created_utc": 1795000000.0, "score": 12,
    ...     "ups": 12, "num_comments": 4}, query="acme", fetched_at=from_epoch(1795000100))
    >>> (m.native_id, m.url, m.text, m.score, m.replies)
    ('t3_1x', 'https://www.reddit.com/r/sre/comments/1x/acme_down/', 'Acme down?', 12, 4)
    """
    if not isinstance(data, dict):
        raise SkipEntry("not_object", "listing child without a data object")
    name = data.get("name")
    if not isinstance(name, str) or not name.startswith("t3_"):
        raise SkipEntry("no_id", f"post without a t3_ fullname (title {data.get('title')!r})")
    created = data.get("created_utc")
    if not isinstance(created, (int, float)) or isinstance(created, bool):
        raise SkipEntry("no_time", f"post {name} has no created_utc")
    title = " ".join(str(data.get("title") or "").split())
    permalink = str(data.get("permalink") or "")

    def count(key: str) -> int | None:
        value = data.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return Mention(
        source="reddit",
        native_id=name,
        url=f"https://www.reddit.com{permalink}" if permalink.startswith("/") else str(data.get("url") or ""),
        title=title,
        text=" ".join(str(data.get("selftext") or "").split()) or title,
        published_at=from_epoch(created),
        fetched_at=fetched_at,
        author=str(data.get("author") or ""),
        query=query,
        likes=count("ups"),
        score=count("score"),
        replies=count("num_comments"),
        raw=jsonable(data),
    )


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """Reddit app-only OAuth from env vars (names only here); the token POST goes through the shared client."""

    client_id_env: str = "LISTENING_REDDIT_CLIENT_ID"
    client_secret_env: str = "LISTENING_REDDIT_CLIENT_SECRET"
    token_url: str = REDDIT_TOKEN_URL

    @property
    def configured(self) -> bool:
        return bool(os.environ.get(self.client_id_env) and os.environ.get(self.client_secret_env))

    def token(self, client: HttpClient) -> str:
        """A bearer token, reused until shortly before it expires."""
        client_id = os.environ.get(self.client_id_env, "")
        secret = os.environ.get(self.client_secret_env, "")
        if not client_id or not secret:
            raise ConfigError(
                f"Reddit OAuth search needs {self.client_id_env} and {self.client_secret_env} (a 'script' or "
                "'web' app at reddit.com/prefs/apps); without them use the keyless Atom search"
            )
        key = (self.token_url, client_id)
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and time.monotonic() < cached[1]:
                return cached[0]
        shown = redact_url(self.token_url)
        register_secret(secret)
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        resp = client.post(self.token_url, data={"grant_type": "client_credentials"},
                           headers={"Authorization": f"Basic {basic}"}, raise_for_status=False)
        if resp.status != 200:
            raise FetchError(f"Reddit token request to {shown} returned HTTP {resp.status}; check "
                             f"{self.client_id_env} and {self.client_secret_env}", url=shown, status=resp.status)
        try:
            answer = resp.json()
            token, lifetime = str(answer["access_token"]), float(answer.get("expires_in", 3600))
        except (ParseError, KeyError, TypeError, ValueError):
            raise ParseError(f"Reddit token request to {shown}: no access_token in the answer") from None
        with _tokens_lock:
            _tokens[key] = (token, time.monotonic() + max(0.0, lifetime - 300))
        return token


@dataclass(frozen=True, slots=True)
class RedditOAuthSearch:
    """Newest posts matching ``query`` from the OAuth JSON API, paged with ``after`` down to the watermark."""

    query: str
    base_url: str = REDDIT_OAUTH_BASE
    auth: ClientCredentials = field(default_factory=ClientCredentials)
    limit: int = 100
    max_pages: int = 3
    lookback: timedelta = timedelta(days=2)
    source: str = "reddit"

    @property
    def key(self) -> str:
        return f"{self.source}:oauth:{self.query}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        fetched_at = now or datetime.now(timezone.utc)
        cursor = (cursor or Cursor()).as_of(fetched_at)
        stop_at = cursor.watermark or fetched_at - self.lookback
        headers = {"Authorization": f"bearer {self.auth.token(client)}"}
        url = f"{self.base_url.rstrip('/')}/search"
        params: dict[str, str | int] = {"q": self.query, "sort": "new", "limit": self.limit, "raw_json": 1}
        mentions: list[Mention] = []
        skipped: list[Skipped] = []
        requests = pages = 0

        def window(after_time: datetime, until: datetime | None, token: str | None
                   ) -> tuple[datetime, str | None] | None:
            """Listings cannot be asked for a time window: resume at ``after=`` (a post's fullname) or the top."""
            nonlocal requests, pages
            after = token
            oldest = until or fetched_at
            while True:
                if pages >= self.max_pages:
                    skipped.append(Skipped("request_limit", f"stopped after {pages} pages of {self.query!r}"))
                    return oldest, after
                try:
                    response = client.get(url, params={**params, "after": after} if after else params, headers=headers)
                    requests += response.attempts
                    listing = response.json()
                    data = listing.get("data") if isinstance(listing, dict) else None
                    children = data.get("children") if isinstance(data, dict) else None
                    if not isinstance(children, list):
                        raise ParseError(f"{redact_url(response.url)}: not a Reddit listing (no data.children)")
                except ListeningError as exc:
                    if pages == 0:
                        raise
                    skipped.append(Skipped("page_failed", f"{self.query!r}: {type(exc).__name__}: {exc}"))
                    return oldest, after
                pages += 1
                times: list[datetime] = []
                for index, child in enumerate(children):
                    post = child.get("data") if isinstance(child, dict) else None
                    mention = guarded(f"reddit {self.query!r} child {index}", skipped, post_to_mention, post,
                                      query=self.query, fetched_at=fetched_at)
                    if mention is None:
                        continue
                    times.append(mention.published_at)
                    if mention.published_at >= after_time and all(m.native_id != mention.native_id for m in mentions):
                        mentions.append(mention)
                oldest = min([oldest, *times])
                after = data.get("after") if isinstance(data.get("after"), str) else None
                if not after or not children or any(t < after_time for t in times):
                    return None

        backlog = read_with_backlog(cursor, stop_at, window)
        new_cursor = replace(cursor.advanced([m.published_at for m in mentions], now=fetched_at), backlog=backlog)
        return FetchResult(mentions, new_cursor, skipped, requests=requests)
