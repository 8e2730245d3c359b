"""A small synthetic store with known counts, shared by the digest tests."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from listening.config import ListeningConfig
from listening.store import Store, alerts, mentions, scores

MODEL = "test-model"
W46 = datetime(2026, 11, 9, tzinfo=timezone.utc)  # Monday of ISO week 2026-W46
HOSTILE_TEXT = ("<script>alert(1)</script> [click](javascript:alert(1)) <!channel> *bold* _it_ `code` "
                "<https://evil.example|login> \u202eexe.txt | # heading ![img](http://evil.example/x.png) ")


def config(lang: str = "en", tz: str = "UTC") -> ListeningConfig:
    return ListeningConfig.model_validate({
        "project": {"name": "acme-listening", "digest_language": lang, "timezone": tz},
        "brands": [{"key": "acme", "name": "Acme", "own": True}, {"key": "rival", "name": "Rival"},
                   {"key": "other", "name": "Other Co"}],
    })


def topic_embedding(topic: str, n: int) -> bytes:
    """A unit vector near one direction per topic (fp16 like the scorer's), so the theme clusters are known."""
    base = np.random.default_rng(int(hashlib.sha1(topic.encode()).hexdigest()[:8], 16)).normal(size=384)
    v = base / np.linalg.norm(base) + np.random.default_rng(n).normal(0.0, 0.01, 384)
    return (v / np.linalg.norm(v)).astype(np.float16).tobytes()


class Builder:
    """Collects mention + score rows and writes them in one transaction."""

    def __init__(self, prefix: str = "m") -> None:
        self.prefix = prefix
        self.mentions: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []

    def add(self, brand: str, when: datetime, sentiment: str = "neutral", *, topic: str = "pricing", text: str = "",
            title: str = "", lang: str = "en", is_own: bool = False, views: int | None = None, followers: int | None = None,
            likes: int | None = None, url: str = "", scored: bool = True, cluster: str = "", source: str = "rss") -> str:
        """One mention (and its score unless ``scored`` is false); its embedding lies near ``cluster``'s
        direction, by default its topic's."""
        n = len(self.mentions)
        mid = hashlib.sha1(f"{self.prefix}{n}".encode()).hexdigest()[:32]
        text = text or f"{brand} post number {n} about {topic}"
        h = hashlib.sha1(f"{self.prefix}{n}:{text}".encode()).hexdigest()[:32]
        self.mentions.append({
            "id": mid, "source": source, "native_id": f"{self.prefix}{n}", "url": url or f"https://news.example/{self.prefix}{n}",
            "canonical_url": f"https://news.example/{self.prefix}{n}", "title_key": h, "text_hash": h, "title": title, "text": text,
            "lang": lang, "published_at": when, "fetched_at": when, "author": f"author{n % 7}",
            "author_followers": followers, "brand": brand, "brands": brand, "query": brand, "is_own": is_own,
            "likes": likes, "reposts": None, "replies": None, "views": views, "score": None, "raw": "{}",
        })
        if scored:
            p = {"negative": (0.8, 0.1, 0.1), "neutral": (0.1, 0.8, 0.1), "positive": (0.1, 0.1, 0.8)}[sentiment]
            self.scores.append({"text_hash": h, "model_id": MODEL, "sentiment": sentiment, "p_negative": p[0],
                                "p_neutral": p[1], "p_positive": p[2], "topic": topic, "embedding": topic_embedding(cluster or topic, n), "scored_at": when})
        return mid

    def write(self, store: Store) -> None:
        with store.transaction() as conn:
            store.upsert(conn, mentions, self.mentions)
            store.upsert(conn, scores, self.scores)


def populate(store: Store) -> Builder:
    """Known figures for 2026-W46 (UTC, Monday weeks):

    acme 10 (6 pos, 2 neg, 2 neu) vs 10 in W45; rival 20 (13 pos, 2 neg, 5 neu) vs 10; other 5 vs 5.
    rival: 2 own posts (a launch, a press release) and 10 positive mentions on Wednesday (a campaign).
    Ignored: one W47 mention, one unscored mention, one mention of an unconfigured brand.
    """
    b = Builder()
    for week, counts in ((W46, {"acme": (6, 2, 2), "rival": (4, 2, 4), "other": (1, 1, 3)}),
                         (W46 - timedelta(weeks=1), {"acme": (3, 3, 4), "rival": (3, 3, 4), "other": (1, 1, 3)})):
        for brand, (pos, neg, neu) in counts.items():
            sentiments = ["positive"] * pos + ["negative"] * neg + ["neutral"] * neu
            for i, s in enumerate(sentiments):
                topic = "pricing" if i % 2 else "delivery"
                b.add(brand, week + timedelta(hours=3 + 13 * i), s, topic=topic, views=100 * (i + 1),
                      text=f"{brand} {topic} shipping refund story {i}")
    wednesday = W46 + timedelta(days=2, hours=10)
    for i in range(8):
        b.add("rival", wednesday + timedelta(minutes=i), "positive", topic="campaign", followers=5000 + i,
              text=f"rival giveaway campaign event fun {i}")
    b.add("rival", W46 + timedelta(days=1), "positive", topic="product launch", is_own=True, views=90_000,
          title="Rival launches the Orbit 2", text="Today we announce Orbit 2.")
    b.add("rival", W46 + timedelta(days=3), "neutral", topic="other", is_own=True, title="Press release: Q3 results",
          text="Read the press release.")
    for weeks_back in range(2, 8):
        b.add("rival", W46 - timedelta(weeks=weeks_back), "positive", topic="pricing")
    b.add("acme", W46 + timedelta(weeks=1), "negative")
    b.add("acme", W46 + timedelta(days=1), "negative", scored=False)
    b.add("ghost", W46 + timedelta(days=1), "negative")
    b.write(store)
    add_alert(store)
    return b


def add_alert(store: Store, brand: str = "acme") -> None:
    explanation = {
        "brand": brand, "ratio": 4.5, "baseline": 2.0, "current": 9.0, "share_now": 0.6, "share_baseline": 0.2,
        "since": (W46 + timedelta(days=4)).isoformat(), "terms": [["refund", 6], ["outage", 4]],
        "posts": [{"url": "https://social.example/p/1", "text": "Acme refunds are broken", "source": "rss", "lang": "en", "reach": 900}],
    }
    row = {"key": f"{brand}:2026-11-13T10:00:00+00:00", "brand": brand, "state": "resolved", "severity": "high",
           "opened_at": W46 + timedelta(days=4, hours=10), "updated_at": W46 + timedelta(days=4, hours=12),
           "resolved_at": W46 + timedelta(days=4, hours=14), "window_start": W46 + timedelta(days=4, hours=10),
           "window_end": W46 + timedelta(days=4, hours=14), "payload": json.dumps({"revision": 1, "explanation": explanation}),
           "slack_ts": None, "slack_channel": None, "delivered_state": "resolved"}
    with store.transaction() as conn:
        store.upsert(conn, alerts, [row])


def open_store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'digest.db'}")
