"""Reading one public thread per platform through the shared HTTP client, in each API's own shape.

Mastodon ``/api/v1/statuses/:id/context``, Bluesky ``app.bsky.feed.getPostThread`` (public AppView),
Hacker News items from Algolia (``/api/v1/items/:id``, the whole comment tree) and Reddit's comment
listing (``/comments/:id``, OAuth JSON: the keyless ``.json`` endpoints closed in 2026). Each reader
returns the replies as flat :class:`Post` rows with their parent, so answered detection is one rule for
every platform. A thread that is gone raises :class:`ThreadGone`; a reply deleted inside a live thread
comes back with ``deleted`` set (Bluesky ``notFoundPost``, HN/Reddit ``[deleted]``) or not at all (Mastodon).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from listening.errors import FetchError, ParseError
from listening.http import HttpClient
from listening.sources.reddit import ClientCredentials
from listening.sources.text import strip_html
from listening.utc import as_utc

#: Statuses the thread APIs answer for a root that no longer exists (Bluesky says 400 NotFound).
GONE = (404, 410)
HN_URL = "https://news.ycombinator.com/item?id={}"


class ThreadGone(Exception):
    """The thread's root was deleted or never existed (HTTP 404/410, Bluesky ``NotFound``)."""


@dataclass(frozen=True)
class Post:
    """One post of a thread: ``key`` links parent and child within the thread, ``native_id`` is its stable id."""

    key: str
    native_id: str
    parent_key: str | None
    author: str
    text: str
    published_at: datetime
    url: str
    lang: str = ""
    author_followers: int | None = None
    deleted: bool = False


def _time(value: Any, what: str) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc)
    if not isinstance(value, str):
        raise ParseError(f"{what}: no time")
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise ParseError(f"{what}: unreadable time {value!r}") from None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _get_json(client: HttpClient, url: str, **kw: Any) -> Any:
    try:
        return client.get(url, **kw).json()
    except FetchError as exc:
        if exc.status in GONE:
            raise ThreadGone(f"HTTP {exc.status}") from None
        raise


# -- Mastodon ---------------------------------------------------------------------------------------------

def mastodon_replies(client: HttpClient, base_url: str, status_id: str, instance: str) -> list[Post]:
    """Replies below status ``status_id`` (the instance's local id); authors as ``name@instance``."""
    doc = _get_json(client, f"{base_url.rstrip('/')}/api/v1/statuses/{quote(status_id, safe='')}/context")
    if not isinstance(doc, dict) or not isinstance(doc.get("descendants"), list):
        raise ParseError("status context: expected an object with descendants")
    out = []
    for s in doc["descendants"]:
        if not isinstance(s, dict) or not isinstance(s.get("id"), str):
            continue
        account = s.get("account") if isinstance(s.get("account"), dict) else {}
        acct = str(account.get("acct") or "")
        out.append(Post(
            key=s["id"], native_id=str(s.get("uri") or s["id"]), parent_key=s.get("in_reply_to_id"),
            author=acct if "@" in acct or not acct else f"{acct}@{instance}",
            text=strip_html(s.get("content")) or strip_html(s.get("spoiler_text")),
            published_at=_time(s.get("created_at"), f"status {s['id']}"), url=str(s.get("url") or s.get("uri") or ""),
            lang=str(s.get("language") or ""), author_followers=_count(account.get("followers_count")),
        ))
    return out


# -- Bluesky ----------------------------------------------------------------------------------------------

def _bsky_url(uri: str, handle: str) -> str:
    rkey = uri.rsplit("/", 1)[-1]
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def _bsky_walk(node: Any, parent: str | None) -> Iterator[Post]:
    for child in node.get("replies") or []:
        if not isinstance(child, dict):
            continue
        kind = child.get("$type", "")
        if kind.endswith("#threadViewPost") and isinstance(child.get("post"), dict):
            post = child["post"]
            record = post.get("record") if isinstance(post.get("record"), dict) else {}
            author = post.get("author") if isinstance(post.get("author"), dict) else {}
            uri = str(post.get("uri") or "")
            handle = str(author.get("handle") or "")
            langs = record.get("langs") if isinstance(record.get("langs"), list) else []
            yield Post(key=uri, native_id=uri, parent_key=parent, author=handle, text=str(record.get("text") or ""),
                       published_at=_time(post.get("indexedAt") or record.get("createdAt"), uri),
                       url=_bsky_url(uri, handle), lang=str(langs[0]) if langs else "")
            yield from _bsky_walk(child, uri)
        elif kind.endswith(("#notFoundPost", "#blockedPost")) and isinstance(child.get("uri"), str):
            # What was there is unknown: only its id, to mark a stored reply deleted.
            yield Post(key=child["uri"], native_id=child["uri"], parent_key=parent, author="", text="",
                       published_at=datetime.min.replace(tzinfo=timezone.utc), url="", deleted=True)


def bluesky_replies(client: HttpClient, base_url: str, uri: str) -> list[Post]:
    """Replies below the post ``uri`` (depth 10), from the public AppView."""
    url = f"{base_url.rstrip('/')}/xrpc/app.bsky.feed.getPostThread"
    try:
        response = client.get(url, params={"uri": uri, "depth": 10, "parentHeight": 0})
    except FetchError as exc:
        if exc.status in GONE or exc.status == 400:  # the AppView answers 400 {"error": "NotFound"} for a deleted post
            raise ThreadGone(f"HTTP {exc.status}") from None
        raise
    doc = response.json()
    thread = doc.get("thread") if isinstance(doc, dict) else None
    if not isinstance(thread, dict):
        raise ParseError("getPostThread: expected an object with thread")
    if thread.get("$type", "").endswith(("#notFoundPost", "#blockedPost")):
        raise ThreadGone("the root post is not found")
    return list(_bsky_walk(thread, uri))


# -- Hacker News ------------------------------------------------------------------------------------------

def _hn_walk(node: dict[str, Any], parent: str) -> Iterator[Post]:
    for child in node.get("children") or []:
        if not isinstance(child, dict) or child.get("id") is None:
            continue
        cid = str(child["id"])
        deleted = child.get("author") is None and child.get("text") is None
        yield Post(key=cid, native_id=cid, parent_key=parent, author=str(child.get("author") or ""),
                   text=strip_html(child.get("text")), url=HN_URL.format(cid), deleted=deleted,
                   published_at=_time(child.get("created_at_i", child.get("created_at")), f"item {cid}"))
        yield from _hn_walk(child, cid)


def hackernews_replies(client: HttpClient, base_url: str, item_id: str) -> list[Post]:
    """Every comment below item ``item_id`` (Algolia's nested item tree)."""
    doc = _get_json(client, f"{base_url.rstrip('/')}/api/v1/items/{quote(item_id, safe='')}")
    if not isinstance(doc, dict) or doc.get("id") is None:
        raise ParseError("HN item: expected an object with id")
    if doc.get("author") is None and doc.get("text") is None and doc.get("title") is None:
        raise ThreadGone("the item is deleted")
    return list(_hn_walk(doc, str(doc["id"])))


# -- Reddit -----------------------------------------------------------------------------------------------

def _reddit_walk(listing: Any, parent: str) -> Iterator[Post]:
    children = listing.get("data", {}).get("children", []) if isinstance(listing, dict) else []
    for child in children:
        if not isinstance(child, dict) or child.get("kind") != "t1" or not isinstance(child.get("data"), dict):
            continue  # "more" stubs: the rest of a very long thread, not read
        d = child["data"]
        name = str(d.get("name") or f"t1_{d.get('id')}")
        body = str(d.get("body") or "")
        deleted = d.get("author") in ("[deleted]", None) or body in ("[deleted]", "[removed]")
        yield Post(key=name, native_id=name, parent_key=str(d.get("parent_id") or parent),
                   author="" if deleted else str(d.get("author")), text="" if deleted else body,
                   published_at=_time(d.get("created_utc"), name), deleted=deleted,
                   url=f"https://www.reddit.com{d.get('permalink', '')}")
        yield from _reddit_walk(d.get("replies"), name)


def reddit_replies(client: HttpClient, base_url: str, name: str, auth: ClientCredentials) -> list[Post]:
    """Comments below post ``name`` (``t3_…``) from the OAuth JSON API."""
    token = auth.token(client)
    doc = _get_json(client, f"{base_url.rstrip('/')}/comments/{quote(name.removeprefix('t3_'), safe='')}",
                    params={"raw_json": 1, "limit": 500}, headers={"Authorization": f"Bearer {token}"})
    if not isinstance(doc, list) or len(doc) < 2:
        raise ParseError("reddit comments: expected [post listing, comment listing]")
    return list(_reddit_walk(doc[1], name))
