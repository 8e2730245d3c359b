"""Hatena Bookmark (Japanese): recent bookmarked pages whose text matches a query.

Search results come as RSS 1.0/RDF, read by :func:`~listening.sources.rss.fetch_feed`
with a mapper: ``hatena:bookmarkcount`` is how many people bookmarked the page,
our engagement measure (``likes`` and ``score``). ``dc:date`` carries +09:00 and
is stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from listening.http import HttpClient
from listening.mention import Mention
from listening.sources.base import Cursor, FetchResult
from listening.sources.rss import EntryContext, fetch_feed, generic_entry

__all__ = ["HATENA_BASE", "HatenaSearch", "hatena_entry"]

HATENA_BASE = "https://b.hatena.ne.jp"


def hatena_entry(entry: dict[str, Any], ctx: EntryContext) -> Mention:
    """A bookmarked page: bookmark count as ``likes`` and ``score``, Japanese unless the feed says otherwise."""
    mention = generic_entry(entry, ctx)
    return mention.with_(likes=mention.score, lang=mention.lang or "ja")


@dataclass(frozen=True, slots=True)
class HatenaSearch:
    """Newest bookmarked pages whose text matches ``query`` (40 per feed page)."""

    query: str
    base_url: str = HATENA_BASE
    source: str = "hatena"

    @property
    def url(self) -> str:
        """The search feed URL.

        >>> HatenaSearch("acme クラウド").url
        'https://b.hatena.ne.jp/q/acme%20%E3%82%AF%E3%83%A9%E3%82%A6%E3%83%89?target=text&mode=rss&sort=recent'
        """
        return f"{self.base_url.rstrip('/')}/q/{quote(self.query, safe='')}?target=text&mode=rss&sort=recent"

    @property
    def key(self) -> str:
        return f"{self.source}:{self.query}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        return fetch_feed(client, self.url, cursor, source=self.source, query=self.query, lang="ja",
                          mapper=hatena_entry, now=now)
