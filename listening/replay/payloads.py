"""Exact wire formats of the recorded sources, shared by the generator and the server.

The generator writes payloads that look exactly like what the real services
return; the server only moves their timestamps. Keeping both directions of the
time formats here means a stamp always round-trips in its original style
(``GMT`` vs ``+0900``, ``Z`` vs ``+09:00``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from xml.sax.saxutils import escape, quoteattr

#: Elements whose text is a timestamp, in any feed we serve.
STAMP_RE = re.compile(r"<(pubDate|lastBuildDate|published|updated|dc:date)>([^<]+)</\1>")
ITEM_RE = re.compile(r"<item[ >].*?</item>|<entry>.*?</entry>", re.S)

GNEWS_LOCALES = {
    "en": ("en-US", "US", "US:en"),
    "ko": ("ko", "KR", "KR:ko"),
    "ja": ("ja", "JP", "JP:ja"),
}
GNEWS_COPYRIGHT = (
    "Copyright © 2026 Google. All rights reserved. This XML feed is made available solely for the "
    "purpose of rendering Google News results within a personal, non-commercial RSS reader."
)


def rfc822(dt: datetime, offset_hours: int | None = None) -> str:
    """RFC 822 date: ``GMT`` when no offset is given (Google News style), else ``+HHMM``."""
    if offset_hours is None:
        return format_datetime(dt.astimezone(timezone.utc), usegmt=True)
    return format_datetime(dt.astimezone(timezone(timedelta(hours=offset_hours))))


def iso(dt: datetime, offset_hours: int | None = None) -> str:
    """ISO 8601 second precision: ``Z`` when no offset is given, else ``+HH:MM``."""
    if offset_hours is None:
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.astimezone(timezone(timedelta(hours=offset_hours))).isoformat(timespec="seconds")


def parse_stamp(text: str) -> datetime:
    """Parse either format back to an aware datetime."""
    text = text.strip()
    if text[:1].isdigit():
        return datetime.fromisoformat(text)
    return parsedate_to_datetime(text)


def restamp(text: str, dt: datetime) -> str:
    """Render ``dt`` in the same style and UTC offset as the stamp ``text``."""
    text = text.strip()
    old = parse_stamp(text)
    hours = None if text.endswith(("GMT", "Z")) else int(old.utcoffset().total_seconds() // 3600)
    return iso(dt, hours) if text[:1].isdigit() else rfc822(dt, hours)


def el(tag: str, text: str, **attrs: str) -> str:
    """One XML element with escaped text (attribute names use ``_`` for ``:``)."""
    at = "".join(f" {k.replace('__', ':')}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{at}>{escape(text)}</{tag}>"


def gnews_head(term: str, lang: str, built: datetime) -> str:
    """Channel header of a Google News search feed for ``term`` in ``lang``."""
    hl, gl, ceid = GNEWS_LOCALES[lang]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<rss xmlns:media="http://search.yahoo.com/mrss/" version="2.0"><channel>'
        "<generator>NFE/5.0</generator>"
        + el("title", f'"{term}" - Google News')
        + el("link", f"https://news.google.com/search?q={term}&hl={hl}&gl={gl}&ceid={ceid}")
        + el("language", hl)
        + "<webMaster>news-webmaster@google.com</webMaster>"
        + el("copyright", GNEWS_COPYRIGHT)
        + el("lastBuildDate", rfc822(built))
        + "<description>Google News</description>\n"
    )


def gnews_item(token: str, headline: str, publisher: str, site: str, published: datetime,
               related: list[tuple[str, str, str]] = ()) -> str:
    """One Google News item; ``related`` = (token, headline, publisher) for a story cluster."""
    link = f"https://news.google.com/rss/articles/{token}?oc=5"

    def anchor(lnk: str, h: str, p: str) -> str:
        return f'<a href="{lnk}" target="_blank">{escape(h)}</a>&nbsp;&nbsp;<font color="#6f6f6f">{escape(p)}</font>'

    if related:
        lis = [anchor(link, headline, publisher)]
        lis += [anchor(f"https://news.google.com/rss/articles/{t}?oc=5", h, p) for t, h, p in related]
        desc = "<ol>" + "".join(f"<li>{a}</li>" for a in lis) + "</ol>"
    else:
        desc = anchor(link, headline, publisher)
    return (
        "<item>" + el("title", f"{headline} - {publisher}") + el("link", link)
        + f'<guid isPermaLink="false">{token}</guid>' + el("pubDate", rfc822(published))
        + el("description", desc) + el("source", publisher, url=site) + "</item>\n"
    )


def rss_head(title: str, link: str, self_url: str, description: str, lang: str, built: datetime, tz: int) -> str:
    """RSS 2.0 channel header in the style of a WordPress blog feed."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        + el("title", title) + f'\n<atom:link href="{self_url}" rel="self" type="application/rss+xml" />\n'
        + el("link", link) + "\n" + el("description", description) + "\n"
        + el("lastBuildDate", rfc822(built, tz)) + "\n" + el("language", lang) + "\n"
        + "<generator>https://wordpress.org/?v=6.9</generator>\n"
    )


def rss_item(title: str, link: str, guid: str, published: datetime, tz: int, author: str,
             categories: list[str], summary: str, html: str) -> str:
    """One WordPress-style RSS 2.0 item."""
    cats = "".join(el("category", c) for c in categories)
    return (
        "<item>\n" + el("title", title) + "\n" + el("link", link) + "\n"
        + f"<dc:creator><![CDATA[{author}]]></dc:creator>\n" + el("pubDate", rfc822(published, tz)) + "\n"
        + cats + "\n" + f'<guid isPermaLink="false">{escape(guid)}</guid>\n'
        + el("description", summary) + "\n" + f"<content:encoded><![CDATA[{html}]]></content:encoded>\n</item>\n"
    )


def rdf_head(about: str, title: str, link: str, description: str, built: datetime) -> str:
    """RSS 1.0 (RDF) header in the style of a PR TIMES company feed; the Seq is filled at serve time."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rdf:RDF xmlns="http://purl.org/rss/1.0/" '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="ja">\n'
        f"<channel rdf:about={quoteattr(about)}>\n" + el("title", title) + "\n" + el("link", link) + "\n"
        + el("description", description) + "\n" + el("dc:date", iso(built, 9)) + "\n<items>\n<rdf:Seq>\n"
    )


def rdf_item(link: str, title: str, description: str, published: datetime, subject: str) -> str:
    """One RSS 1.0 item with ``dc:date`` in JST."""
    return (
        f"<item rdf:about={quoteattr(link)}>\n" + el("title", title) + "\n" + el("link", link) + "\n"
        + el("description", description) + "\n" + el("dc:date", iso(published, 9)) + "\n"
        + el("dc:subject", subject) + "\n</item>\n"
    )


def rdf_seq(links: list[str]) -> str:
    """The channel's ``rdf:Seq`` entries for the items actually served."""
    return "".join(f"<rdf:li rdf:resource={quoteattr(u)}/>\n" for u in links)


RDF_SEQ_RE = re.compile(r"(<rdf:Seq>\n).*?(</rdf:Seq>)", re.S)
RDF_ABOUT_RE = re.compile(r'<item rdf:about="([^"]+)"')


def atom_head(title: str, site: str, self_url: str, feed_id: str, updated: datetime, extra: str = "") -> str:
    """Atom feed header (blog, GitHub releases)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:media="http://search.yahoo.com/mrss/" xml:lang="en-US">\n'
        + el("id", feed_id) + "\n" + f'<link type="text/html" rel="alternate" href="{site}"/>\n'
        + f'<link type="application/atom+xml" rel="self" href="{self_url}"/>\n'
        + el("title", title) + "\n" + el("updated", iso(updated)) + "\n" + extra
    )


def atom_entry(entry_id: str, title: str, link: str, published: datetime | None, updated: datetime,
               author: str, html: str, summary: str = "", extra: str = "") -> str:
    """One Atom entry; GitHub release entries carry no ``published``."""
    return (
        "<entry>\n" + el("id", entry_id) + "\n"
        + (el("published", iso(published)) + "\n" if published else "")
        + el("updated", iso(updated)) + "\n"
        + f'<link rel="alternate" type="text/html" href="{escape(link)}"/>\n' + el("title", title) + "\n"
        + (el("summary", summary, type="html") + "\n" if summary else "")
        + el("content", html, type="html") + "\n"
        + f"<author>\n<name>{escape(author)}</name>\n</author>\n" + extra + "</entry>\n"
    )


def yt_head(channel_id: str, name: str, created: datetime) -> str:
    """YouTube channel feed header."""
    url = f"https://www.youtube.com/channel/{channel_id}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">\n'
        f' <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={channel_id}"/>\n'
        f" <id>yt:channel:{channel_id}</id>\n <yt:channelId>{channel_id}</yt:channelId>\n"
        f" {el('title', name)}\n" f' <link rel="alternate" href="{url}"/>\n'
        f" <author>\n  {el('name', name)}\n  <uri>{url}</uri>\n </author>\n"
        f" {el('published', iso(created, 0))}\n"
    )


def yt_entry(video_id: str, channel_id: str, channel: str, title: str, description: str,
             published: datetime, updated: datetime, views: int, likes: int) -> str:
    """One YouTube video entry with ``media:community`` statistics."""
    url = f"https://www.youtube.com/channel/{channel_id}"
    return (
        f" <entry>\n  <id>yt:video:{video_id}</id>\n  <yt:videoId>{video_id}</yt:videoId>\n"
        f"  <yt:channelId>{channel_id}</yt:channelId>\n  {el('title', title)}\n"
        f'  <link rel="alternate" href="https://www.youtube.com/watch?v={video_id}"/>\n'
        f"  <author>\n   {el('name', channel)}\n   <uri>{url}</uri>\n  </author>\n"
        f"  {el('published', iso(published, 0))}\n  {el('updated', iso(updated, 0))}\n"
        f"  <media:group>\n   {el('media:title', title)}\n"
        f'   <media:content url="https://www.youtube.com/v/{video_id}?version=3" '
        'type="application/x-shockwave-flash" width="640" height="390"/>\n'
        f'   <media:thumbnail url="https://i1.ytimg.com/vi/{video_id}/hqdefault.jpg" width="480" height="360"/>\n'
        f"   {el('media:description', description)}\n   <media:community>\n"
        f'    <media:starRating count="{likes}" average="5.00" min="1" max="5"/>\n'
        f'    <media:statistics views="{views}"/>\n   </media:community>\n  </media:group>\n </entry>\n'
    )


YT_STATS_RE = re.compile(r'(<media:starRating count=")(\d+)(".*?<media:statistics views=")(\d+)(")', re.S)

HN_FIELDS = (
    "objectID", "created_at", "created_at_i", "title", "url", "author", "points", "num_comments",
    "story_text", "comment_text", "story_id", "story_title", "story_url", "parent_id", "_tags",
)


def hn_hit(**fields: object) -> dict[str, object]:
    """An Algolia HN hit with exactly the documented keys (absent ones are ``None``)."""
    unknown = set(fields) - set(HN_FIELDS)
    if unknown:
        raise ValueError(f"not an HN hit field: {sorted(unknown)}")
    return {k: fields.get(k) for k in HN_FIELDS}
