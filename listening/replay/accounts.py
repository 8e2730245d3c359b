"""The recorded brand accounts on Mastodon and Bluesky, with two reach changes built in.

Each brand has one account per platform. A post's recorded counts are its
counts at 7 days (the server grows them with age, see ``listening.replay.social``):
followers x the account's engagement rate x per-post log-normal noise, times
the reach changes below. Followers grow linearly from their count at
``followers_at``; a few Bluesky posts carry a client-set ``createdAt`` far from
their ``indexedAt``; some Mastodon posts have a null ``language``. Files hold the
API objects themselves (Mastodon ``Account``/``Status``, Bluesky
``profileViewDetailed``/``postView``), each post without its account, which the
server adds.
"""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path
from typing import Any

from listening.replay import corpus as C

__all__ = ["ACCOUNTS", "INSTANCE", "REACH_CHANGES", "AccountSpec", "ReachEvent", "reach_labels", "write_accounts"]

INSTANCE = "mastodon.social"
SIGMA = 0.25
TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class AccountSpec:
    """One recorded account: followers at the anchor and per day, engagement per follower at 7 days."""

    platform: str
    brand: str
    handle: str
    followers: int
    growth: float
    rate: float
    per_day: float

    @property
    def label(self) -> str:
        """The account as the pipeline names it (``listening.config.Account.label``)."""
        return f"{self.handle}@{INSTANCE}" if self.platform == "mastodon" else self.handle


@dataclass(frozen=True)
class ReachEvent:
    """A labelled reach change: every account of ``platform`` or one account, from ``start`` on."""

    kind: str
    platform: str
    brands: tuple[str, ...]
    start: datetime
    factor: float
    summary: str


ACCOUNTS = (
    AccountSpec("mastodon", "orbitly", "orbitly", 18_400, 14.0, 0.011, 3.0),
    AccountSpec("mastodon", "vantro", "vantro", 26_900, 20.0, 0.008, 2.6),
    AccountSpec("mastodon", "kestrel", "kestrelhome", 9_800, 6.0, 0.016, 2.4),
    AccountSpec("bluesky", "orbitly", "orbitly.bsky.social", 31_200, 30.0, 0.014, 3.2),
    AccountSpec("bluesky", "vantro", "vantro.bsky.social", 44_500, 45.0, 0.009, 3.0),
    AccountSpec("bluesky", "kestrel", "kestrelhome.bsky.social", 12_700, 10.0, 0.02, 2.5),
)

REACH_CHANGES = (
    ReachEvent("platform", "mastodon", C.BRANDS, datetime(2026, 1, 19, 14, tzinfo=timezone.utc), 0.62,
               "Mastodon-wide drop: every tracked account's engagement per follower falls about 38 % at once "
               "(an algorithm change, not anyone's content)"),
    ReachEvent("account", "bluesky", ("orbitly",), datetime(2026, 1, 16, 15, tzinfo=timezone.utc), 0.55,
               "Orbitly's own Bluesky drop of about 45 % (link-only posts); competitors on Bluesky unchanged"),
)

POSTS = {
    "en": [
        "Tip: {f} now works with {p}. Update the app to try it.",
        "Weekend project: set up {f} on {p} in five minutes.",
        "App {v} is rolling out: faster pairing and a better {f}.",
        "How do you use {f}? Tell us what to build next.",
        "Behind the scenes: how our team tests {f} before every release.",
        "{n} ideas for {f} on {p}, from our community.",
        "Reminder: {p} gets {f} improvements in this week's update.",
        "New guide: getting started with {f}.",
    ],
    "ko": [
        "{p}에서 {f} 기능을 사용해 보세요.",
        "앱 {v} 업데이트: {f} 기능을 개선했습니다.",
        "{f} 기능, 이렇게 써 보세요. 팁 {n}가지를 정리했습니다.",
        "여러분은 {f} 기능을 어떻게 쓰시나요?",
    ],
    "ja": [
        "{p}で{f}が使えるようになりました。",
        "アプリ{v}を配信中：{f}を改善しました。",
        "{f}の便利な使い方をご紹介します。",
        "みなさんは{f}をどう使っていますか？",
    ],
}
LANGS = ("en", "en", "en", "ko", "ja")


def _factor(spec: AccountSpec, at: datetime) -> float:
    out = 1.0
    for ev in REACH_CHANGES:
        if ev.platform == spec.platform and spec.brand in ev.brands and at >= ev.start:
            out *= ev.factor
    return out


def _followers(spec: AccountSpec, at: datetime) -> int:
    return int(spec.followers + spec.growth * (at - C.ANCHOR).total_seconds() / 86400)


def tid(at: datetime, clock_id: int) -> str:
    """An atproto record key (TID): microseconds since 1970 and a clock id, base32-sortable.

    >>> len(tid(datetime(2026, 1, 1, tzinfo=timezone.utc), 7))
    13
    """
    value = (int(at.timestamp() * 1_000_000) << 10) | (clock_id & 0x3FF)
    return "".join(TID_CHARS[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _ms(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _posts(rng: random.Random, w: C.Writer, spec: AccountSpec) -> list[dict[str, Any]]:
    """Time, language, text and 7-day counts of every post the account makes in the recorded span."""
    out = []
    for at in sorted(C.daily_times(rng, spec.per_day, "en")):
        at = at.replace(microsecond=rng.randrange(1000) * 1000)
        lang = rng.choice(LANGS)
        text = w.fill(lang, rng.choice(POSTS[lang]), spec.brand)
        total = _followers(spec, at) * spec.rate * rng.lognormvariate(0, SIGMA) * _factor(spec, at)
        reposts, replies = rng.uniform(0.12, 0.26), rng.uniform(0.05, 0.14)
        out.append({"at": at, "lang": lang, "text": text, "likes": round(total * (1 - reposts - replies)),
                    "reposts": round(total * reposts), "replies": round(total * replies)})
    return out


def _mastodon(rng: random.Random, w: C.Writer, spec: AccountSpec) -> dict[str, Any]:
    base = f"https://{INSTANCE}"
    account_id = str(109_000_000_000_000_000 + zlib.crc32(spec.handle.encode()) * 1000)
    name = C.BRAND_NAMES[spec.brand]
    account = {
        "id": account_id, "username": spec.handle, "acct": spec.handle, "display_name": name, "locked": False,
        "bot": False, "discoverable": True, "group": False, "created_at": "2022-11-08T00:00:00.000Z",
        "note": f"<p>The official {escape(name)} account. Smart home, made simple.</p>",
        "url": f"{base}/@{spec.handle}", "uri": f"{base}/users/{spec.handle}",
        "avatar": f"https://files.{INSTANCE}/accounts/avatars/{account_id}/original/avatar.png",
        "followers_count": spec.followers, "following_count": 140, "statuses_count": 1800,
        "last_status_at": None, "emojis": [], "fields": [],
    }
    statuses = []
    for post in _posts(rng, w, spec):
        sid = str((int(post["at"].timestamp() * 1000) << 16) + rng.randrange(1 << 16))
        tag = spec.brand
        content = (f"<p>{escape(post['text'])} <a href=\"{base}/tags/{tag}\" class=\"mention hashtag\" "
                   f"rel=\"tag\">#<span>{tag}</span></a></p>")
        statuses.append({
            "id": sid, "created_at": _ms(post["at"]), "in_reply_to_id": None, "in_reply_to_account_id": None,
            "sensitive": False, "spoiler_text": "", "visibility": "public",
            "language": None if rng.random() < 0.1 else post["lang"],
            "uri": f"{base}/users/{spec.handle}/statuses/{sid}", "url": f"{base}/@{spec.handle}/{sid}",
            "replies_count": post["replies"], "reblogs_count": post["reposts"], "favourites_count": post["likes"],
            "quotes_count": 0, "edited_at": None, "content": content, "reblog": None, "media_attachments": [],
            "mentions": [], "tags": [{"name": tag, "url": f"{base}/tags/{tag}"}], "emojis": [], "card": None,
            "poll": None,
        })
    statuses.sort(key=lambda s: s["created_at"], reverse=True)
    return {"account": account, "followers_at": _ms(C.ANCHOR), "followers_per_day": spec.growth, "statuses": statuses}


def _bluesky(rng: random.Random, w: C.Writer, spec: AccountSpec) -> dict[str, Any]:
    did = "did:plc:" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(24))
    name = C.BRAND_NAMES[spec.brand]
    avatar = f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkrei{zlib.crc32(did.encode()):08x}@jpeg"
    profile = {
        "did": did, "handle": spec.handle, "displayName": name, "avatar": avatar,
        "description": f"The official {name} account. Smart home, made simple.",
        "followersCount": spec.followers, "followsCount": 85, "postsCount": 2100,
        "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
        "indexedAt": "2024-02-06T09:00:00.000Z", "createdAt": "2023-05-02T10:00:00.000Z", "labels": [],
    }
    feed = []
    for post in _posts(rng, w, spec):
        created = post["at"] - timedelta(seconds=rng.uniform(0.2, 3.0))
        if rng.random() < 0.04:  # a device with a wrong clock: createdAt is client-set
            created -= timedelta(days=rng.choice([-400, 3, 30, 365]))
        cid = "bafyrei" + "".join(rng.choice(TID_CHARS) for _ in range(52))
        feed.append({
            "uri": f"at://{did}/app.bsky.feed.post/{tid(post['at'], rng.randrange(1024))}", "cid": cid,
            "record": {"$type": "app.bsky.feed.post", "createdAt": _ms(created), "langs": [post["lang"]],
                       "text": post["text"]},
            "replyCount": post["replies"], "repostCount": post["reposts"], "likeCount": post["likes"],
            "quoteCount": 0, "indexedAt": _ms(post["at"]), "labels": [],
        })
    feed.sort(key=lambda p: p["indexedAt"], reverse=True)
    pinned = feed[len(feed) // 2]["uri"]
    return {"profile": profile, "followers_at": _ms(C.ANCHOR), "followers_per_day": spec.growth, "pinned": pinned,
            "feed": feed}


def write_accounts(out: Path, seed: int = C.SEED + 5) -> dict[str, int]:
    """Write ``mastodon/<handle>.json`` and ``bluesky/<handle>.json``; returns post counts per account.

    Uses its own seeded generator, so adding accounts leaves every other recorded file unchanged.
    """
    rng = random.Random(seed)
    w = C.Writer(rng)
    counts = {}
    for spec in ACCOUNTS:
        doc = _mastodon(rng, w, spec) if spec.platform == "mastodon" else _bluesky(rng, w, spec)
        path = out / spec.platform / f"{spec.handle}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
        counts[spec.label] = len(doc.get("statuses") or doc.get("feed") or [])
    return counts


def reach_labels() -> list[dict[str, Any]]:
    """The reach changes as ``labels.json`` records them, relative to the anchor."""
    return [{
        "kind": ev.kind, "platform": ev.platform,
        "accounts": [a.label for a in ACCOUNTS if a.platform == ev.platform and a.brand in ev.brands],
        "brands": list(ev.brands), "start_offset_s": int((ev.start - C.ANCHOR).total_seconds()),
        "start": ev.start.strftime("%Y-%m-%dT%H:%M:%SZ"), "magnitude": round(ev.factor - 1, 3),
        "direction": "down" if ev.factor < 1 else "up", "summary": ev.summary,
    } for ev in REACH_CHANGES]
