"""Normalisation and de-duplication of fetched mentions.

The same story reaches us many times: a wire article on several news sites, the
same URL with different tracking parameters, a post re-fetched on every run.
Keys here make those collapse to one stored mention.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from listening.mention import Mention

_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|ref|ref_src|spm|cmpid|ocid|__twitter_impression)$", re.I)
_TITLE_NOISE = re.compile(r"[\W_]+", re.UNICODE)
_TITLE_TAIL = re.compile(r"\s+[-|–—]\s+[^-|–—]{1,60}$")
_AMP_SUFFIX = re.compile(r"\.amp(\.html?)?$")


def canonical_url(url: str) -> str:
    """Drop tracking parameters, fragments, AMP and mobile variants.

    >>> canonical_url("https://m.example.com/amp/news/1/?utm_source=x&id=7&fbclid=abc#top")
    'https://example.com/news/1?id=7'
    >>> canonical_url("HTTPS://Example.com/a/amp")
    'https://example.com/a'
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "amp.", "mobile."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s and s.lower() != "amp"]
    path = "/" + "/".join(segments)
    if ".amp" in path:
        path = _AMP_SUFFIX.sub(r"\1", path)
    query = ""
    if parts.query:  # most post URLs have none: skip the parse/encode round trip
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = urlencode(sorted((k, v) for k, v in pairs if not _TRACKING.match(k) and k.lower() != "amp"))
    return urlunsplit((parts.scheme.lower() or "https", host, path if path != "/" or query else "/", query, ""))


def title_key(title: str) -> str:
    """A key equal for titles that differ only in case, punctuation or the " - Publisher" tail.

    >>> title_key("Orbitly hub goes offline! - The Verge") == title_key("orbitly hub goes offline")
    True
    """
    base = unicodedata.normalize("NFKC", title).casefold()
    base = _TITLE_TAIL.sub("", base)
    compact = _TITLE_NOISE.sub("", base)
    return hashlib.sha256(compact.encode()).hexdigest()[:32] if len(compact) >= 12 else ""


def text_hash(title: str, text: str) -> str:
    """Score cache key: the same words are scored once per model, whoever posted them."""
    content = " ".join(f"{title}\n{text}".split())
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def title_is_thread(source: str, replies: int | None) -> bool:
    """Whether a mention's title is its thread's, not its own: a Hacker News comment.

    The connector stores a comment with its story's title (Algolia ``story_title``) so a
    comment under a brand's thread is attributed to the brand; comments are the hits
    without ``num_comments`` (stories always carry it, 0 included).
    """
    return source == "hackernews" and replies is None


def row_title_is_thread(row: Mapping[str, Any]) -> bool:
    """:func:`title_is_thread` of a listed row; a row that does not carry ``replies`` cannot say, so it is not.

    >>> row_title_is_thread({"source": "hackernews", "replies": None}), row_title_is_thread({"source": "hackernews"})
    (True, False)
    """
    return "replies" in row and title_is_thread(str(row.get("source") or ""), row["replies"])


def own_words(title: str, text: str, *, thread_title: bool = False) -> str:
    """The text a mention's language is detected on: a comment's own text, else title and body."""
    return text if thread_title and text.strip() else f"{title}\n{text}"


def listed_words(title: str, text: str, *, thread_title: bool = False) -> str:
    """What a listing shows for a mention: its title (else its text), but a comment's own words. Under a thread
    titled "Kestrel Home is hiring firmware engineers", a comment scored negative is about something else.

    >>> listed_words("Acme 3.0", "Deploys got slower"), listed_words("Acme 3.0", "Deploys got slower", thread_title=True)
    ('Acme 3.0', 'Deploys got slower')
    """
    return text if thread_title and text.strip() else (title or text)


def scoring_text(title: str, text: str, *, thread_title: bool = False) -> str:
    """What the model reads: the title, then the body unless it merely repeats the title.

    A comment (``thread_title``) is scored on its own words; its thread's title is context,
    not content (issue 16: a neutral thread title moved labelled comments' macro-F1 from 69.0 to 59.9).

    >>> scoring_text("Acme 3.0", "Deploys got faster"), scoring_text("Acme 3.0", "Deploys got faster", thread_title=True)
    ('Acme 3.0. Deploys got faster', 'Deploys got faster')
    >>> scoring_text("Ask HN: Is Acme down?", "Logins fail")
    'Ask HN: Is Acme down? Logins fail'
    """
    if thread_title and text.strip():
        return text.strip()
    title, text = title.strip(), text.strip()
    if not text or text.startswith(title):
        return text or title
    if not title or title in text[: len(title) + 20]:
        return text
    return f"{title} {text}" if title[-1] in ".!?…。！？" else f"{title}. {text}"


@dataclass(frozen=True)
class Keyed:
    mention: Mention
    canonical_url: str
    title_key: str
    text_hash: str


# Sources whose items are articles: the same headline there is the same story
# (a wire piece on several sites). Posts, videos, comments and reviews with equal
# titles are different items.
ARTICLE_SOURCES = frozenset({"google_news", "gdelt", "rss", "naver", "hatena"})


def keyed(m: Mention) -> Keyed:
    tkey = title_key(m.title) if m.source in ARTICLE_SOURCES else ""
    return Keyed(m, canonical_url(m.url) if m.url else m.id, tkey, text_hash(m.title, m.text))


def dedupe(items: Iterable[Keyed], known_urls: set[str] = frozenset(), known_titles: set[str] = frozenset()) -> tuple[list[Keyed], int]:
    """Keep the first of each native id / canonical URL / title; return (kept, dropped).

    Comments share their story's URL, so a URL only dedupes items with a title
    of their own (articles).
    """
    seen_ids: set[str] = set()
    seen_urls, seen_titles = set(known_urls), set(known_titles)
    kept: list[Keyed] = []
    dropped = 0
    for item in items:
        has_title = bool(item.title_key)
        if (
            item.mention.id in seen_ids
            or (has_title and item.canonical_url in seen_urls)
            or (item.title_key and item.title_key in seen_titles)
        ):
            dropped += 1
            continue
        seen_ids.add(item.mention.id)
        if has_title:
            seen_urls.add(item.canonical_url)
        if item.title_key:
            seen_titles.add(item.title_key)
        kept.append(item)
    return kept, dropped
