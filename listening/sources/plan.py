"""Turn a listening config into source tasks: one connector + cursor per feed or query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from listening.config import ListeningConfig
from listening.http import HttpClient
from listening.sources.base import Connector, Cursor, FetchResult
from listening.sources.hackernews import HackerNewsSearch
from listening.sources.rss import FeedConnector, GoogleNewsSearch, YouTubeChannel

SOURCE_KINDS = ("rss", "google_news", "hackernews", "youtube")


@dataclass(frozen=True)
class SourceTask:
    """A connector plus who it belongs to.

    ``own_channel`` marks a brand's own voice (its blog, press room, channel):
    such posts are attributed to the brand even when they do not name it.
    """

    connector: Connector
    brand: str | None
    own_channel: bool

    @property
    def source(self) -> str:
        return self.connector.source

    @property
    def key(self) -> str:
        return self.connector.key

    def fetch(self, client: HttpClient, cursor: Cursor | None) -> FetchResult:
        return self.connector.fetch(client, cursor)


def plan_tasks(config: ListeningConfig) -> list[SourceTask]:
    """All source tasks of a config, each query/feed once even if several brands list it."""
    tasks: dict[tuple[str, str], SourceTask] = {}
    ep = config.endpoints

    def add(connector: Connector, brand: str, own: bool) -> None:
        tasks.setdefault((connector.source, connector.key), SourceTask(connector, brand, own))

    for brand in config.brands:
        s = brand.sources
        for feed in s.feeds:
            add(FeedConnector(feed.url, name=feed.name), brand.key, True)
        for channel in s.youtube:
            add(YouTubeChannel(channel.channel_id, base_url=ep.youtube), brand.key, True)
        for search in s.google_news:
            for locale in search.locales:
                add(GoogleNewsSearch(search.query, locale, base_url=ep.google_news), brand.key, False)
        for hn in s.hackernews:
            add(HackerNewsSearch(hn.query, base_url=ep.hackernews, min_points=hn.min_points,
                                 lookback=timedelta(days=hn.lookback_days)), brand.key, False)
    return list(tasks.values())
