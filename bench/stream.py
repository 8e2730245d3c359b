"""Synthetic mention streams in the real public payload shapes, for the pipeline benchmark.

Why payloads and not Mention objects: parsing (feedparser on RSS XML, JSON on
API pages) is a real cost of ingest, so the bench feeds the library's own
connectors' mapping functions the bytes a source would send.

The stream: five brands, four sources (Google News RSS, Hacker News Algolia,
Bluesky searchPosts, Mastodon hashtag timeline), English/Korean/Japanese/Spanish
text, a daily and weekly rhythm, a few negative bursts (crises), re-fetched items,
wire copies of news stories and tracking parameters on URLs, so the de-duplicator
has real work. Everything is deterministic for a seed.
"""

import json
import math
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from bench_scoring import TAILS, TEMPLATES
from listening.config import ListeningConfig
from listening.mention import Mention
from listening.sources.base import Cursor, FetchResult, Skipped
from listening.sources.bluesky import post_to_mention
from listening.sources.hackernews import hit_to_mention
from listening.sources.items import guarded
from listening.sources.mastodon import status_to_mention
from listening.sources.plan import SourceTask
from listening.sources.rss import fetch_feed, google_news_entry

# A Monday: the 28-day stream ends here, so its last 7 days are the last complete ISO week.
END = datetime(2026, 11, 23, tzinfo=timezone.utc)
DAYS = 28
BRANDS = [  # key, display name, Korean and Japanese aliases
    ("orbitly", "Orbitly", "오르비틀리", "オービットリー"),
    ("vantro", "Vantro", "반트로", "ヴァントロ"),
    ("kestrel", "Kestrel Home", "케스트럴", "ケストレル"),
    ("nimbus", "Nimbus", "님버스", "ニンバス"),
    ("quasar", "Quasar", "퀘이사", "クエーサー"),
]
BRAND_WEIGHTS = [0.3, 0.25, 0.2, 0.15, 0.1]
LANGS = ["en", "ko", "ja", "es"]
LANG_WEIGHTS = [0.5, 0.25, 0.15, 0.1]
SOURCES = ["google_news", "hackernews", "bluesky", "mastodon"]
SOURCE_WEIGHTS = [0.35, 0.15, 0.3, 0.2]
PAGE = {"google_news": 100, "hackernews": 100, "bluesky": 100, "mastodon": 40}
PAGES_PER_TASK = 10
CRISIS = {  # texts the fake scorer (and a reader) takes as negative
    "en": ["{b} outage: the app has been down for hours", "{b} login broken after update, outage again"],
    "ko": ["{b} 서비스 먹통, 로그인 안 돼요", "{b} 장애 벌써 세 시간째"],
    "ja": ["{b}で大規模障害、ログインできない", "{b}の障害がまだ続いている"],
    "es": ["Caída de {b}: la app no funciona", "{b} lleva horas caído, qué desastre"],
}
CRISIS_MARKERS = ("outage", "먹통", "장애", "障害", "Caída", "caído")
WORDS = {
    "en": ["battery", "screen", "price", "update", "support", "shipping", "camera", "speaker", "review", "deal"],
    "ko": ["배터리", "화면", "가격", "업데이트", "고객센터", "배송", "카메라", "스피커", "후기", "할인"],
    "ja": ["バッテリー", "画面", "価格", "アップデート", "サポート", "配送", "カメラ", "スピーカー", "レビュー", "セール"],
    "es": ["batería", "pantalla", "precio", "actualización", "soporte", "envío", "cámara", "altavoz", "reseña", "oferta"],
}
PUBLISHERS = ["The Verge", "조선일보", "日経新聞", "El País", "TechCrunch", "ZDNet Korea", "ITmedia", "Reuters"]


def bench_config() -> ListeningConfig:
    """The five brands with their CJK aliases (matching must find them in every language)."""
    return ListeningConfig.model_validate({"brands": [
        {"key": k, "name": n, "own": i == 0, "aliases": [n, ko, ja]} for i, (k, n, ko, ja) in enumerate(BRANDS)
    ]})


@dataclass
class Stream:
    """A generated stream: payload pages grouped into source tasks, plus what the generator knows."""

    n: int
    tasks: list[SourceTask]
    pages: int
    bursts: list[tuple[str, datetime]] = field(default_factory=list)


def _arrivals(rng: np.random.Generator, n: int, start: datetime, days: float, bursts: int) -> tuple[np.ndarray, list[int]]:
    """Minute offsets with a daily and weekly rhythm and a few 3-hour bursts at 8x the normal rate."""
    minutes = int(days * 1440)
    t = np.arange(minutes)
    hour = (t // 60 + start.hour) % 24
    dow = ((t // 1440) + start.weekday()) % 7
    rate = (1 + 0.7 * np.sin((hour - 8) / 24 * 2 * math.pi)) * np.where(dow >= 5, 0.6, 1.0)
    burst_starts = sorted(int(x) for x in rng.integers(1440 * 2, max(minutes - 240, 1440 * 2 + 1), bursts)) if bursts else []
    for b in burst_starts:
        rate[b : b + 180] *= 8
    offsets = np.sort(rng.choice(minutes, size=n, p=rate / rate.sum())) * 60 + rng.integers(0, 60, n)
    return offsets, burst_starts


def _text(rnd: random.Random, lang: str, name: str, negative_burst: bool, k: int) -> str:
    base = rnd.choice(CRISIS[lang] if negative_burst else TEMPLATES[lang]).format(b=name)
    extra = " ".join(rnd.choices(WORDS[lang], k=3))
    return f"{base} {extra}{rnd.choice(TAILS)} #{k % 9973}"


def _snippet(item: dict[str, Any]) -> str:
    """Google News puts an HTML link plus a snippet into <description>."""
    return f'<a href="{item["url"]}">{item["title"]}</a>&nbsp;{item["text"]}'


def _rss(items: list[dict[str, Any]], lang: str) -> bytes:
    body = "".join(
        f"<item><title>{escape(i['title'])} - {escape(i['publisher'])}</title><link>{escape(i['url'])}</link>"
        f"<guid isPermaLink=\"false\">{i['guid']}</guid><pubDate>{format_datetime(i['at'])}</pubDate>"
        f"<description>{escape(_snippet(i))}</description>"
        f"<source url=\"https://publisher.example\">{escape(i['publisher'])}</source></item>"
        for i in items
    )
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Google News</title>"
            f"<language>{lang}</language><link>https://news.google.com</link>{body}</channel></rss>").encode()


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _hn(items: list[dict[str, Any]]) -> bytes:
    hits = []
    for i in items:
        hit = {"objectID": i["guid"], "created_at": _iso(i["at"]), "created_at_i": int(i["at"].timestamp()),
               "author": i["author"], "points": i["likes"], "num_comments": i["replies"], "_tags": ["story"],
               "title": i["title"], "url": i["url"], "story_text": i["text"],
               "_highlightResult": {"title": {"value": i["title"], "matchLevel": "full"}}}
        if i["comment"]:
            hit.update(_tags=["comment"], comment_text=f"<p>{escape(i['text'])}</p>", story_title=i["title"], title=None, url=None)
        hits.append(hit)
    return json.dumps({"hits": hits, "nbHits": len(hits), "page": 0, "hitsPerPage": len(hits)}, ensure_ascii=False).encode()


def _bsky(items: list[dict[str, Any]]) -> bytes:
    posts = [{"uri": f"at://did:plc:{i['author']}/app.bsky.feed.post/{i['guid']}", "cid": f"bafy{i['guid']}",
              "author": {"did": f"did:plc:{i['author']}", "handle": f"{i['author']}.bsky.social", "displayName": i["author"]},
              "record": {"$type": "app.bsky.feed.post", "text": i["text"], "langs": [i["lang"]], "createdAt": _iso(i["at"])},
              "indexedAt": _iso(i["at"]), "likeCount": i["likes"], "repostCount": i["reposts"], "replyCount": i["replies"]}
             for i in items]
    return json.dumps({"posts": posts, "cursor": "next"}, ensure_ascii=False).encode()


def _mastodon(items: list[dict[str, Any]]) -> bytes:
    statuses = [{"id": i["guid"], "uri": f"https://social.example/users/{i['author']}/statuses/{i['guid']}",
                 "url": f"https://social.example/@{i['author']}/{i['guid']}", "created_at": _iso(i["at"]),
                 "language": i["lang"], "content": f"<p>{escape(i['text'])}</p>", "spoiler_text": "",
                 "favourites_count": i["likes"], "reblogs_count": i["reposts"], "replies_count": i["replies"],
                 "account": {"acct": i["author"], "followers_count": i["followers"]}} for i in items]
    return json.dumps(statuses, ensure_ascii=False).encode()


ENCODERS = {"hackernews": _hn, "bluesky": _bsky, "mastodon": _mastodon}  # Google News is RSS XML: _rss


MAPPERS = {"hackernews": (hit_to_mention, "hits"), "bluesky": (post_to_mention, "posts"),
           "mastodon": (status_to_mention, "")}


class _StubClient:
    """Hands ``fetch_feed`` one recorded payload, as the HTTP client would."""

    def __init__(self, payload: bytes, url: str) -> None:
        self.response = SimpleNamespace(not_modified=False, etag=None, last_modified=None, url=url, content=payload,
                                        content_type="application/rss+xml; charset=UTF-8", attempts=1)

    def get(self, url: str, **_: Any) -> SimpleNamespace:
        return self.response


@dataclass
class PayloadConnector:
    """One source query's fetch replayed from payload pages through the library's own mapping functions."""

    source: str
    key: str
    pages: list[tuple[bytes, str]]  # (payload, language of the query)

    def fetch(self, client: Any, cursor: Cursor | None = None, *, now: datetime | None = None) -> FetchResult:
        now = now or END
        found: list[Mention] = []
        skipped: list[Skipped] = []
        for payload, lang in self.pages:
            if self.source == "google_news":
                result = fetch_feed(_StubClient(payload, f"https://news.google.com/rss/search?q={self.key}"), "https://news.google.com/rss",
                                    source="google_news", query=self.key, lang=lang, mapper=google_news_entry, now=now)
                found += result.mentions
                skipped += result.skipped
                continue
            data = json.loads(payload)
            mapper, listed = MAPPERS[self.source]
            items = data.get(listed, []) if listed else data
            for index, item in enumerate(items):
                mention = guarded(f"{self.key} item {index}", skipped, mapper, item, query=self.key, fetched_at=now)
                if mention is not None:
                    found.append(mention)
        return FetchResult(found, (cursor or Cursor()).advanced([m.published_at for m in found]), skipped)


def generate(n: int, seed: int = 0, *, start: datetime | None = None, days: float = DAYS, bursts: int | None = None,
             key_prefix: str = "") -> Stream:
    """``n`` mentions over ``days`` days ending at ``start + days``, as payload pages grouped into tasks."""
    rng, rnd = np.random.default_rng(seed), random.Random(seed)
    start = start or END - timedelta(days=days)
    bursts = max(2, round(days / 5)) if bursts is None else bursts
    offsets, burst_starts = _arrivals(rng, n, start, days, bursts)
    burst_brand = {b: int(rng.choice(len(BRANDS), p=BRAND_WEIGHTS)) for b in burst_starts}
    brand = rng.choice(len(BRANDS), n, p=BRAND_WEIGHTS)
    lang = rng.choice(len(LANGS), n, p=LANG_WEIGHTS)
    source = rng.choice(len(SOURCES), n, p=SOURCE_WEIGHTS)
    likes = rng.zipf(1.8, n).clip(0, 50_000)
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    minute, seconds = (offsets // 60).tolist(), offsets.tolist()
    brand, lang, source, likes = brand.tolist(), lang.tolist(), source.tolist(), likes.tolist()
    for k in range(n):
        b, lg, src = int(brand[k]), LANGS[int(lang[k])], SOURCES[int(source[k])]
        negative_burst = False
        for bs in burst_starts:
            if bs <= minute[k] < bs + 180:
                b = burst_brand[bs] if rnd.random() < 0.8 else b
                negative_burst = b == burst_brand[bs] and rnd.random() < 0.7
                break
        key, name, ko, ja = BRANDS[b]
        shown = {"ko": ko, "ja": ja}.get(lg, name) if rnd.random() < 0.5 else name
        text = _text(rnd, lg, shown, negative_burst, k)
        at = start + timedelta(seconds=seconds[k])
        guid = f"{key_prefix}{seed}x{k}"
        item = {"guid": guid, "at": at, "lang": lg, "text": text, "title": text.split(" #")[0][:90],
                "publisher": PUBLISHERS[k % len(PUBLISHERS)], "author": f"user{int(likes[k] * 7 + k) % 20011}",
                "url": f"https://news{k % 50}.example/{lg}/{guid}?utm_source=gn&id={k}",
                "likes": int(likes[k]), "reposts": int(likes[k] // 3), "replies": int(likes[k] // 5),
                "followers": int(likes[k] * 40), "comment": k % 3 == 0}
        groups.setdefault((src, b, lg), []).append(item)
        if src == "google_news" and k % 33 == 0:  # a wire copy: same headline, another site
            groups[(src, b, lg)].append({**item, "guid": guid + "w", "url": f"https://wire{k % 7}.example/{guid}",
                                         "publisher": "Wire"})
    tasks, pages = [], 0
    for (src, b, lg), items in sorted(groups.items()):
        size = PAGE[src]
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        for c in range(1, len(chunks)):  # feeds and searches overlap: a few items come again on the next page
            chunks[c] = chunks[c] + chunks[c - 1][-max(1, size // 25):]
        encoded = [(_rss(c, lg) if src == "google_news" else ENCODERS[src](c), lg) for c in chunks]
        pages += len(encoded)
        for t in range(0, len(encoded), PAGES_PER_TASK):
            connector = PayloadConnector(src, f"{key_prefix}{BRANDS[b][0]}:{lg}:{t // PAGES_PER_TASK}", encoded[t : t + PAGES_PER_TASK])
            tasks.append(SourceTask(connector=connector, brand=BRANDS[b][0], own_channel=False))
    bursts_at = [(BRANDS[burst_brand[bs]][0], start + timedelta(minutes=bs)) for bs in burst_starts]
    return Stream(n, tasks, pages, bursts_at)


@dataclass(frozen=True)
class FakeScore:
    sentiment: str
    p_negative: float
    p_neutral: float
    p_positive: float
    topic: str
    embedding: Any = None
    intents: str = "other"


class FakeScorer:
    """Stands in for the model so the scoring stage's own costs (query, writes) are measured over every mention.

    Crisis texts are negative, the rest are spread 25/45/30 by a stable hash, so
    detection and the digest see realistic sentiment. Model time is measured
    separately on a sample and extrapolated.
    """

    model_id = "bench-model"

    def score(self, texts: Sequence[str]) -> list[FakeScore]:
        out = []
        for text in texts:
            h = zlib.crc32(text.encode()) % 100
            neg = any(m in text for m in CRISIS_MARKERS) or h < 25
            sentiment = "negative" if neg else "neutral" if h < 70 else "positive"
            p = {"negative": (0.8, 0.1, 0.1), "neutral": (0.1, 0.8, 0.1), "positive": (0.1, 0.1, 0.8)}[sentiment]
            topic = "outage/bugs" if neg else ["pricing", "customer support", "delivery", "product launch", "other"][h % 5]
            out.append(FakeScore(sentiment, *p, topic, intents="complaint" if neg else "other"))
        return out
