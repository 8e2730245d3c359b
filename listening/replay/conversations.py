"""Conversations under the brands' recorded posts: customers' replies and the brands' answers, served in the
thread APIs' shapes (Mastodon ``/api/v1/statuses/:id/context``, Bluesky ``app.bsky.feed.getPostThread``).

Generated, not recorded: deterministic from each post's URI, in the post's language (ko/ja/en), with
questions, complaints, requests, praise and small talk. Each brand answers its way: Orbitly about half of
what needs an answer after 1–30 h, Vantro most of it within 1–6 h, Kestrel Home few and slowly. On top, one
Orbitly customer question every 4 hours that Orbitly answers only after 24.5–40 h: whenever the demo runs, one
item is due within the 4-hour reminder lead and the inbox holds items of every SLA state.
Replies appear as the replay clock reaches them, like everything else the replay serves.
"""

from __future__ import annotations

import html
import random
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from listening.replay.phrases_inbox import ANSWERS, INSTANCES, NAMES, REPLIES
from listening.replay.social import Answer, Social, _json, _ms, _snowflake

#: Per account: share of what needs an answer that gets one, and the answer's delay range in hours.
POLICY = {"orbitly": (0.5, 1.0, 30.0), "vantro": (0.85, 1.0, 6.0), "kestrelhome": (0.35, 8.0, 30.0)}
KINDS = (("question", 34), ("complaint", 24), ("request", 20), ("praise", 14), ("other", 8))
NEEDS_ANSWER = ("question", "complaint", "request")
STREAM_EVERY = timedelta(hours=4)
#: The stream's questions are answered late, between these many hours (always after the 24 h SLA).
STREAM_ANSWER = (24.5, 40.0)
STREAM_ACCOUNT = "orbitly"


@dataclass(frozen=True)
class Reply:
    """One generated reply (recorded time ``at``); ``parent`` is the URI it answers."""

    uri: str
    platform: str
    root: str
    parent: str
    user: str
    instance: str
    text: str
    lang: str
    at: datetime
    followers: int

    @property
    def acct(self) -> str:
        """The Mastodon ``acct`` as the brands' instance shows it (local accounts without ``@instance``)."""
        return self.user if self.instance in ("", "mastodon.social") else f"{self.user}@{self.instance}"


def _seed(*parts: object) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


class Conversations:
    """All generated replies, by root post, for the recorded Mastodon and Bluesky accounts."""

    def __init__(self, social: Social) -> None:
        self.social = social
        self.replies: dict[str, list[Reply]] = defaultdict(list)
        roots = []  # (account, platform, uri, recorded time, language)
        for acct, doc in social.mastodon.items():
            roots += [(acct, "mastodon", s["uri"], s["_at"], s.get("language") or "") for s in doc["statuses"]]
        for key, doc in social.bluesky.items():
            if key == doc["profile"]["handle"]:
                account = key.split(".")[0]
                roots += [(account, "bluesky", p["uri"], p["_at"], (p["record"].get("langs") or [""])[0]) for p in doc["feed"]]
        roots.sort(key=lambda r: (r[3], r[2]))
        for root in roots:
            self._customers(*root)
        self._stream([r for r in roots if r[0] == STREAM_ACCOUNT])

    # -- generation -----------------------------------------------------------------------------------
    def _reply(self, platform: str, root: str, parent: str, lang: str, kind: str, at: datetime, rnd: random.Random,
               brand: str | None = None) -> Reply:
        n = _seed(root, parent, at.isoformat(), kind)
        if brand is not None:
            user, instance, followers, text = brand, "mastodon.social", 0, rnd.choice(ANSWERS[lang])
        else:
            user = f"{rnd.choice(NAMES[lang])}{n % 97}"
            instance = rnd.choice(INSTANCES[lang])
            followers, text = int(10 ** rnd.uniform(1.0, 4.2)), rnd.choice(REPLIES[lang][kind])
        if platform == "mastodon":
            uri = f"https://{instance}/users/{user}/statuses/{n}"
        else:
            handle = self._bsky_handle(brand) if brand else f"{user}.bsky.social"
            uri = f"at://did:plc:{handle.split('.')[0]:0<24}/app.bsky.feed.post/3r{n:010d}"
            user, instance = handle, ""
        return Reply(uri, platform, root, parent, user, instance, text, lang, at, followers)

    def _bsky_handle(self, account: str) -> str:
        return f"{account}.bsky.social"

    def _answer(self, reply: Reply, account: str, delay: timedelta, rnd: random.Random) -> None:
        self.replies[reply.root].append(self._reply(reply.platform, reply.root, reply.uri, reply.lang, "answer",
                                                    reply.at + delay, rnd, brand=account))

    def _customers(self, account: str, platform: str, uri: str, at: datetime, lang: str) -> None:
        rnd = random.Random(_seed(uri))
        share, low, high = POLICY.get(account, (0.5, 1.0, 30.0))
        for _ in range(rnd.choice((0, 1, 1, 2, 2, 3))):
            kind = rnd.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
            language = lang if lang in REPLIES and rnd.random() < 0.8 else rnd.choice(sorted(REPLIES))
            reply = self._reply(platform, uri, uri, language, kind, at + timedelta(hours=rnd.uniform(0.3, 30.0)), rnd)
            self.replies[uri].append(reply)
            if kind in NEEDS_ANSWER and rnd.random() < share:
                self._answer(reply, account, timedelta(hours=rnd.uniform(low, high)), rnd)

    def _stream(self, roots: list[tuple[str, str, str, datetime, str]]) -> None:
        if not roots:
            return
        at, end, n = roots[0][3] + timedelta(hours=1), roots[-1][3] + timedelta(days=2), 0
        while at < end:
            before = [r for r in roots if r[3] <= at - timedelta(minutes=30)]
            account, platform, uri, _, lang = before[-1]
            rnd = random.Random(_seed("stream", uri, n))
            kind = NEEDS_ANSWER[n % 3]
            reply = self._reply(platform, uri, uri, lang if lang in REPLIES else "en", kind, at, rnd)
            self.replies[uri].append(reply)
            self._answer(reply, account, timedelta(hours=rnd.uniform(*STREAM_ANSWER)), rnd)
            at, n = at + STREAM_EVERY, n + 1

    # -- serving --------------------------------------------------------------------------------------
    def handles(self, path: str) -> bool:
        return path == "/xrpc/app.bsky.feed.getPostThread" or (path.startswith("/api/v1/statuses/") and path.endswith("/context"))

    def get(self, path: str, query: str, shift: timedelta, now: datetime) -> Answer:
        if path.endswith("/context"):
            return self._context(path.split("/")[4], shift, now)
        uri = (parse_qs(query).get("uri") or [""])[-1]
        found = self.social.posts.get(uri)
        if found is None or found[1]["_at"] + shift > now:
            return _json(400, {"error": "NotFound", "message": f"Post not found: {uri}"})
        doc, post = found
        thread = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.social._post(doc, post, shift, now),
                  "replies": self._bsky_children(uri, uri, shift, now)}
        return _json(200, {"thread": thread})

    def _served(self, root: str, shift: timedelta, now: datetime) -> list[Reply]:
        return sorted((r for r in self.replies.get(root, []) if r.at + shift <= now), key=lambda r: r.at)

    def _context(self, status_id: str, shift: timedelta, now: datetime) -> Answer:
        for doc in self.social.mastodon.values():
            for s in doc["statuses"]:
                if s["_at"] + shift <= now and _snowflake(s["_at"] + shift, s["uri"]) == status_id:
                    ids = {s["uri"]: status_id}
                    out = []
                    for r in self._served(s["uri"], shift, now):
                        ids[r.uri] = _snowflake(r.at + shift, r.uri)
                        out.append(self._status(r, ids[r.uri], ids.get(r.parent), shift))
                    return _json(200, {"ancestors": [], "descendants": out})
        return _json(404, {"error": "Record not found"})

    def _status(self, r: Reply, sid: str, parent: str | None, shift: timedelta) -> dict[str, Any]:
        home = r.instance or "mastodon.social"
        return {"id": sid, "created_at": _ms(r.at + shift), "in_reply_to_id": parent, "in_reply_to_account_id": None,
                "sensitive": False, "spoiler_text": "", "visibility": "public", "language": r.lang, "uri": r.uri,
                "url": f"https://{home}/@{r.user}/{r.uri.rsplit('/', 1)[-1]}", "replies_count": 0, "reblogs_count": 0,
                "favourites_count": 0, "content": f"<p>{html.escape(r.text)}</p>",
                "account": {"id": str(_seed(r.user, home)), "username": r.user, "acct": r.acct, "display_name": r.user,
                            "url": f"https://{home}/@{r.user}", "followers_count": r.followers}}

    def _bsky_children(self, root: str, parent: str, shift: timedelta, now: datetime) -> list[dict[str, Any]]:
        out = []
        for r in self._served(root, shift, now):
            if r.parent != parent:
                continue
            at = _ms(r.at + shift)
            post = {"uri": r.uri, "cid": f"bafyrei{_seed(r.uri):010d}",
                    "author": {"did": r.uri.split("/")[2], "handle": r.user, "displayName": r.user.split(".")[0]},
                    "record": {"$type": "app.bsky.feed.post", "text": r.text, "langs": [r.lang], "createdAt": at,
                               "reply": {"root": {"uri": root}, "parent": {"uri": parent}}},
                    "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0, "indexedAt": at, "labels": []}
            out.append({"$type": "app.bsky.feed.defs#threadViewPost", "post": post,
                        "replies": self._bsky_children(root, r.uri, shift, now)})
        return out
