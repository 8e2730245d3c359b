"""The listening config: brands, competitors, queries, sources and alerting.

A YAML file validated on load. A user mistake surfaces as one
:class:`~listening.errors.ConfigError` naming the file, the field and the
problem, never a traceback. ``${VAR}`` in any string is replaced from the
environment so secrets and machine-specific URLs stay out of the file.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from listening.errors import ConfigError, InputError
from listening.http import redact_text, register_secret
from listening.matching import Query, QuerySyntaxError, parse_query
from listening.textfile import read_text

GOOGLE_NEWS_LOCALES: dict[str, tuple[str, str, str]] = {
    "en": ("en-US", "US", "US:en"),
    "ko": ("ko", "KR", "KR:ko"),
    "ja": ("ja", "JP", "JP:ja"),
}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: A real config has hundreds of values; more means YAML anchors expanding into each other (an "alias bomb").
MAX_VALUES = 100_000
MAX_DEPTH = 32
_HEADER_SAFE = re.compile(r"[ -~]*")
#: Where tracked accounts are read (their posts and follower counts, for reach): see sources/plan.py.
ACCOUNT_PLATFORMS = ("mastodon", "bluesky")
#: Where a brand's own handles can be recognised in public threads (listening.inbox).
HANDLE_PLATFORMS = ("mastodon", "bluesky", "hackernews", "reddit", "appstore")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HANDLE = re.compile(r"@?[^\s@/]+(?:@[^\s@/]+)?")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Project(_Strict):
    name: str = "listening"
    contact: str = Field(default="", description="e-mail or URL sent in the User-Agent so sources can reach you")
    timezone: str = "UTC"
    digest_language: Literal["en", "ko", "ja"] = "en"
    week_start: Literal["monday", "sunday"] = "monday"

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not an IANA time zone; use a name like Asia/Seoul, Asia/Tokyo, "
                             "America/New_York or UTC") from None
        return name

    @field_validator("contact")
    @classmethod
    def _fits_a_header(cls, contact: str) -> str:
        if not _HEADER_SAFE.fullmatch(contact):
            bad = next(c for c in contact if not _HEADER_SAFE.fullmatch(c))
            raise ValueError(f"contains {bad!r}; it is sent in every request's User-Agent header, which takes "
                             "printable ASCII on one line (e.g. ops@example.com or https://example.com/contact)")
        return contact


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


class Brand(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    own: bool = False
    aliases: list[str] = Field(default_factory=list)
    query: str = ""
    exclude: list[str] = Field(default_factory=list)
    sources: BrandSources = Field(default_factory=BrandSources)
    #: The brand's own handles per platform: a reply from one of them marks a thread item answered.
    handles: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("handles")
    @classmethod
    def _known_handle_platforms(cls, handles: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(handles) - set(HANDLE_PLATFORMS))
        if unknown:
            raise ValueError(f"unknown platform(s) {unknown}; handles are recognised on {', '.join(HANDLE_PLATFORMS)}")
        for platform, names in handles.items():
            for name in names:
                if not isinstance(name, str) or not _HANDLE.fullmatch(name.strip()):
                    raise ValueError(f"{platform} handle {name!r} is not a handle (one word, e.g. acme, "
                                     "acme@mastodon.social or acme.bsky.social)")
        return handles

    def own_handles(self, platform: str) -> frozenset[str]:
        """The brand's handles on ``platform``, normalised: configured ``handles`` plus its tracked accounts.

        >>> b = Brand(key="acme", name="Acme", handles={"hackernews": ["AcmeTeam"]},
        ...           sources={"accounts": [{"platform": "mastodon", "handle": "@acme", "instance": "m.test"}]})
        >>> sorted(b.own_handles("mastodon")), sorted(b.own_handles("hackernews"))
        (['acme@m.test'], ['acmeteam'])
        """
        names = {n.strip().lstrip("@").lower() for n in self.handles.get(platform, [])}
        names |= {a.label.lower() for a in self.sources.accounts if a.platform == platform}
        return frozenset(n for n in names if n)

    @field_validator("aliases")
    @classmethod
    def _aliases_are_phrases(cls, aliases: list[str]) -> list[str]:
        for alias in aliases:
            _check_phrase(alias, "alias")
        return aliases

    @field_validator("exclude")
    @classmethod
    def _excludes_are_phrases(cls, terms: list[str]) -> list[str]:
        for term in terms:
            _check_phrase(term.replace('"', " "), "exclude term")
        return terms

    @model_validator(mode="after")
    def _matcher_builds(self) -> "Brand":
        if not self.query and not self.aliases:
            _check_phrase(self.name, "name")
        try:
            self.matcher
        except QuerySyntaxError as exc:
            raise ValueError(f"aliases, name and exclude do not make a valid query: {exc}") from None
        return self

    @field_validator("query")
    @classmethod
    def _query_parses(cls, text: str) -> str:
        if text:
            try:
                parse_query(text)
            except QuerySyntaxError as exc:
                raise ValueError(str(exc)) from None
        return text

    @cached_property
    def matcher(self) -> Query:
        """The brand's query; without one, any alias matches. Built once: every ingested mention asks every brand."""
        text = self.query or " OR ".join(f'"{alias}"' for alias in (self.aliases or [self.name]))
        if self.exclude:
            text = f"({text}) NOT ({' OR '.join(repr_phrase(term) for term in self.exclude)})"
        return parse_query(text)


def _check_phrase(term: str, what: str) -> None:
    """Raise ValueError when ``term`` cannot be matched as one quoted phrase (then every mention check would fail)."""
    if '"' in term:
        raise ValueError(f"{what} {term!r} contains a double quote; it is matched as one quoted phrase, "
                         "so leave the quote out (or write a query)")
    try:
        parse_query(f'"{term}"')
    except QuerySyntaxError:
        raise ValueError(f"{what} {term!r} has no words to match") from None


def repr_phrase(term: str) -> str:
    """Quote a term for the query language.

    >>> repr_phrase('orbitly coin')
    '"orbitly coin"'
    """
    return '"' + term.replace('"', " ") + '"'


class SlackSettings(_Strict):
    enabled: bool = False
    channel: str = "#brand-alerts"
    mode: Literal["webhook", "bot"] = "webhook"


class Alerting(_Strict):
    bucket_minutes: Literal[5, 10, 15, 30, 60] = 15
    slack: SlackSettings = Field(default_factory=SlackSettings)


class BusinessHours(_Strict):
    """When the SLA clock runs, in ``project.timezone``: weekdays and a daily window (HH:MM, end exclusive)."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    start: str = "09:00"
    end: str = "18:00"

    @field_validator("start", "end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _CLOCK.fullmatch(value):
            raise ValueError(f"{value!r} is not a time of day; write HH:MM, e.g. 09:00 or 18:30")
        return value

    @model_validator(mode="after")
    def _a_window(self) -> "BusinessHours":
        if not self.days:
            raise ValueError("days is empty: the SLA clock would never run; name at least one day")
        if self.start >= self.end:
            raise ValueError(f"start {self.start} is not before end {self.end}; a window crossing midnight is not supported")
        return self


class InboxSettings(_Strict):
    """The engagement inbox: answer deadline, reminders and how far back threads are read (docs/inbox.md)."""

    sla_hours: float = Field(default=24, gt=0, le=24 * 30, description="answer within this many (business) hours")
    remind_hours: float = Field(default=4, gt=0, le=24 * 7, description="remind this long before an item breaches")
    business_hours: BusinessHours | None = Field(default=None, description="unset: the SLA clock runs around the clock")
    thread_days: int = Field(default=7, ge=1, le=90, description="threads of posts this recent are (re-)read")
    summary_hour: int = Field(default=9, ge=0, le=23, description="local hour of the daily summary")
    slack: bool = Field(default=True, description="post reminders and the summary when Slack is configured")


class Retention(_Strict):
    """How long collected data is kept, in days of publication age; unset keeps it forever.

    Raw payloads are the bulkiest and most personal part of a mention, so they
    can go earlier than the mention itself. Aggregates (hourly counts, alerts,
    reach changes, digests) are never pruned.
    """

    raw_days: int | None = Field(default=None, ge=1, description="clear mentions' raw payloads older than this")
    mention_days: int | None = Field(default=None, ge=1, description="delete mentions (and their scores) older than this")

    @model_validator(mode="after")
    def _raw_goes_first(self) -> "Retention":
        if self.raw_days and self.mention_days and self.raw_days > self.mention_days:
            raise ValueError("raw_days cannot exceed mention_days (a deleted mention has no raw payload to keep)")
        return self


class ListeningConfig(_Strict):
    project: Project = Field(default_factory=Project)
    languages: list[str] = Field(default_factory=lambda: ["en", "ko", "ja"])
    endpoints: Endpoints = Field(default_factory=Endpoints)
    brands: list[Brand]
    alerting: Alerting = Field(default_factory=Alerting)
    retention: Retention = Field(default_factory=Retention)
    inbox: InboxSettings = Field(default_factory=InboxSettings)
    _unexpanded: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def unexpanded(self) -> dict[str, str]:
        """Each string ``${VAR}`` expansion produced, mapped to its form in the file (no secret in it)."""
        return dict(self._unexpanded)

    @model_validator(mode="after")
    def _brands_consistent(self) -> "ListeningConfig":
        keys = [b.key for b in self.brands]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"brand keys must be unique; repeated: {duplicated}")
        if not self.brands:
            raise ValueError("at least one brand is required")
        return self

    @property
    def own_brand(self) -> Brand | None:
        return next((b for b in self.brands if b.own), None)

    def brand(self, key: str) -> Brand:
        for b in self.brands:
            if b.key == key:
                return b
        raise ConfigError(f"no brand with key {key!r}; known: {[b.key for b in self.brands]}")


def _expand_env(value: Any, missing: list[str], forms: dict[str, str], env: Mapping[str, str]) -> Any:
    """``value`` with ``${VAR}`` replaced from ``env``; ``forms`` maps each expanded string back to its config form."""
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in env:
                missing.append(m.group(1))
                return m.group(0)
            return env[m.group(1)]

        expanded = _ENV_REF.sub(sub, value)
        if expanded != value:
            forms[expanded] = value
            for name in _url_secret_refs(value):
                register_secret(os.environ.get(name, ""))
        return expanded
    if isinstance(value, list):
        return [_expand_env(v, missing, forms, env) for v in value]
    if isinstance(value, dict):
        return {k: _expand_env(v, missing, forms, env) for k, v in value.items()}
    return value


def _url_secret_refs(raw: str) -> list[str]:
    """Variables a config URL puts into its query or userinfo: secrets by their position.

    >>> _url_secret_refs("https://u:${PW}@x.test/feed?q=acme&t=${TOKEN}")
    ['TOKEN', 'PW']
    >>> _url_secret_refs("${REPLAY_URL}/feed")
    []
    """
    query = raw.partition("?")[2]
    userinfo = raw.partition("://")[2].partition("/")[0].rpartition("@")[0]
    return _ENV_REF.findall(query) + _ENV_REF.findall(userinfo)


def _check_size(data: Any, path: Path) -> None:
    """Fail fast on YAML whose anchors expand into more values than any config has, or refer to themselves."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "(top level)")]
    seen = 0
    while stack:
        node, depth, top = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ConfigError(f"{path}: {top}: expands to more than {MAX_VALUES:,} values through YAML anchors "
                              "and aliases (&name / *name); a listening config has a few hundred")
        if depth > MAX_DEPTH:
            raise ConfigError(f"{path}: {top}: nested more than {MAX_DEPTH} levels deep "
                              "(a listening config has a few; an anchor that contains itself?)")
        if isinstance(node, dict):
            stack.extend((v, depth + 1, str(k) if depth == 0 else top) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, depth + 1, top) for v in node)


def _field_path(loc: tuple[Any, ...], data: Any) -> str:
    """Render a pydantic location with brand keys instead of list indices."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list):
            element = node[item] if item < len(node) else None
            label = element.get("key") if isinstance(element, dict) else None
            parts[-1:] = [f"{parts[-1]}[{label or item}]"] if parts else [f"[{item}]"]
            node = element
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def _read_yaml(path: Path) -> dict[str, Any]:
    """The file's YAML mapping, size-checked; a problem is a ConfigError naming the file."""
    try:
        text = read_text(path, "a YAML config").text
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read (a listening config has a few levels)") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with at least 'brands', got {type(data).__name__}")
    _check_size(data, path)
    return data


def brand_names(path: str | Path) -> list[str]:
    """Every brand's key, name and aliases as the file spells them, without expanding ``${VAR}``.

    Scoring masks these names; it needs neither the environment (secrets, the replay URL)
    nor the sources, so a config that cannot run here still gives its names.
    """
    path = Path(path)
    brands = _read_yaml(path).get("brands")
    if not isinstance(brands, list):
        raise ConfigError(f"{path}: brands: expected a list of brands")
    names: list[str] = []
    for brand in brands:
        if isinstance(brand, dict):
            aliases = brand.get("aliases")
            found = [brand.get("key"), brand.get("name"), *(aliases if isinstance(aliases, list) else [])]
            names.extend(n.strip() for n in found if isinstance(n, str) and n.strip())
    return list(dict.fromkeys(names))


#: The variable the demo config's URLs start with: where the offline replay listens (a port that may change per run).
REPLAY_VAR = "REPLAY_URL"


def load_config(path: str | Path, unset: Mapping[str, str] | None = None) -> ListeningConfig:
    """Read and validate a listening config file; ``unset`` gives values for variables the environment lacks."""
    path = Path(path)
    data = _read_yaml(path)
    missing: list[str] = []
    forms: dict[str, str] = {}
    data = _expand_env(data, missing, forms, {**(unset or {}), **os.environ})
    if missing:
        raise ConfigError(f"{path}: environment variable(s) {sorted(set(missing))} are referenced but not set")
    try:
        config = ListeningConfig.model_validate(data)
        config._unexpanded = forms
        return config
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = _field_path(tuple(err["loc"]), data) or "(top level)"
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown field (check the spelling; see the configuration reference in README.md)"
            problems.append(redact_text(f"{path}: {field}: {message}"))
        raise ConfigError("\n".join(problems)) from None
