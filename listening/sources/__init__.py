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

from listening.sources.appstore import AppStoreReviews  # noqa: E402
from listening.sources.bluesky import AppPassword, BlueskyAuthor, BlueskySearch, refresh_posts  # noqa: E402
from listening.sources.gdelt import GdeltSearch, HostPacer  # noqa: E402
from listening.sources.hatena import HatenaSearch  # noqa: E402
from listening.sources.mastodon import MastodonAccount, MastodonHashtag  # noqa: E402
from listening.sources.naver import NaverSearch  # noqa: E402
from listening.sources.reddit import ClientCredentials, RedditOAuthSearch, RedditSearch, RedditSubreddit  # noqa: E402

__all__ += [
    "AppPassword",
    "AppStoreReviews",
    "BlueskyAuthor",
    "BlueskySearch",
    "ClientCredentials",
    "GdeltSearch",
    "HatenaSearch",
    "HostPacer",
    "MastodonAccount",
    "MastodonHashtag",
    "NaverSearch",
    "RedditOAuthSearch",
    "RedditSearch",
    "RedditSubreddit",
    "refresh_posts",
]
