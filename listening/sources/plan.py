"""Turn a listening config into source tasks: one connector + cursor per feed or query."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from listening.config import REPLAY_VAR, ListeningConfig
from listening.http import HttpClient, secret_free_key
from listening.sources.base import Connector, Cursor, FetchResult
from listening.sources.appstore import AppStoreReviews
from listening.sources.bluesky import AppPassword, BlueskyAuthor, BlueskySearch
from listening.sources.gdelt import GdeltSearch
from listening.sources.hackernews import HackerNewsSearch
from listening.sources.hatena import HatenaSearch
from listening.sources.mastodon import MastodonAccount, MastodonHashtag
from listening.sources.naver import NaverSearch
from listening.sources.reddit import ClientCredentials, RedditOAuthSearch, RedditSearch, RedditSubreddit
from listening.sources.rss import FeedConnector, GoogleNewsSearch, YouTubeChannel

#: Tracked accounts' feeds are re-read this far back on every run, so each post is seen again at every
#: re-poll age up to 7 days (see listening.snapshots).
REPOLL_WINDOW = timedelta(days=8)
SOURCE_KINDS = ("rss", "google_news", "hackernews", "youtube", "mastodon", "bluesky", "gdelt", "appstore", "hatena", "naver", "reddit")
logger = logging.getLogger(__name__)


def _https(instance: str) -> str:
    """A Mastodon instance as configured (``mastodon.social``) to the base URL asked.

    >>> _https("mastodon.social"), _https("http://127.0.0.1:8080")
    ('https://mastodon.social', 'http://127.0.0.1:8080')
    """
    return instance if "://" in instance else f"https://{instance}"


def _host(instance: str) -> str:
    """The instance's host, which names its tasks' cursors whatever endpoint serves them.

    >>> _host("https://mastodon.social/"), _host("fosstodon.org"), _host("https://me:pw@social.example:8443")
    ('mastodon.social', 'fosstodon.org', 'social.example:8443')
    """
    return urlsplit(_https(instance)).netloc.rpartition("@")[2]


@dataclass(frozen=True)
class SourceTask:
    """A connector plus who it belongs to.

    ``own_channel`` marks a channel that is about the brand by construction (its
    blog, press room, account, app reviews): such items are attributed to the brand
    even when they do not name it. ``account`` names a tracked own or competitor
    account (its posts' engagement is kept as snapshots for the reach model).
    ``safe_key`` is the key as logged, shown and stored (cursor, mentions' query):
    the connector's key with any secret masked (see :func:`secret_free_key`).
    """

    connector: Connector
    brand: str | None
    own_channel: bool
    own_voice: bool | None = None
    account: str = ""
    safe_key: str = ""

    @property
    def is_own(self) -> bool:
        """Posted by the brand itself (blog, press, account) rather than about it (reviews)."""
        return self.own_channel if self.own_voice is None else self.own_voice

    @property
    def source(self) -> str:
        return self.connector.source

    @property
    def key(self) -> str:
        return self.safe_key or secret_free_key(self.connector.key)

    @property
    def host(self) -> str:
        """The host this task asks (its feed URL or API base); tasks of one host are fetched in turn."""
        url = getattr(self.connector, "url", "") or getattr(self.connector, "base_url", "")
        try:
            return urlsplit(url).hostname or self.source
        except ValueError:
            return self.source

    def fetch(self, client: HttpClient, cursor: Cursor | None, now: datetime | None = None) -> FetchResult:
        return self.connector.fetch(client, cursor, now=now)


def replay_free_key(key: str, unexpanded: dict[str, str]) -> str:
    """``key`` with the replay's address written as ``${REPLAY_URL}``, as in the config file.

    The replay listens on a fixed port unless another process holds it, then on any free one; a key
    holding the port would name a different task (cursor, health, checks) on every such run.

    >>> replay_free_key("rss:http://127.0.0.1:51234/feeds/a.xml", {"http://127.0.0.1:51234/feeds/a.xml": "${REPLAY_URL}/feeds/a.xml"})
    'rss:${REPLAY_URL}/feeds/a.xml'
    """
    for expanded, raw in unexpanded.items():
        if raw.startswith(f"${{{REPLAY_VAR}}}") and expanded and expanded in key:
            key = key.replace(expanded, raw)
    return key


def plan_tasks(config: ListeningConfig) -> list[SourceTask]:
    """All source tasks of a config, each query/feed once even if several brands list it."""
    tasks: dict[tuple[str, str], SourceTask] = {}
    ep = config.endpoints
    bluesky_auth = AppPassword(session_url=ep.bluesky_session)
    reddit_auth = ClientCredentials(token_url=ep.reddit_token)
    forms = config.unexpanded

    def add(connector: Connector, brand: str, own: bool, voice: bool | None = None, account: str = "") -> None:
        safe_key = secret_free_key(replay_free_key(connector.key, forms), forms)
        tasks.setdefault((connector.source, connector.key), SourceTask(connector, brand, own, voice, account, safe_key))

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
        for t in s.mastodon:
            add(MastodonHashtag(ep.mastodon or _https(t.instance), t.tag, instance=_host(t.instance)), brand.key, False)
        for a in s.accounts:
            if a.platform == "mastodon":
                add(MastodonAccount(ep.mastodon or _https(a.instance), a.handle, is_own=True, repoll=REPOLL_WINDOW,
                                    instance=_host(a.instance)),
                    brand.key, True, account=a.label)
            elif a.platform == "bluesky":
                add(BlueskyAuthor(a.handle, base_url=ep.bluesky, is_own=True, repoll=REPOLL_WINDOW),
                    brand.key, True, account=a.label)
        for b in s.bluesky:
            if bluesky_auth.configured:
                add(BlueskySearch(b.query, base_url=ep.bluesky_search, auth=bluesky_auth, lang=b.lang), brand.key, False)
            else:
                logger.info("Bluesky search %r not planned: set LISTENING_BLUESKY_IDENTIFIER and LISTENING_BLUESKY_APP_PASSWORD", b.query)
        for g in s.gdelt:
            add(GdeltSearch(g.query, base_url=ep.gdelt, lookback=timedelta(days=g.lookback_days)), brand.key, False)
        for app in s.appstore:
            for country in app.countries:
                add(AppStoreReviews(app.app_id, country, base_url=ep.appstore), brand.key, True, False)
        for h in s.hatena:
            add(HatenaSearch(h.query, base_url=ep.hatena), brand.key, False)
        for n in s.naver:
            for kind in n.kinds:
                naver = NaverSearch(n.query, kind, base_url=ep.naver)
                if naver.configured:
                    add(naver, brand.key, False)
                else:
                    logger.info("Naver %s search %r not planned: set LISTENING_NAVER_CLIENT_ID and LISTENING_NAVER_CLIENT_SECRET", kind, n.query)
        for r in s.reddit:
            if r.subreddit:
                add(RedditSubreddit(r.subreddit, base_url=ep.reddit, is_own=brand.own), brand.key, False)
            elif reddit_auth.configured:
                add(RedditOAuthSearch(r.query, base_url=ep.reddit_oauth, auth=reddit_auth), brand.key, False)
            else:
                add(RedditSearch(r.query, base_url=ep.reddit), brand.key, False)
    return list(tasks.values())
