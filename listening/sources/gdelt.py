"""GDELT DOC 2.0: worldwide online news matching a query.

GDELT allows one request per 5 seconds and answers 429 otherwise, so every
request to its host goes through a :class:`HostPacer` (shared by all GDELT
connectors in the process) on top of the client's own politeness. Articles
carry no engagement; ``seendate`` is GDELT's crawl time, which is what we date
them by. Errors in the query come back as HTTP 200 with a plain-text sentence,
which is turned into a :class:`ParseError` that quotes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from listening.errors import ParseError
from listening.http import HttpClient, Response, redact_url
from listening.mention import Mention
from listening.utc import as_utc
from listening.sources.base import Cursor, FetchResult, Skipped
from listening.sources.items import BadItem, as_object, guarded
from listening.sources.paging import read_with_backlog
from listening.sources.text import jsonable, strip_html

__all__ = [
    "GDELT_BASE",
    "GDELT_PACER",
    "GdeltSearch",
    "HostPacer",
    "article_to_mention",
    "gdelt_time",
]

logger = logging.getLogger(__name__)

GDELT_BASE = "https://api.gdeltproject.org"
GDELT_WINDOW = timedelta(days=90)  # DOC 2.0 searches a rolling ~3 months
_LANGS = {"english": "en", "korean": "ko", "japanese": "ja", "chinese": "zh", "german": "de", "french": "fr",
          "spanish": "es", "portuguese": "pt", "italian": "it", "russian": "ru", "vietnamese": "vi", "thai": "th",
          "indonesian": "id", "arabic": "ar", "dutch": "nl", "turkish": "tr", "polish": "pl", "hindi": "hi"}


class HostPacer:
    """Minimum spacing between request starts per host, across threads (GDELT: one per 5 s).

    >>> slept = []
    >>> pacer = HostPacer(5.0, clock=lambda: 100.0, sleep=slept.append)
    >>> pacer.wait("api.gdeltproject.org"); pacer.wait("api.gdeltproject.org"); slept
    [5.0]
    """

    def __init__(
        self,
        min_interval_s: float = 5.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, host: str) -> None:
        """Block until ``host`` may be asked again, and book the following slot."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self.min_interval_s
        if start > now:
            self._sleep(start - now)


GDELT_PACER = HostPacer(5.0)


def gdelt_time(text: str) -> datetime:
    """Parse GDELT's ``YYYYMMDDThhmmssZ`` (or ``YYYYMMDDhhmmss``) as UTC.

    >>> gdelt_time("20261124T163000Z").isoformat()
    '2026-11-24T16:30:00+00:00'
    """
    compact = text.strip().replace("T", "").replace("Z", "")
    return datetime.strptime(compact, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def _stamp(when: datetime) -> str:
    return as_utc(when).strftime("%Y%m%d%H%M%S")


def _get(client: HttpClient, url: str, params: dict[str, str | int], pacer: HostPacer) -> tuple[Any, Response]:
    pacer.wait(urlsplit(url).netloc)
    response = client.get(url, params=params)
    body = response.content.strip()
    if not body:
        return {}, response
    if not body.startswith((b"{", b"[")):
        said = body[:200].decode("utf-8", "replace")
        raise ParseError(f"GDELT refused the query at {redact_url(response.url)}: {said!r}")
    return response.json(), response


class BadArticle(BadItem):
    """An article that cannot become a Mention; recorded as Skipped."""


def article_to_mention(article: Any, *, query: str, fetched_at: datetime) -> Mention:
    """One ``artlist`` article; language names become codes, ``sourcecountry`` stays in raw.

    >>> m = article_to_mention({"url": "https://news.example.kr/a/1", "title": "Acme 3.0 출시",
    ...     "seendate": "20261124T163000Z", "domain": "news.example.kr", "language": "Korean",
    ...     "sourcecountry": "South Korea"}, query="acme", fetched_at=datetime(2026, 11, 25))
    >>> (m.lang, m.author, m.raw["sourcecountry"], m.published_at.hour)
    ('ko', 'news.example.kr', 'South Korea', 16)
    """
    article = as_object(article, "article")
    url = article.get("url")
    if not isinstance(url, str) or not url:
        raise BadArticle("no_id", f"article without url (title {article.get('title')!r})")
    try:
        published = gdelt_time(str(article.get("seendate") or ""))
    except ValueError:
        raise BadArticle("bad_time", f"article {url}: unreadable seendate {article.get('seendate')!r}") from None
    title = strip_html(article.get("title"))
    return Mention(
        source="gdelt",
        native_id=url,
        url=url,
        title=title,
        text=title,
        published_at=published,
        fetched_at=as_utc(fetched_at),
        author=article.get("domain") or "",
        lang=_LANGS.get(str(article.get("language") or "").lower(), ""),
        query=query,
        raw=jsonable(article),
    )


@dataclass(frozen=True, slots=True)
class GdeltSearch:
    """Articles matching a DOC 2.0 ``query`` (operators allowed: ``sourcelang:korean``, ``domain:``...)."""

    query: str
    base_url: str = GDELT_BASE
    max_records: int = 250
    lookback: timedelta = timedelta(days=1)
    pacer: HostPacer = field(default=GDELT_PACER, compare=False, repr=False)
    source: str = "gdelt"

    @property
    def key(self) -> str:
        return f"{self.source}:{self.query}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        """New articles first; an answer cut at ``maxrecords`` leaves the older rest as a backlog for next run."""
        fetched_at = now or datetime.now(timezone.utc)
        cursor = (cursor or Cursor()).as_of(fetched_at)
        floor = fetched_at - GDELT_WINDOW
        start = max(cursor.watermark or fetched_at - self.lookback, floor)
        url = f"{self.base_url.rstrip('/')}/api/v2/doc/doc"
        mentions: list[Mention] = []
        skipped: list[Skipped] = []
        requests = 0

        def window(after: datetime, until: datetime | None, token: str | None) -> tuple[datetime, None] | None:
            nonlocal requests
            after = max(after, floor)
            params: dict[str, str | int] = {
                "query": self.query, "mode": "artlist", "format": "json", "maxrecords": self.max_records,
                "sort": "datedesc", "startdatetime": _stamp(after), "enddatetime": _stamp(until or fetched_at),
            }
            payload, response = _get(client, url, params, self.pacer)
            requests += response.attempts
            articles = payload.get("articles", []) if isinstance(payload, dict) else None
            if not isinstance(articles, list):
                raise ParseError(f"{redact_url(response.url)}: GDELT answer without an 'articles' list")
            dates = []
            for index, article in enumerate(articles):
                mention = guarded(f"GDELT query {self.query!r} article {index}", skipped, article_to_mention,
                                  article, query=self.query, fetched_at=fetched_at)
                if mention is None:
                    continue
                dates.append(mention.published_at)
                if all(m.native_id != mention.native_id for m in mentions):
                    mentions.append(mention)
            if len(articles) < self.max_records:
                return None
            oldest = min(dates, default=until or fetched_at)
            detail = (f"{len(articles)} articles = maxrecords: articles between {after.isoformat()} and "
                      f"{oldest.isoformat()} are read on the next run")
            logger.warning("GDELT query %r: %s", self.query, detail)
            skipped.append(Skipped("truncated", detail))
            return oldest, None

        backlog = read_with_backlog(cursor, start, window)
        if backlog is not None and backlog.until <= floor:
            backlog = None  # GDELT no longer serves that window
        new_cursor = replace(cursor.advanced([m.published_at for m in mentions], now=fetched_at), backlog=backlog)
        return FetchResult(mentions, new_cursor, skipped, requests=requests)
