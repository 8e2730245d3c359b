"""Mastodon: a hashtag timeline or one account's own posts, read anonymously.

Post search needs a user token, so brands are followed by hashtag and by
account. Paging follows the ``Link`` header (``rel="next"`` carries
``max_id``) back to the cursor's watermark; the first request also sends a
``since_id`` made from the watermark, because Mastodon ids are time-based
snowflakes, so a well-behaved server returns only newer posts. Some servers
answer 401 to anonymous tag feeds: that is recorded as a skip, not a crash.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from listening.errors import FetchError, ListeningError, ParseError
from listening.http import HttpClient, Response, redact_url
from listening.mention import Mention
from listening.utc import as_utc
from listening.sources.base import Cursor, FetchResult, Skipped
from listening.sources.items import BadItem, as_object, guarded
from listening.sources.paging import read_with_backlog
from listening.sources.text import jsonable, strip_html

__all__ = [
    "LinkPaginator",
    "MastodonAccount",
    "MastodonHashtag",
    "parse_link_header",
    "snowflake_at",
    "status_to_mention",
]

logger = logging.getLogger(__name__)

_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    """``rel -> URL`` from an RFC 8288 ``Link`` header.

    >>> parse_link_header('<https://m.test/api/v1/timelines/tag/acme?max_id=9>; rel="next", '
    ...                   '<https://m.test/api/v1/timelines/tag/acme?min_id=12>; rel="prev"')["next"]
    'https://m.test/api/v1/timelines/tag/acme?max_id=9'
    >>> parse_link_header(None)
    {}
    """
    return {rel: url for url, rel in _LINK.findall(value or "")}


def snowflake_at(when: datetime) -> str:
    """The smallest Mastodon id a status created at ``when`` can have (ms timestamp << 16).

    >>> snowflake_at(datetime(2026, 11, 20, tzinfo=timezone.utc))
    '117645823180800000'
    """
    return str(int(as_utc(when).timestamp() * 1000) << 16)


@dataclass
class LinkPaginator:
    """Follow ``rel="next"`` (older posts) until a page reaches ``stop_at`` or the server stops linking.

    >>> p = LinkPaginator(stop_at=datetime(2026, 11, 20, tzinfo=timezone.utc))
    >>> p.update_state({"link": '<https://m.test/x?max_id=5>; rel="next"'},
    ...                [datetime(2026, 11, 21, tzinfo=timezone.utc)])
    >>> (p.has_next_page, p.update_request({"limit": 40}))
    (True, {'limit': 40, 'max_id': '5'})
    >>> p.update_state({}, [datetime(2026, 11, 19, tzinfo=timezone.utc)])
    >>> p.has_next_page
    False
    """

    stop_at: datetime | None = None
    max_id: str | None = None
    has_next_page: bool = True

    def update_request(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "max_id": self.max_id} if self.max_id else dict(params)

    def update_state(self, headers: dict[str, str] | Any, published: list[datetime]) -> None:
        next_url = parse_link_header(headers.get("link")).get("next")
        reached = self.stop_at is not None and any(p <= self.stop_at for p in published)
        max_id = dict(parse_qsl(urlsplit(next_url).query)).get("max_id") if next_url else None
        if not published or reached or not max_id:
            self.has_next_page = False
        else:
            self.max_id = max_id


class BadStatus(BadItem):
    """A status that cannot become a Mention; recorded as Skipped, never escapes."""


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(text: Any, sid: Any) -> datetime:
    if not isinstance(text, str):
        raise BadStatus("no_time", f"status {sid} has no created_at")
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise BadStatus("bad_time", f"status {sid}: unreadable created_at {text!r}") from None


def status_to_mention(status: Any, *, query: str, fetched_at: datetime, is_own: bool = False) -> Mention:
    """One Mastodon status as a Mention; native id is ``uri`` (the same post on every instance).

    >>> m = status_to_mention({"id": "1", "uri": "https://a.test/users/x/statuses/1", "url": "https://a.test/@x/1",
    ...     "created_at": "2026-11-24T16:20:00.000Z", "language": None, "content": "<p>Hi &amp; bye</p>",
    ...     "favourites_count": 3, "account": {"acct": "x", "followers_count": 10}}, query="#acme",
    ...     fetched_at=datetime(2026, 11, 25, tzinfo=timezone.utc))
    >>> (m.native_id, m.text, m.lang, m.likes, m.author_followers)
    ('https://a.test/users/x/statuses/1', 'Hi & bye', '', 3, 10)
    """
    status = as_object(status, "status")
    uri = status.get("uri")
    if not isinstance(uri, str) or not uri:
        raise BadStatus("no_id", f"status {status.get('id')} has no uri")
    published = _time(status.get("created_at"), uri)
    text = strip_html(status.get("content"))
    spoiler = strip_html(status.get("spoiler_text"))
    if not text and not spoiler:
        raise BadStatus("empty", f"status {uri} has no text (media only?)")
    account = status.get("account") if isinstance(status.get("account"), dict) else {}
    return Mention(
        source="mastodon",
        native_id=uri,
        url=status.get("url") or uri,
        title=spoiler,
        text=text or spoiler,
        published_at=published,
        fetched_at=fetched_at,
        author=account.get("acct") or "",
        author_followers=_count(account.get("followers_count")),
        lang=status.get("language") or "",
        query=query,
        is_own=is_own,
        likes=_count(status.get("favourites_count")),
        reposts=_count(status.get("reblogs_count")),
        replies=_count(status.get("replies_count")),
        raw=jsonable(status),
    )


def _statuses(response: Response) -> list[Any]:
    payload = response.json()
    if not isinstance(payload, list):
        raise ParseError(f"{redact_url(response.url)}: expected a list of statuses, got {type(payload).__name__}")
    return payload


def _read_timeline(
    client: HttpClient,
    url: str,
    params: dict[str, Any],
    cursor: Cursor,
    *,
    query: str,
    fetched_at: datetime,
    lookback: timedelta,
    max_pages: int,
    is_own: bool = False,
    requests: int = 0,
    time_ids: bool = True,
) -> FetchResult:
    """Page a status timeline newest-first back to the watermark (or ``lookback`` on a first run).

    A run that stops early (``max_pages``, a page failing after the first) leaves a backlog that the
    next run asks for directly: ``max_id`` of the next page (or, with time-based ids, made from its end).
    """
    cursor = cursor.as_of(fetched_at)
    mentions: list[Mention] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    pages = 0

    def window(after: datetime, until: datetime | None, token: str | None) -> tuple[datetime, str | None] | None:
        nonlocal pages, requests
        pager = LinkPaginator(stop_at=after)
        first = dict(params)
        if time_ids:
            first["since_id"] = snowflake_at(after)
            if until is not None:
                first["max_id"] = snowflake_at(until + timedelta(milliseconds=1))
        if token:
            first["max_id"] = token
        oldest = until or fetched_at
        here = 0
        while pager.has_next_page:
            if pages >= max_pages:
                skipped.append(Skipped("request_limit", f"stopped after {pages} pages; older posts are read next run"))
                return oldest, pager.max_id if here else token
            try:
                response = client.get(url, params=pager.update_request(first if here == 0 else params))
                requests += response.attempts
                statuses = _statuses(response)
            except ListeningError as exc:
                if pages == 0:
                    raise
                skipped.append(Skipped("page_failed", f"{query}: {type(exc).__name__}: {exc}; read next run"))
                return oldest, pager.max_id if here else token
            pages += 1
            here += 1
            published: list[datetime] = []
            for index, status in enumerate(statuses):
                mention = guarded(f"mastodon {query} page {pages} status {index}", skipped, status_to_mention,
                                  status, query=query, fetched_at=fetched_at, is_own=is_own)
                if mention is None:
                    continue
                published.append(mention.published_at)
                if mention.published_at >= after and mention.native_id not in seen:
                    seen.add(mention.native_id)
                    mentions.append(mention)
            if published:
                oldest = min(oldest, *published)
            pager.update_state(response.headers, published)
        return None

    backlog = read_with_backlog(cursor, cursor.watermark or (fetched_at - lookback), window)
    new_cursor = replace(cursor.advanced([m.published_at for m in mentions], now=fetched_at), backlog=backlog)
    return FetchResult(mentions, new_cursor, skipped, requests=requests)


def _home(instance: str, base_url: str) -> str:
    """The instance a tag or account lives on, which names its cursor.

    The configured ``instance`` wins over the host actually asked, so an endpoint override (the
    offline replay on whatever port it got) keeps the same cursor from run to run.

    >>> _home("mastodon.social", "http://127.0.0.1:47811")
    'mastodon.social'
    >>> _home("", "https://fosstodon.org/")
    'fosstodon.org'
    """
    return instance or urlsplit(base_url).netloc


def _auth_skip(exc: FetchError, cursor: Cursor, what: str) -> FetchResult:
    detail = f"{what}: HTTP {exc.status} for anonymous access (this server needs a user token); nothing fetched"
    logger.warning("mastodon %s", detail)
    return FetchResult([], cursor, [Skipped("auth_required", detail)], requests=1)


@dataclass(frozen=True, slots=True)
class MastodonHashtag:
    """Public posts tagged ``#tag`` on one instance (``base_url``, e.g. ``https://mastodon.social``).

    ``time_ids=False`` for servers whose ids are not Mastodon's time-based
    snowflakes (Pleroma/Akkoma): no ``since_id`` is sent, the watermark alone stops paging.
    """

    base_url: str
    tag: str
    limit: int = 40
    max_pages: int = 5
    lookback: timedelta = timedelta(days=7)
    time_ids: bool = True
    instance: str = ""
    source: str = "mastodon"

    @property
    def key(self) -> str:
        return f"{self.source}:{_home(self.instance, self.base_url)}:#{self.tag.lstrip('#')}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        cursor = cursor or Cursor()
        tag = self.tag.lstrip("#")
        url = f"{self.base_url.rstrip('/')}/api/v1/timelines/tag/{quote(tag, safe='')}"
        try:
            return _read_timeline(
                client, url, {"limit": self.limit}, cursor, query=f"#{tag}",
                fetched_at=now or datetime.now(timezone.utc), lookback=self.lookback, max_pages=self.max_pages,
                time_ids=self.time_ids,
            )
        except FetchError as exc:
            if exc.status in (401, 403):
                return _auth_skip(exc, cursor, f"tag feed #{tag} on {urlsplit(self.base_url).netloc}")
            raise


@dataclass(frozen=True, slots=True)
class MastodonAccount:
    """One account's own posts (no replies, no boosts), for reach tracking of own and competitor accounts.

    With ``repoll`` set, every run reads back at least that far past the
    watermark, so posts are seen again while their engagement still grows.
    """

    base_url: str
    acct: str
    is_own: bool = False
    limit: int = 40
    max_pages: int = 3
    lookback: timedelta = timedelta(days=7)
    repoll: timedelta = timedelta(0)
    time_ids: bool = True
    instance: str = ""
    source: str = "mastodon"

    @property
    def key(self) -> str:
        return f"{self.source}:{_home(self.instance, self.base_url)}:@{self.acct.lstrip('@')}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        cursor = cursor or Cursor()
        base = self.base_url.rstrip("/")
        acct = self.acct.lstrip("@")
        response = client.get(f"{base}/api/v1/accounts/lookup", params={"acct": acct})
        account = response.json()
        if not isinstance(account, dict) or not isinstance(account.get("id"), str):
            raise ParseError(f"{redact_url(response.url)}: account lookup for {acct!r} returned no id")
        fetched_at = now or datetime.now(timezone.utc)
        read_from = cursor
        if self.repoll and cursor.watermark is not None:
            read_from = replace(cursor, watermark=min(cursor.watermark, fetched_at - self.repoll))
        result = _read_timeline(
            client, f"{base}/api/v1/accounts/{quote(account['id'], safe='')}/statuses",
            {"exclude_replies": "true", "exclude_reblogs": "true", "limit": self.limit}, read_from,
            query=f"@{acct}", fetched_at=fetched_at, lookback=max(self.lookback, self.repoll),
            max_pages=self.max_pages, is_own=self.is_own, requests=response.attempts, time_ids=self.time_ids,
        )
        result.cursor = replace(cursor.advanced([m.published_at for m in result.mentions], now=fetched_at),
                                backlog=result.cursor.backlog)
        followers = _count(account.get("followers_count"))
        if followers is not None:
            result.mentions = [m.with_(author_followers=followers) for m in result.mentions]
        return result
