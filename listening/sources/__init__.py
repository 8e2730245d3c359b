"""Public sources: one module per source kind, all producing :class:`~listening.mention.Mention`.

Every connector is a small frozen value (its parameters) with
``fetch(client, cursor=None, *, now=None) -> FetchResult``; ``key`` names its
cursor in the store.
"""

from listening.sources.base import Connector, Cursor, FetchResult, Skipped
from listening.sources.hackernews import HackerNewsSearch
from listening.sources.rss import (
    FeedConnector,
    GoogleNewsSearch,
    YouTubeChannel,
    fetch_feed,
    google_news_url,
    youtube_feed_url,
)

__all__ = [
    "Connector",
    "Cursor",
    "FeedConnector",
    "FetchResult",
    "GoogleNewsSearch",
    "HackerNewsSearch",
    "Skipped",
    "YouTubeChannel",
    "fetch_feed",
    "google_news_url",
    "youtube_feed_url",
]
