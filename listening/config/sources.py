"""Where a brand is listened to: the public APIs' base URLs and each source's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from listening.config._base import _Strict

GOOGLE_NEWS_LOCALES: dict[str, tuple[str, str, str]] = {
    "en": ("en-US", "US", "US:en"),
    "ko": ("ko", "KR", "KR:ko"),
    "ja": ("ja", "JP", "JP:ja"),
}
#: Where tracked accounts are read (their posts and follower counts, for reach): see sources/plan.py.
ACCOUNT_PLATFORMS = ("mastodon", "bluesky")


class Endpoints(_Strict):
    """Base URLs of the public APIs; the offline replay points them at 127.0.0.1."""

    google_news: str = "https://news.google.com"
    hackernews: str = "https://hn.algolia.com"
    youtube: str = "https://www.youtube.com"
    mastodon: str = Field(default="", description="non-empty overrides every instance (offline replay)")
    bluesky: str = "https://public.api.bsky.app"
    bluesky_search: str = "https://api.bsky.app"
    bluesky_session: str = "https://bsky.social/xrpc/com.atproto.server.createSession"
    gdelt: str = "https://api.gdeltproject.org"
    appstore: str = "https://itunes.apple.com"
    hatena: str = "https://b.hatena.ne.jp"
    naver: str = "https://openapi.naver.com"
    reddit: str = "https://www.reddit.com"
    reddit_oauth: str = "https://oauth.reddit.com"
    reddit_token: str = "https://www.reddit.com/api/v1/access_token"


class FeedSource(_Strict):
    url: str
    name: str = ""

    @field_validator("url")
    @classmethod
    def _http_only(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, got {url!r}")
        return url


class GoogleNewsSource(_Strict):
    query: str
    locales: list[str] = Field(default_factory=lambda: ["en"])

    @field_validator("locales")
    @classmethod
    def _known_locales(cls, locales: list[str]) -> list[str]:
        unknown = [loc for loc in locales if loc not in GOOGLE_NEWS_LOCALES]
        if unknown:
            raise ValueError(f"unknown locale(s) {unknown}; choose from {sorted(GOOGLE_NEWS_LOCALES)}")
        return locales


class HackerNewsSource(_Strict):
    query: str
    min_points: int = 0
    lookback_days: int = Field(default=7, ge=1, le=365, description="how far back the first run reaches")


class YouTubeSource(_Strict):
    channel_id: str


class MastodonTagSource(_Strict):
    instance: str
    tag: str


class BlueskySearchSource(_Strict):
    """Post search; needs LISTENING_BLUESKY_IDENTIFIER and LISTENING_BLUESKY_APP_PASSWORD."""

    query: str
    lang: str = ""


class GdeltSource(_Strict):
    query: str
    lookback_days: int = Field(default=1, ge=1, le=90)


class AppStoreSource(_Strict):
    app_id: str
    countries: list[str] = Field(default_factory=lambda: ["jp"])


class HatenaSource(_Strict):
    query: str


class NaverSource(_Strict):
    """Needs LISTENING_NAVER_CLIENT_ID and LISTENING_NAVER_CLIENT_SECRET."""

    query: str
    kinds: list[Literal["news", "blog", "cafearticle"]] = Field(default_factory=lambda: ["news", "blog"])


class RedditSource(_Strict):
    """A search query (Atom, or OAuth JSON with LISTENING_REDDIT_CLIENT_ID/_SECRET) or one subreddit."""

    query: str = ""
    subreddit: str = ""

    @model_validator(mode="after")
    def _exactly_one(self) -> "RedditSource":
        if bool(self.query) == bool(self.subreddit):
            raise ValueError("give exactly one of query or subreddit")
        return self


class Account(_Strict):
    """An own or competitor account whose posts are re-observed for reach tracking."""

    platform: str
    handle: str
    instance: str = ""

    @field_validator("platform")
    @classmethod
    def _followed_platform(cls, platform: str) -> str:
        if platform not in ACCOUNT_PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; accounts are followed on {' and '.join(ACCOUNT_PLATFORMS)} "
                             "(other platforms have no public API for it)")
        return platform

    @model_validator(mode="after")
    def _mastodon_has_an_instance(self) -> "Account":
        if self.platform == "mastodon" and not self.instance:
            raise ValueError("a mastodon account needs its instance, e.g. {platform: mastodon, handle: acme, "
                             "instance: mastodon.social}")
        return self

    @property
    def label(self) -> str:
        """How the account is named in engagement snapshots and reach changes (``name@instance`` on Mastodon).

        >>> Account(platform="mastodon", handle="@acme", instance="mastodon.social").label
        'acme@mastodon.social'
        """
        handle = self.handle.lstrip("@")
        return f"{handle}@{self.instance}" if self.platform == "mastodon" and self.instance else handle


class BrandSources(_Strict):
    feeds: list[FeedSource] = Field(default_factory=list)
    google_news: list[GoogleNewsSource] = Field(default_factory=list)
    hackernews: list[HackerNewsSource] = Field(default_factory=list)
    youtube: list[YouTubeSource] = Field(default_factory=list)
    mastodon: list[MastodonTagSource] = Field(default_factory=list)
    bluesky: list[BlueskySearchSource] = Field(default_factory=list)
    gdelt: list[GdeltSource] = Field(default_factory=list)
    appstore: list[AppStoreSource] = Field(default_factory=list)
    hatena: list[HatenaSource] = Field(default_factory=list)
    naver: list[NaverSource] = Field(default_factory=list)
    reddit: list[RedditSource] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
