"""Apple App Store: customer reviews per app and country.

The reviews feed is iTunes' JSON rendering of an Atom feed: every value sits
in ``{"label": ...}``, the app's own metadata can arrive as an entry (it has no
``im:rating`` and is left out), and a page with a single review carries it as
an object instead of a list. Ten pages of 50 are the most Apple serves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from listening.errors import ListeningError, ParseError
from listening.http import HttpClient, redact_url
from listening.mention import Mention
from listening.utc import as_utc
from listening.sources.base import Cursor, FetchResult, Skipped
from listening.sources.items import EARLIEST, BadItem, as_object, guarded
from listening.sources.paging import read_with_backlog
from listening.sources.text import jsonable

__all__ = ["APPSTORE_BASE", "AppStoreReviews", "review_to_mention"]

logger = logging.getLogger(__name__)

APPSTORE_BASE = "https://itunes.apple.com"
MAX_PAGES = 10
_COUNTRY_LANG = {"jp": "ja", "kr": "ko", "us": "en", "gb": "en", "au": "en", "ca": "en", "tw": "zh", "cn": "zh"}


class NotAReview(BadItem):
    """An entry that is not a usable review; recorded as Skipped (the app metadata entry silently)."""


def _label(entry: dict[str, Any], *path: str) -> str:
    """``entry[path...]["label"]`` as text, ``""`` when any step is missing.

    >>> _label({"author": {"name": {"label": "kei"}}}, "author", "name")
    'kei'
    >>> _label({}, "im:rating")
    ''
    """
    node: Any = entry
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    value = node.get("label") if isinstance(node, dict) else None
    return str(value).strip() if value is not None else ""


def _int(text: str) -> int | None:
    return int(text) if text.lstrip("-").isdigit() else None


def _entries(feed: Any) -> list[Any]:
    """``feed.entry`` as a list whatever Apple sent: missing, one object, or a list.

    >>> [len(_entries(f)) for f in ({}, {"entry": {"id": {}}}, {"entry": [{}, {}]})]
    [0, 1, 2]
    """
    entry = feed.get("entry") if isinstance(feed, dict) else None
    if entry is None:
        return []
    return entry if isinstance(entry, list) else [entry]


def review_to_mention(
    entry: Any, *, app_id: str, country: str, lang: str, query: str, fetched_at: datetime
) -> Mention:
    """One review; the star rating is the ``score``, "helpful" votes (``im:voteSum``) are ``likes``."""
    entry = as_object(entry, "entry")
    rating = _int(_label(entry, "im:rating"))
    if rating is None:
        raise NotAReview("not_a_review", f"entry {_label(entry, 'id') or '?'} has no im:rating (app metadata)")
    review_id = _label(entry, "id")
    if not review_id:
        raise NotAReview("no_id", f"review {_label(entry, 'title')!r} has no id")
    try:
        published = as_utc(datetime.fromisoformat(_label(entry, "updated")))
    except ValueError:
        raise NotAReview("bad_time", f"review {review_id}: unreadable updated {_label(entry, 'updated')!r}") from None
    link = entry.get("link")
    href = (link.get("attributes") or {}).get("href") if isinstance(link, dict) else None
    return Mention(
        source="appstore",
        native_id=review_id,
        url=href or f"https://apps.apple.com/{country}/app/id{app_id}",
        title=_label(entry, "title"),
        text=" ".join(_label(entry, "content").split()),
        published_at=published,
        fetched_at=as_utc(fetched_at),
        author=_label(entry, "author", "name"),
        lang=lang,
        query=query,
        likes=_int(_label(entry, "im:voteSum")),
        score=rating,
        raw=jsonable(entry),
    )


@dataclass(frozen=True, slots=True)
class AppStoreReviews:
    """Most recent reviews of ``app_id`` in one country store (``country`` is the two-letter code)."""

    app_id: str
    country: str = "jp"
    base_url: str = APPSTORE_BASE
    max_pages: int = MAX_PAGES
    lang: str = ""
    source: str = "appstore"

    def __post_init__(self) -> None:
        if not 1 <= self.max_pages <= MAX_PAGES:
            raise ValueError(f"max_pages must be 1..{MAX_PAGES} (Apple serves no more), got {self.max_pages}")

    @property
    def key(self) -> str:
        return f"{self.source}:{self.country}:{self.app_id}"

    def page_url(self, page: int) -> str:
        """Reviews page URL.

        >>> AppStoreReviews("123", "kr").page_url(2)
        'https://itunes.apple.com/kr/rss/customerreviews/page=2/id=123/sortby=mostrecent/json'
        """
        return (f"{self.base_url.rstrip('/')}/{self.country}/rss/customerreviews/page={page}"
                f"/id={self.app_id}/sortby=mostrecent/json")

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        fetched_at = now or datetime.now(timezone.utc)
        cursor = (cursor or Cursor()).as_of(fetched_at)
        lang = self.lang or _COUNTRY_LANG.get(self.country.lower(), "")
        mentions: list[Mention] = []
        skipped: list[Skipped] = []
        requests = pages = 0

        def window(after: datetime, until: datetime | None, token: str | None) -> tuple[datetime, str | None] | None:
            """Pages are numbered from the newest review: resume at the page where the last run stopped."""
            nonlocal requests, pages
            page = int(token) if token and token.isdigit() else 1
            oldest = until or fetched_at
            while page <= MAX_PAGES:
                if pages >= self.max_pages:
                    skipped.append(Skipped("request_limit", f"stopped after {pages} pages of {self.key}"))
                    return oldest, str(page)
                try:
                    response = client.get(self.page_url(page))
                    requests += response.attempts
                    payload = response.json()
                    if not isinstance(payload, dict) or not isinstance(payload.get("feed"), dict):
                        raise ParseError(f"{redact_url(response.url)}: not an iTunes reviews feed (no 'feed' object)")
                except ListeningError as exc:
                    if pages == 0:
                        raise
                    skipped.append(Skipped("page_failed", f"{self.key} page {page}: {type(exc).__name__}: {exc}"))
                    return oldest, str(page)
                pages += 1
                reviews: list[Mention] = []
                for index, entry in enumerate(_entries(payload["feed"])):
                    if isinstance(entry, dict) and "im:rating" not in entry:
                        continue  # the app's own metadata entry, not a review
                    page_skips: list[Skipped] = []
                    review = guarded(f"app store {self.key} page {page} entry {index}", page_skips, review_to_mention,
                                     entry, app_id=self.app_id, country=self.country, lang=lang, query=self.key,
                                     fetched_at=fetched_at)
                    if review is not None:
                        reviews.append(review)
                    skipped.extend(s for s in page_skips if s.reason != "not_a_review")  # the app's own metadata
                seen = {m.native_id for m in mentions}
                mentions.extend(m for m in reviews if m.native_id not in seen)
                oldest = min([oldest, *(m.published_at for m in reviews)])
                page += 1
                if not reviews or any(m.published_at <= after for m in reviews):
                    return None
            return None  # Apple serves no more than MAX_PAGES pages

        backlog = read_with_backlog(cursor, cursor.watermark or EARLIEST, window)
        new_cursor = replace(cursor.advanced([m.published_at for m in mentions], now=fetched_at), backlog=backlog)
        return FetchResult(mentions, new_cursor, skipped, requests=requests)
