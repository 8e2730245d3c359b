"""The Mastodon and Bluesky account APIs of the replay, served from ``data/mastodon`` and ``data/bluesky``.

Routes (paths and parameters of the real APIs): Mastodon
``/api/v1/accounts/lookup?acct=`` and ``/api/v1/accounts/{id}/statuses``
(``limit``, ``max_id``, ``since_id``, ``min_id``, paged by a ``Link`` header);
Bluesky ``/xrpc/app.bsky.actor.getProfile``, ``app.bsky.feed.getAuthorFeed``
(``limit``, ``cursor``; the pinned post comes first with a ``reasonPin``) and
``app.bsky.feed.getPosts`` (repeated ``uris``).

Recorded counts are a post's counts at 7 days; a post of age *a* is served with
that share of them which a saturating curve gives (fast at first, like real
engagement), so repeated looks see counts grow. Follower counts grow with the
clock. Mastodon ids are re-derived from the served time (they are time-based
snowflakes, and clients page with ``since_id`` made from a time); ``uri`` and
``url`` keep the recorded id, so a post keeps its identity from run to run.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

__all__ = ["Social", "engagement_share"]

#: Hours to reach most of a post's engagement, per platform (the curve's time scale).
TAU_H = {"mastodon": 5.0, "bluesky": 3.0}
WEEK_H = 168.0
JSON = "application/json; charset=utf-8"


def engagement_share(platform: str, age: timedelta) -> float:
    """Share of a post's 7-day engagement reached at ``age``.

    >>> round(engagement_share("mastodon", timedelta(hours=24)), 2), engagement_share("bluesky", timedelta(days=9))
    (0.95, 1.0)
    """
    hours = max(age.total_seconds() / 3600, 0.0)
    if hours >= WEEK_H:
        return 1.0
    tau = TAU_H[platform]
    return (1 - math.exp(-((hours / tau) ** 0.7))) / (1 - math.exp(-((WEEK_H / tau) ** 0.7)))


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _ms(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _grown(count: int, share: float) -> int:
    return int(count * share)


@dataclass(frozen=True)
class Answer:
    """Status, extra headers and JSON body of one API answer."""

    status: int
    headers: dict[str, str]
    body: bytes


def _json(status: int, doc: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, {"Content-Type": JSON, **(headers or {})}, json.dumps(doc, ensure_ascii=False).encode())


class Social:
    """Recorded Mastodon accounts and Bluesky profiles, rendered for a clock and a time shift."""

    def __init__(self, data_dir: Path) -> None:
        self.mastodon = {}
        for path in sorted((data_dir / "mastodon").glob("*.json")):
            doc = json.loads(path.read_text())
            for s in doc["statuses"]:
                s["_at"] = _parse(s["created_at"])
            self.mastodon[doc["account"]["acct"]] = doc
        self.by_id = {doc["account"]["id"]: doc for doc in self.mastodon.values()}
        self.bluesky = {}
        for path in sorted((data_dir / "bluesky").glob("*.json")):
            doc = json.loads(path.read_text())
            for p in doc["feed"]:
                p["_at"] = _parse(p["indexedAt"])
            self.bluesky[doc["profile"]["handle"]] = doc
            self.bluesky[doc["profile"]["did"]] = doc
        self.posts = {p["uri"]: (doc, p) for doc in self.bluesky.values() for p in doc["feed"]}

    def handles(self, path: str) -> bool:
        """Whether ``path`` is one of the account API routes (the server asks before its feed routes)."""
        return path.startswith(("/api/v1/accounts", "/xrpc/app.bsky."))

    def get(self, path: str, query: str, shift: timedelta, now: datetime, host: str) -> Answer:
        """Answer one GET of an account API route."""
        params = {k: v for k, v in parse_qs(query, keep_blank_values=True).items()}
        one = {k: v[-1] for k, v in params.items()}
        if path == "/api/v1/accounts/lookup":
            acct = one.get("acct", "").lstrip("@").removesuffix("@mastodon.social")
            doc = self.mastodon.get(acct)
            if doc is None:
                return _json(404, {"error": "Record not found"})
            return _json(200, self._account(doc, shift, now))
        parts = path.strip("/").split("/")
        if len(parts) == 5 and parts[:3] == ["api", "v1", "accounts"] and parts[4] == "statuses":
            doc = self.by_id.get(parts[3])
            if doc is None:
                return _json(404, {"error": "Record not found"})
            return self._statuses(doc, path, one, shift, now, host)
        if path == "/xrpc/app.bsky.actor.getProfile":
            doc = self.bluesky.get(one.get("actor", "").lstrip("@"))
            if doc is None:
                return _json(400, {"error": "InvalidRequest", "message": "Profile not found"})
            return _json(200, self._profile(doc, shift, now))
        if path == "/xrpc/app.bsky.feed.getAuthorFeed":
            doc = self.bluesky.get(one.get("actor", "").lstrip("@"))
            if doc is None:
                return _json(400, {"error": "InvalidRequest", "message": "Profile not found"})
            return self._author_feed(doc, one, shift, now)
        if path == "/xrpc/app.bsky.feed.getPosts":
            uris = params.get("uris", [])
            if len(uris) > 25:
                return _json(400, {"error": "InvalidRequest", "message": "uris must not have more than 25 elements"})
            found = [self.posts[u] for u in uris if u in self.posts]
            return _json(200, {"posts": [self._post(doc, p, shift, now) for doc, p in found if p["_at"] + shift <= now]})
        return _json(404, {"error": "Record not found"} if path.startswith("/api/") else
                     {"error": "MethodNotImplemented", "message": "Method Not Implemented"})

    # -- Mastodon -------------------------------------------------------------
    def _account(self, doc: dict[str, Any], shift: timedelta, now: datetime) -> dict[str, Any]:
        recorded_now = now - shift
        served = [s for s in doc["statuses"] if s["_at"] <= recorded_now]
        followers = int(doc["account"]["followers_count"] + doc["followers_per_day"]
                        * (recorded_now - _anchor(doc)).total_seconds() / 86400)
        last = (served[0]["_at"] + shift).strftime("%Y-%m-%d") if served else None
        return {**doc["account"], "followers_count": followers, "last_status_at": last}

    def _status(self, account: dict[str, Any], s: dict[str, Any], shift: timedelta, now: datetime) -> dict[str, Any]:
        at = s["_at"] + shift
        share = engagement_share("mastodon", now - at)
        out = {k: v for k, v in s.items() if k != "_at"}
        out.update(id=_snowflake(at, s["uri"]), created_at=_ms(at), account=account,
                   favourites_count=_grown(s["favourites_count"], share),
                   reblogs_count=_grown(s["reblogs_count"], share), replies_count=_grown(s["replies_count"], share))
        return out

    def _statuses(self, doc: dict[str, Any], path: str, one: dict[str, str], shift: timedelta, now: datetime,
                  host: str) -> Answer:
        limit = min(max(int(one.get("limit") or 20), 1), 40)
        served = [(int(_snowflake(s["_at"] + shift, s["uri"])), s) for s in doc["statuses"] if s["_at"] + shift <= now]
        if one.get("max_id"):
            served = [(i, s) for i, s in served if i < int(one["max_id"])]
        if one.get("since_id"):
            served = [(i, s) for i, s in served if i > int(one["since_id"])]
        if one.get("min_id"):
            served = [(i, s) for i, s in served if i > int(one["min_id"])][-limit:]
        page = served[:limit]
        headers = {}
        if page:
            keep = {k: v for k, v in one.items() if k not in ("max_id", "since_id", "min_id")}
            base = f"http://{host}{path}?"
            headers["Link"] = (f'<{base}{urlencode({**keep, "max_id": page[-1][0]})}>; rel="next", '
                               f'<{base}{urlencode({**keep, "min_id": page[0][0]})}>; rel="prev"')
        account = self._account(doc, shift, now)
        return _json(200, [self._status(account, s, shift, now) for _, s in page], headers)

    # -- Bluesky --------------------------------------------------------------
    def _profile(self, doc: dict[str, Any], shift: timedelta, now: datetime) -> dict[str, Any]:
        recorded_now = now - shift
        followers = int(doc["profile"]["followersCount"] + doc["followers_per_day"]
                        * (recorded_now - _anchor(doc)).total_seconds() / 86400)
        return {**doc["profile"], "followersCount": followers}

    def _post(self, doc: dict[str, Any], p: dict[str, Any], shift: timedelta, now: datetime) -> dict[str, Any]:
        at = p["_at"] + shift
        share = engagement_share("bluesky", now - at)
        created = _parse(p["record"]["createdAt"]) + shift
        profile = doc["profile"]
        author = {k: profile[k] for k in ("did", "handle", "displayName", "avatar", "associated", "labels", "createdAt")}
        out = {k: v for k, v in p.items() if k != "_at"}
        out.update(author=author, record={**p["record"], "createdAt": _ms(created)}, indexedAt=_ms(at),
                   likeCount=_grown(p["likeCount"], share), repostCount=_grown(p["repostCount"], share),
                   replyCount=_grown(p["replyCount"], share))
        return out

    def _author_feed(self, doc: dict[str, Any], one: dict[str, str], shift: timedelta, now: datetime) -> Answer:
        limit = min(max(int(one.get("limit") or 50), 1), 100)
        served = [p for p in doc["feed"] if p["_at"] + shift <= now]
        cursor = one.get("cursor")
        if cursor:
            before = _parse(cursor)
            served = [p for p in served if p["_at"] + shift < before]
        page = served[:limit]
        items: list[dict[str, Any]] = [{"post": self._post(doc, p, shift, now)} for p in page]
        pinned = next((p for p in doc["feed"] if p["uri"] == doc.get("pinned")), None)
        if not cursor and pinned is not None and pinned["_at"] + shift <= now:
            items.insert(0, {"post": self._post(doc, pinned, shift, now),
                             "reason": {"$type": "app.bsky.feed.defs#reasonPin"}})
        out: dict[str, Any] = {"feed": items}
        if len(served) > limit:
            out["cursor"] = _ms(page[-1]["_at"] + shift)
        return _json(200, out)


def _anchor(doc: dict[str, Any]) -> datetime:
    """The recorded moment the recorded follower count belongs to."""
    return _parse(doc["followers_at"])


def _snowflake(at: datetime, uri: str) -> str:
    """A Mastodon id for a status created at ``at``: milliseconds << 16 plus a per-post sequence."""
    return str((int(at.timestamp() * 1000) << 16) + (zlib.crc32(uri.encode()) & 0xFFFF))
