"""Naver Search (Korean): news, blog and cafe posts matching a query, newest first.

The Open API needs a free client id and secret, sent as headers and read from
the environment at fetch time, so a connector value never holds them and they
never reach a message or a log (HTTP errors name only the URL). Titles and
descriptions carry ``<b>`` highlight tags and HTML entities. Dates differ per
kind: news ``pubDate`` is RFC 822 with +0900, blog ``postdate`` is a KST day
(YYYYMMDD), cafe posts have no date at all (they are dated ``fetched_at``).
"""

from __future__ import annotations

import email.utils
import logging
import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from listening.errors import ConfigError, ListeningError, ParseError
from listening.http import HttpClient, redact_url
from listening.mention import Mention
from listening.utc import as_utc
from listening.sources.base import Cursor, FetchResult, Skipped
from listening.sources.items import BadItem, as_object, guarded
from listening.sources.paging import read_with_backlog
from listening.sources.text import jsonable, strip_html

__all__ = ["NAVER_BASE", "NAVER_KINDS", "NaverSearch", "item_to_mention"]

logger = logging.getLogger(__name__)

NAVER_BASE = "https://openapi.naver.com"
NAVER_KINDS = ("news", "blog", "cafearticle")
ID_ENV = "LISTENING_NAVER_CLIENT_ID"
SECRET_ENV = "LISTENING_NAVER_CLIENT_SECRET"
MAX_START = 1000  # the API refuses start > 1000
KST = timezone(timedelta(hours=9))


def _published(item: dict[str, Any]) -> datetime | None:
    """``pubDate`` (news) or ``postdate`` (blog) in UTC; ``None`` when the kind has no date (cafe).

    >>> _published({"pubDate": "Tue, 24 Nov 2026 18:05:00 +0900"}).isoformat()
    '2026-11-24T09:05:00+00:00'
    >>> _published({"postdate": "20261124"}).isoformat()
    '2026-11-23T15:00:00+00:00'
    """
    if item.get("pubDate"):
        try:
            return as_utc(email.utils.parsedate_to_datetime(str(item["pubDate"])))
        except (TypeError, ValueError):
            raise BadItem("bad_time", f"unreadable pubDate {item['pubDate']!r}") from None
    if item.get("postdate"):
        try:
            return as_utc(datetime.strptime(str(item["postdate"]), "%Y%m%d").replace(tzinfo=KST))
        except ValueError:
            raise BadItem("bad_time", f"unreadable postdate {item['postdate']!r}") from None
    return None


def item_to_mention(item: Any, *, kind: str, query: str, fetched_at: datetime) -> Mention:
    """One search item; news is keyed by the publisher's ``originallink`` when there is one.

    >>> m = item_to_mention({"title": "<b>Acme</b> &quot;3.0&quot;", "link": "https://blog.naver.com/x/1",
    ...     "description": "빠름", "bloggername": "kim", "postdate": "20261124"}, kind="blog", query="acme",
    ...     fetched_at=datetime(2026, 11, 25, tzinfo=timezone.utc))
    >>> (m.title, m.author, m.lang)
    ('Acme "3.0"', 'kim', 'ko')
    """
    item = as_object(item, f"{kind} item")
    link = item.get("originallink") or item.get("link")
    if not isinstance(link, str) or not link:
        raise BadItem("no_id", f"{kind} item {item.get('title')!r} has no link")
    title = strip_html(item.get("title"))
    text = strip_html(item.get("description"))
    if not title and not text:
        raise BadItem("empty", f"{kind} item {link} has no title and no description")
    published = _published(item)
    raw = jsonable(item)
    if published is None:
        raw["_listening_notes"] = [f"{kind} items carry no date; published_at is fetched_at"]
    return Mention(
        source="naver",
        native_id=link,
        url=link,
        title=title,
        text=text or title,
        published_at=published or as_utc(fetched_at),
        fetched_at=as_utc(fetched_at),
        author=item.get("bloggername") or item.get("cafename") or "",
        lang="ko",
        query=query,
        raw=raw,
    )


@dataclass(frozen=True, slots=True)
class NaverSearch:
    """Naver ``news``, ``blog`` or ``cafearticle`` search; credentials come from env vars named here."""

    query: str
    kind: str = "news"
    base_url: str = NAVER_BASE
    display: int = 100
    max_pages: int = 3
    lookback: timedelta = timedelta(days=2)
    client_id_env: str = ID_ENV
    client_secret_env: str = SECRET_ENV
    source: str = "naver"

    def __post_init__(self) -> None:
        if self.kind not in NAVER_KINDS:
            raise ValueError(f"unknown Naver search kind {self.kind!r}; use one of {list(NAVER_KINDS)}")

    @property
    def key(self) -> str:
        return f"{self.source}:{self.kind}:{self.query}"

    @property
    def configured(self) -> bool:
        return bool(os.environ.get(self.client_id_env) and os.environ.get(self.client_secret_env))

    def _headers(self) -> dict[str, str]:
        if not self.configured:
            raise ConfigError(
                f"Naver search needs API credentials: set {self.client_id_env} and {self.client_secret_env} "
                "(free at developers.naver.com, application with the Search API), or drop the Naver search"
            )
        return {"X-Naver-Client-Id": os.environ[self.client_id_env],
                "X-Naver-Client-Secret": os.environ[self.client_secret_env]}

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        fetched_at = now or datetime.now(timezone.utc)
        cursor = (cursor or Cursor()).as_of(fetched_at)
        stop_at = cursor.watermark or fetched_at - self.lookback
        if self.kind == "blog":  # postdate is a day: keep the whole day of the watermark
            stop_at -= timedelta(days=1)
        headers = self._headers()
        url = f"{self.base_url.rstrip('/')}/v1/search/{self.kind}.json"
        mentions: list[Mention] = []
        skipped: list[Skipped] = []
        requests = pages = 0

        def window(after: datetime, until: datetime | None, token: str | None) -> tuple[datetime, str | None] | None:
            """Results page by offset only: resume at the offset where the last run stopped (newer items push
            older ones down, so that re-reads a few and skips none), else read from the top."""
            nonlocal requests, pages
            start = int(token) if token and token.isdigit() else 1
            oldest = until or fetched_at
            while start <= MAX_START:
                if pages >= self.max_pages:
                    skipped.append(Skipped("request_limit", f"stopped after {pages} pages of {self.query!r}"))
                    return oldest, str(start)
                params: dict[str, str | int] = {"query": self.query, "display": self.display, "start": start,
                                                "sort": "date"}
                try:
                    response = client.get(url, params=params, headers=headers)
                    requests += response.attempts
                    payload = response.json()
                    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
                        raise ParseError(f"{redact_url(response.url)}: Naver answer without an 'items' list")
                except ListeningError as exc:
                    if pages == 0:
                        raise
                    skipped.append(Skipped("page_failed", f"{self.query!r} start={start}: {type(exc).__name__}: {exc}"))
                    return oldest, str(start)
                pages += 1
                dated: list[datetime] = []
                for index, item in enumerate(payload["items"]):
                    mention = guarded(f"naver {self.kind} {self.query!r} start {start} item {index}", skipped,
                                      item_to_mention, item, kind=self.kind, query=self.query, fetched_at=fetched_at)
                    if mention is None:
                        continue
                    if "_listening_notes" not in mention.raw:
                        dated.append(mention.published_at)
                        if mention.published_at < after:
                            continue
                    if all(m.native_id != mention.native_id for m in mentions):
                        mentions.append(mention)
                oldest = min([oldest, *dated])
                total = payload.get("total") if isinstance(payload.get("total"), int) else 0
                start += self.display
                if not dated or start > total or any(d < after for d in dated):  # cafe: undated, one page
                    return None
            return None  # the API serves no deeper than start=1000

        backlog = read_with_backlog(cursor, stop_at, window)
        marks = [m.published_at for m in mentions if "_listening_notes" not in m.raw]
        return FetchResult(mentions, replace(cursor.advanced(marks, now=fetched_at), backlog=backlog), skipped,
                           requests=requests)
