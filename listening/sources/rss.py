"""RSS 1.0/2.0 and Atom feeds: company blogs, press rooms, GitHub releases, Google News, YouTube.

Bytes are fetched by :class:`~listening.http.HttpClient` (conditional GET, size
cap, retries) and handed to feedparser as a stream, so feedparser never touches
the network or the filesystem. feedparser picks the charset from the
Content-Type header and the XML prolog, which is what EUC-KR and Shift_JIS
feeds need. Recovered entries of a malformed feed are kept; the feed-level
problem is recorded as a :class:`~listening.sources.base.Skipped`.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus

import feedparser

from listening.errors import ParseError
from listening.http import HttpClient, redact_url
from listening.mention import Mention
from listening.sources.base import Cursor, FetchResult, Skipped
from listening.sources.items import BadItem, guarded
from listening.sources.text import from_struct_time, jsonable, split_publisher, strip_html

__all__ = [
    "EntryContext",
    "EntryMapper",
    "GOOGLE_NEWS_BASE",
    "GOOGLE_NEWS_LOCALES",
    "YOUTUBE_BASE",
    "FeedConnector",
    "GoogleNewsSearch",
    "SkipEntry",
    "YouTubeChannel",
    "fetch_feed",
    "generic_entry",
    "google_news_entry",
    "google_news_url",
    "youtube_entry",
    "youtube_feed_url",
]

logger = logging.getLogger(__name__)

GOOGLE_NEWS_BASE = "https://news.google.com"
YOUTUBE_BASE = "https://www.youtube.com"
GOOGLE_NEWS_LOCALES: dict[str, tuple[str, str, str]] = {
    "ko": ("ko", "KR", "KR:ko"),
    "ja": ("ja", "JP", "JP:ja"),
    "en": ("en-US", "US", "US:en"),
}
# feedparser flags these as bozo although the feed parsed fine; they are notes, not damage.
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9._-]+)", re.I)
_PROLOG_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


def repair_utf8(content: bytes, content_type: str | None) -> tuple[bytes, int]:
    r"""Replace invalid byte sequences in a UTF-8 feed with U+FFFD; returns the bytes and how many.

    One stray byte makes feedparser give up on UTF-8 and re-read the whole document as
    windows-1252, which silently turns every Korean and Japanese item into mojibake. A feed
    declared UTF-8 (or undeclared and almost all valid UTF-8) keeps its good items intact
    this way; feeds in other declared charsets are left to feedparser.

    >>> repair_utf8("<t>한국</t>".encode() + b"\xff", None)
    (b'<t>\xed\x95\x9c\xea\xb5\xad</t>\xef\xbf\xbd', 1)
    >>> repair_utf8("<t>日本</t>".encode("shift_jis"), "text/xml; charset=Shift_JIS")[1]
    0
    """
    declared = _CHARSET.search(content_type or "")
    prolog = _PROLOG_ENCODING.match(content[:300])
    charset = (declared.group(1) if declared else prolog.group(1).decode() if prolog else "").lower()
    if charset not in ("", "utf-8", "utf8") or content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content, 0
    try:
        content.decode("utf-8")
        return content, 0
    except UnicodeDecodeError:
        pass
    text = content.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - content.decode("utf-8", errors="ignore").count("\ufffd")
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    if not charset and bad > max(1, non_ascii // 100):
        return content, 0  # undeclared and mostly not UTF-8: let feedparser detect the charset
    return text.encode("utf-8"), bad


class SkipEntry(BadItem):
    """An entry that cannot become a Mention; ``fetch_feed`` turns it into a :class:`Skipped`, it never escapes."""


@dataclass(frozen=True, slots=True)
class EntryContext:
    """Per-fetch facts an entry mapper needs (mappers are plain functions of entry + context)."""

    source: str
    query: str
    lang: str
    is_own: bool
    fetched_at: datetime


EntryMapper = Callable[[dict[str, Any], EntryContext], Mention]


def google_news_url(query: str, locale: str = "ko", *, when: str = "7d", base_url: str = GOOGLE_NEWS_BASE) -> str:
    """Google News RSS search URL for a locale (``ko``, ``ja`` or ``en``).

    >>> google_news_url("삼성 갤럭시", "ko", base_url="http://127.0.0.1:8080")
    'http://127.0.0.1:8080/rss/search?q=%EC%82%BC%EC%84%B1+%EA%B0%A4%EB%9F%AD%EC%8B%9C+when:7d&hl=ko&gl=KR&ceid=KR:ko'
    >>> google_news_url("acme", "en", when="1d")
    'https://news.google.com/rss/search?q=acme+when:1d&hl=en-US&gl=US&ceid=US:en'
    """
    if locale not in GOOGLE_NEWS_LOCALES:
        raise ValueError(f"unknown Google News locale {locale!r}; use one of {sorted(GOOGLE_NEWS_LOCALES)}")
    hl, gl, ceid = GOOGLE_NEWS_LOCALES[locale]
    q = quote_plus(f"{query} when:{when}" if when else query, safe=":")
    return f"{base_url.rstrip('/')}/rss/search?q={q}&hl={hl}&gl={gl}&ceid={ceid}"


def youtube_feed_url(channel_id: str, *, base_url: str = YOUTUBE_BASE) -> str:
    """YouTube channel feed URL (latest 15 videos).

    >>> youtube_feed_url("UCacme")
    'https://www.youtube.com/feeds/videos.xml?channel_id=UCacme'
    """
    return f"{base_url.rstrip('/')}/feeds/videos.xml?channel_id={quote_plus(channel_id)}"


def _plain(detail: dict[str, Any] | None, value: str | None) -> str:
    """Plain text of a feed field, stripping markup only when the feed says it is markup."""
    kind = (detail or {}).get("type", "text/html")
    if kind == "text/plain":
        return " ".join((value or "").split())
    return strip_html(value)


def _published(entry: dict[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        when = from_struct_time(entry.get(key))
        if when is not None:
            return when
    return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _raw(entry: dict[str, Any], *notes: str) -> dict[str, Any]:
    raw = jsonable(entry)
    if notes:
        raw["_listening_notes"] = list(notes)
    return raw


def _base_mention(entry: dict[str, Any], ctx: EntryContext) -> Mention:
    """Fields every feed entry shares; specialised mappers adjust the rest."""
    link = entry.get("link") or ""
    native_id = entry.get("id") or link
    if not native_id:
        raise SkipEntry("no_id", f"entry {entry.get('title')!r} has neither guid/id nor link")
    title = _plain(entry.get("title_detail"), entry.get("title"))
    content = entry.get("content") or []
    body = content[0] if content else None
    text = _plain(body, body.get("value")) if body else _plain(entry.get("summary_detail"), entry.get("summary"))
    if not title and not text:
        raise SkipEntry("empty", f"entry {native_id} has no title and no text")
    published = _published(entry)
    notes = [] if published else ["no date in entry; published_at is fetched_at"]
    return Mention(
        source=ctx.source,
        native_id=native_id,
        url=link or (native_id if native_id.startswith("http") else ""),
        title=title,
        text=text or title,
        published_at=published or ctx.fetched_at,
        fetched_at=ctx.fetched_at,
        author=" ".join((entry.get("author") or "").split()),
        lang=ctx.lang,
        query=ctx.query,
        is_own=ctx.is_own,
        score=_int(entry.get("hatena_bookmarkcount")),
        raw=_raw(entry, *notes),
    )


def generic_entry(entry: dict[str, Any], ctx: EntryContext) -> Mention:
    """Blogs, press rooms, GitHub releases, Hatena RDF."""
    return _base_mention(entry, ctx)


def google_news_entry(entry: dict[str, Any], ctx: EntryContext) -> Mention:
    """"Headline - Publisher" titles: the publisher becomes the author, the headline the text.

    Google News' description is the headline again, its publisher, and sometimes a list of related
    coverage (other outlets' headlines, often about other brands): read as this article's words, they
    ended its quote with the outlet's name ("… app fails Substack") and scored other stories with it.
    A description that does not open with the headline is kept as the text.
    """
    mention = _base_mention(entry, ctx)
    publisher = " ".join(((entry.get("source") or {}).get("title") or "").split())
    if not publisher:
        headline, publisher = split_publisher(mention.title)
    else:
        headline = mention.title.removesuffix(f" - {publisher}").strip()
    text = headline if headline and mention.text.startswith(headline) else mention.text
    return mention.with_(title=headline, text=text, author=publisher or mention.author)


def youtube_entry(entry: dict[str, Any], ctx: EntryContext) -> Mention:
    """Native id is ``yt:videoId``; views and likes come from ``media:community``."""
    mention = _base_mention(entry, ctx)
    video_id = entry.get("yt_videoid") or mention.native_id.removeprefix("yt:video:")
    stats = entry.get("media_statistics") or {}
    rating = entry.get("media_starrating") or {}
    return mention.with_(native_id=video_id, views=_int(stats.get("views")), likes=_int(rating.get("count")))


def _primary_lang(tag: str | None) -> str:
    return (tag or "").split("-")[0].split("_")[0].lower()


def fetch_feed(
    client: HttpClient,
    url: str,
    cursor: Cursor | None = None,
    *,
    source: str = "rss",
    query: str = "",
    lang: str = "",
    is_own: bool = False,
    mapper: EntryMapper = generic_entry,
    now: datetime | None = None,
) -> FetchResult:
    """Fetch one feed (conditional on the cursor's validators) and map its entries.

    Every entry is returned, not only those newer than the watermark: feeds are
    short, re-observations carry fresh engagement (YouTube views), and the store
    upserts by id. Entries without a date fall back to ``fetched_at`` and do not
    move the watermark.
    """
    cursor = cursor or Cursor()
    fetched_at = now or datetime.now(timezone.utc)
    response = client.get(url, etag=cursor.etag, last_modified=cursor.last_modified)
    if response.not_modified:
        new_cursor = cursor.advanced([], etag=response.etag, last_modified=response.last_modified)
        return FetchResult([], new_cursor, not_modified=True, requests=response.attempts)
    shown = redact_url(response.url)
    content, repaired = repair_utf8(response.content, response.content_type)
    parsed = feedparser.parse(
        io.BytesIO(content),
        response_headers={"content-type": response.content_type or "application/xml"},
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not parsed.entries and (problem is not None or not parsed.get("version")):
        detail = f"{type(problem).__name__}: {problem}" if problem else "no RSS/Atom root element"
        raise ParseError(f"{shown} is not a readable feed ({detail}); check the URL and the payload")
    skipped: list[Skipped] = []
    if repaired:
        detail = f"{repaired} invalid UTF-8 byte sequence(s) replaced with U+FFFD; the other items are intact"
        logger.warning("feed %s: %s", shown, detail)
        skipped.append(Skipped("invalid_utf8", detail))
    if problem is not None and not isinstance(problem, _BENIGN_BOZO):
        detail = f"{type(problem).__name__}: {problem}; kept {len(parsed.entries)} recovered entries"
        logger.warning("feed %s is malformed: %s", shown, detail)
        skipped.append(Skipped("malformed_feed", detail))
    elif problem is not None:
        logger.info("feed %s: %s", shown, problem)
    ctx = EntryContext(source, query, lang or _primary_lang(parsed.feed.get("language")), is_own, fetched_at)
    mentions: list[Mention] = []
    seen: set[str] = set()
    dated: list[datetime] = []
    for index, entry in enumerate(parsed.entries):
        mention = guarded(f"feed {shown} entry {index}", skipped, mapper, entry, ctx)
        if mention is None:
            continue
        if mention.native_id in seen:
            skipped.append(Skipped("duplicate", f"entry {index}: {mention.native_id} repeated in the feed"))
            continue
        seen.add(mention.native_id)
        mentions.append(mention)
        if "_listening_notes" not in mention.raw:  # dated by the entry itself, not by fetched_at
            dated.append(mention.published_at)
    new_cursor = cursor.advanced(dated, etag=response.etag, last_modified=response.last_modified, now=fetched_at)
    return FetchResult(mentions, new_cursor, skipped, requests=response.attempts)


@dataclass(frozen=True, slots=True)
class FeedConnector:
    """Any RSS/Atom/RDF feed: company blog, press room, GitHub ``releases.atom``, Hatena search."""

    url: str
    name: str = ""
    source: str = "rss"
    query: str = ""
    lang: str = ""
    is_own: bool = False

    @property
    def key(self) -> str:
        return f"{self.source}:{self.url}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        """Entries without an author are credited to ``name`` (e.g. "Acme press room")."""
        result = fetch_feed(
            client, self.url, cursor, source=self.source, query=self.query, lang=self.lang, is_own=self.is_own, now=now
        )
        if self.name:
            result.mentions = [m if m.author else m.with_(author=self.name) for m in result.mentions]
        return result


@dataclass(frozen=True, slots=True)
class GoogleNewsSearch:
    """Google News RSS search for one query and locale (personal, non-commercial use per its terms)."""

    query: str
    locale: str = "ko"
    when: str = "7d"
    base_url: str = GOOGLE_NEWS_BASE
    source: str = "google_news"

    def __post_init__(self) -> None:
        google_news_url(self.query, self.locale)  # validates the locale at construction

    @property
    def url(self) -> str:
        return google_news_url(self.query, self.locale, when=self.when, base_url=self.base_url)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.locale}:{self.query}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        return fetch_feed(
            client,
            self.url,
            cursor,
            source=self.source,
            query=self.query,
            lang=self.locale,
            mapper=google_news_entry,
            now=now,
        )


@dataclass(frozen=True, slots=True)
class YouTubeChannel:
    """A YouTube channel's feed; ``is_own`` for the brand's own channels (reach tracking)."""

    channel_id: str
    base_url: str = YOUTUBE_BASE
    is_own: bool = False
    source: str = "youtube"

    @property
    def url(self) -> str:
        return youtube_feed_url(self.channel_id, base_url=self.base_url)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.channel_id}"

    def fetch(self, client: HttpClient, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        return fetch_feed(
            client, self.url, cursor, source=self.source, is_own=self.is_own, mapper=youtube_entry, now=now
        )
