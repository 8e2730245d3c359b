"""Hacker News stories and comments via the Algolia ``search_by_date`` API.

Algolia serves at most ~1000 hits per query (``nbPages`` stops there), so a
busy query is read in time slices: when the pages of one slice run out while
``nbHits`` says more exist, a new slice starts at the oldest hit seen. Paging
is a small strategy object (``update_request`` / ``update_state`` /
``has_next_page``) so it can be tested on payloads alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from listening.errors import ListeningError, ParseError
from listening.http import HttpClient, redact_url
from listening.mention import Mention
from listening.sources.base import Cursor, FetchResult, Skipped
from listening.sources.items import LATEST, BadItem, as_object, guarded
from listening.sources.paging import read_with_backlog
from listening.sources.text import from_epoch, jsonable, strip_html
from listening.utc import as_utc

__all__ = ["HN_BASE", "HackerNewsSearch", "TimeSlicePaginator", "hit_to_mention"]

logger = logging.getLogger(__name__)

HN_BASE = "https://hn.algolia.com"
HN_ITEM_URL = "https://news.ycombinator.com/item?id={}"


class BadHit(BadItem):
    """A hit that cannot become a Mention (missing id or time, empty comment); recorded as Skipped, never escapes."""


@dataclass
class TimeSlicePaginator:
    """Page through ``created_at_i > since``, opening a new, older slice whenever a slice hits the cap.

    Slices are bounded by ``created_at_i <= oldest seen`` (not ``<``) so hits
    sharing the boundary second are not lost; the connector drops the repeats.

    >>> p = TimeSlicePaginator(since=100)
    >>> p.update_request({})["numericFilters"]
    'created_at_i>100'
    >>> p.update_state({"hits": [{"created_at_i": 150}], "page": 0, "nbPages": 1, "nbHits": 5, "hitsPerPage": 1})
    >>> p.update_request({})
    {'page': 0, 'numericFilters': 'created_at_i>100,created_at_i<=150'}
    """

    since: int
    until: int | None = None
    page: int = 0
    has_next_page: bool = True
    slices: int = 1
    _oldest: int | None = field(default=None, repr=False)

    def update_request(self, params: dict[str, Any]) -> dict[str, Any]:
        numeric = f"created_at_i>{self.since}"
        if self.until is not None:
            numeric += f",created_at_i<={self.until}"
        return {**params, "page": self.page, "numericFilters": numeric}

    def update_state(self, payload: dict[str, Any]) -> None:
        hits = payload.get("hits") or []
        times = [h["created_at_i"] for h in hits if isinstance(h, dict) and _plausible(h.get("created_at_i"))]
        if times:
            self._oldest = min([*times, self._oldest] if self._oldest is not None else times)
        page = _whole(payload.get("page"), self.page)
        pages = _whole(payload.get("nbPages"), 0)
        reachable = pages * max(1, _whole(payload.get("hitsPerPage"), len(hits) or 1))
        if hits and page + 1 < pages:
            self.page = page + 1
        elif hits and _whole(payload.get("nbHits"), 0) > reachable and self._oldest is not None:
            if self.until is not None and self._oldest >= self.until:
                logger.warning("HN slice stuck at created_at_i=%d: more hits in one second than the cap", self.until)
                self.has_next_page = False
                return
            self.until, self.page, self._oldest = self._oldest, 0, None
            self.slices += 1
        else:
            self.has_next_page = False

    @property
    def read_down_to(self) -> int | None:
        """``created_at_i`` down to which everything (of the slices so far) has been read; ``None`` before any hit."""
        return self._oldest if self._oldest is not None else self.until


_LATEST_I = int(LATEST.timestamp())


def _plausible(stamp: Any) -> bool:
    """A ``created_at_i`` that can steer paging (a hostile 10^12 or -1 must not move a slice boundary)."""
    return type(stamp) is int and 0 < stamp <= _LATEST_I


def _whole(value: Any, default: int) -> int:
    """An integer paging field as sent, or ``default`` when the server sent something else."""
    return value if type(value) is int and value >= 0 else default


def _created(hit: dict[str, Any]) -> datetime:
    stamp = hit.get("created_at_i")
    if isinstance(stamp, int) and not isinstance(stamp, bool):
        return from_epoch(stamp)
    text = hit.get("created_at")
    if isinstance(text, str) and text:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadHit("bad_time", f"hit {hit.get('objectID')}: unreadable created_at {text!r}") from None
        return as_utc(parsed)
    raise BadHit("no_time", f"hit {hit.get('objectID')} has neither created_at_i nor created_at")


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def hit_to_mention(hit: Any, *, query: str, fetched_at: datetime) -> Mention:
    """One Algolia hit (story or comment) as a Mention; raises :class:`BadHit` with a reason.

    >>> m = hit_to_mention({"objectID": "7", "created_at_i": 0, "comment_text": "<p>Nice &amp; fast</p>",
    ...     "story_title": "Acme 3.0", "author": "pg", "_tags": ["comment"]}, query="acme", fetched_at=from_epoch(9))
    >>> (m.title, m.text, m.url, m.score)
    ('Acme 3.0', 'Nice & fast', 'https://news.ycombinator.com/item?id=7', None)
    """
    hit = as_object(hit, "hit")
    object_id = hit.get("objectID")
    if not isinstance(object_id, str) or not object_id:
        raise BadHit("no_id", f"hit without objectID (title {hit.get('title') or hit.get('story_title')!r})")
    published = _created(hit)
    tags = hit.get("_tags") or []
    item_url = HN_ITEM_URL.format(object_id)
    points = _count(hit.get("points"))
    if "comment" in tags or hit.get("comment_text") is not None:
        text = strip_html(hit.get("comment_text"))
        if not text:
            raise BadHit("empty", f"comment {object_id} has no text (deleted?)")
        title, url = strip_html(hit.get("story_title")), item_url
    else:
        title = strip_html(hit.get("title"))
        text = strip_html(hit.get("story_text")) or title
        url = hit.get("url") or item_url
        if not text:
            raise BadHit("empty", f"story {object_id} has no title and no text")
    raw = jsonable({k: v for k, v in hit.items() if k != "_highlightResult"})
    return Mention(
        source="hackernews",
        native_id=object_id,
        url=url,
        title=title,
        text=text,
        published_at=published,
        fetched_at=fetched_at,
        author=hit.get("author") or "",
        query=query,
        likes=points,
        score=points,
        replies=_count(hit.get("num_comments")),
        raw=raw,
    )


def _check_page(payload: Any, shown: str) -> list[Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("hits"), list):
        raise ParseError(f"{shown}: not an Algolia search response (no 'hits' list)")
    for key in ("nbPages", "nbHits"):
        if not isinstance(payload.get(key), int):
            raise ParseError(f"{shown}: Algolia response without integer {key!r}")
    return payload["hits"]


@dataclass(frozen=True, slots=True)
class HackerNewsSearch:
    """Stories and comments matching ``query``, newest first, down to the cursor's watermark.

    Without a watermark the first run reaches back ``lookback``. Algolia cannot
    filter on points (HTTP 400), so ``min_points`` drops low-scored stories
    locally (comments have no points and are kept); a story is judged once, when
    first fetched. The boundary
    second of the watermark is fetched again (upserts make that harmless) so
    hits sharing it are never lost. ``max_requests`` bounds one run; reaching
    it is recorded as a ``Skipped("request_limit", ...)`` and the hits not read
    stay in the cursor's backlog for the next run.
    """

    query: str
    base_url: str = HN_BASE
    tags: str = "(story,comment)"
    hits_per_page: int = 100
    lookback: timedelta = timedelta(days=7)
    max_requests: int = 50
    min_points: int = 0
    source: str = "hackernews"

    @property
    def key(self) -> str:
        return f"{self.source}:{self.query}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        """New hits first, then what an earlier run left unread (its backlog), within ``max_requests`` pages."""
        fetched_at = now or datetime.now(timezone.utc)
        cursor = (cursor or Cursor()).as_of(fetched_at)
        start = cursor.watermark or (fetched_at - self.lookback)
        run = _Run(self, client, fetched_at)
        left = read_with_backlog(cursor, start, run.window)
        if run.below:
            logger.info("HN query %r: %d stories below min_points=%d left out", self.query, run.below, self.min_points)
        new_cursor = replace(cursor.advanced([m.published_at for m in run.mentions], now=fetched_at), backlog=left)
        return FetchResult(run.mentions, new_cursor, run.skipped, requests=run.requests)


class _Run:
    """One fetch's pages across windows: the shared request budget, the hits kept, the skips."""

    def __init__(self, search: HackerNewsSearch, client: HttpClient, fetched_at: datetime) -> None:
        self.search, self.client, self.fetched_at = search, client, fetched_at
        self.url = f"{search.base_url.rstrip('/')}/api/v1/search_by_date"
        self.params = {"query": search.query, "tags": search.tags, "hitsPerPage": search.hits_per_page}
        self.mentions: list[Mention] = []
        self.skipped: list[Skipped] = []
        self.seen: set[str] = set()
        self.calls = self.requests = self.below = self.pages = 0

    def window(self, after: datetime, until: datetime | None, token: str | None = None
               ) -> tuple[datetime, str | None] | None:
        """Read hits dated in ``(after, until]`` (and ``after``'s own second again), newest first.

        Returns ``None`` when the window was read to its end, else the time down to which it
        was read: hits between ``after`` and that time are still to be fetched (the backlog).
        A page that fails after the first is recorded and ends the window early the same way.
        """
        search = self.search
        pager = TimeSlicePaginator(since=int(after.timestamp()) - 1,
                                   until=int(until.timestamp()) if until is not None else None)
        while pager.has_next_page:
            if self.calls >= search.max_requests:
                detail = f"stopped after {self.calls} pages (max_requests); the rest is read on the next run"
                logger.warning("HN query %r: %s", search.query, detail)
                self.skipped.append(Skipped("request_limit", detail))
                return self._stopped_at(pager)
            try:
                response = self.client.get(self.url, params=pager.update_request(self.params))
                self.calls += 1
                self.requests += response.attempts
                payload = response.json()
                hits = _check_page(payload, redact_url(response.url))
            except ListeningError as exc:
                if not self.pages:  # nothing read yet: the task fails and its cursor stays
                    raise
                detail = f"page {pager.page} failed ({type(exc).__name__}: {exc}); the rest is read on the next run"
                logger.warning("HN query %r: %s", search.query, detail)
                self.skipped.append(Skipped("page_failed", detail))
                return self._stopped_at(pager)
            for index, hit in enumerate(hits):
                mention = guarded(f"HN query {search.query!r} page {pager.page} hit {index}", self.skipped,
                                  hit_to_mention, hit, query=search.query, fetched_at=self.fetched_at)
                if mention is None:
                    continue
                if mention.score is not None and mention.score < search.min_points:
                    self.below += 1
                    continue
                if mention.native_id not in self.seen:
                    self.seen.add(mention.native_id)
                    self.mentions.append(mention)
            pager.update_state(payload)
            self.pages += 1
        return None

    def _stopped_at(self, pager: TimeSlicePaginator) -> tuple[datetime, None]:
        """The time down to which a window stopped early was read (its top when nothing was read)."""
        mark = pager.read_down_to
        return (from_epoch(mark) if mark is not None else self.fetched_at), None
