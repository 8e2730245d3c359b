"""The recorded data tells the intended story: brand queries find every brand item
and none of the bait, volumes follow a daily rhythm, and generation is reproducible."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from listening.replay import DATA_DIR, DEMO_CONFIG
from listening.replay import payloads as P
from listening.replay.generate import generate

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
TOKEN = re.compile(r'\s*(\(|\)|"[^"]*"|[^\s()"]+)')


def compile_query(query: str):
    """Minimal reading of the config's query language: OR, AND (implicit), NOT, (), "phrases".

    Latin terms match on word boundaries, CJK terms as substrings, both case-insensitive.
    """
    tokens = TOKEN.findall(query)
    pos = 0

    def term(t: str):
        t = t.strip('"').lower()
        if CJK.search(t):
            return lambda text: t in text
        rx = re.compile(r"\b" + re.escape(t).replace(r"\ ", r"\s+") + r"\b")
        return lambda text: bool(rx.search(text))

    def parse_or():
        nonlocal pos
        parts = [parse_and()]
        while pos < len(tokens) and tokens[pos] == "OR":
            pos += 1
            parts.append(parse_and())
        return lambda text: any(p(text) for p in parts)

    def parse_and():
        nonlocal pos
        parts = [parse_not()]
        while pos < len(tokens) and tokens[pos] not in ("OR", ")"):
            if tokens[pos] == "AND":
                pos += 1
            parts.append(parse_not())
        return lambda text: all(p(text) for p in parts)

    def parse_not():
        nonlocal pos
        if tokens[pos] == "NOT":
            pos += 1
            inner = parse_not()
            return lambda text: not inner(text)
        if tokens[pos] == "(":
            pos += 1
            inner = parse_or()
            pos += 1
            return inner
        pos += 1
        return term(tokens[pos - 1])

    matcher = parse_or()
    return lambda text: matcher(text.lower())


QUERIES = {b["key"]: compile_query(b["query"]) for b in yaml.safe_load(DEMO_CONFIG.read_text())["brands"]}
TRUTH: dict[str, list[str]] = json.loads((DATA_DIR / "truth.json").read_text())


def recorded_items() -> list[tuple[str, datetime, str]]:
    """(truth key, published, searchable text) for every recorded item of every source."""
    out = []
    for path in [*DATA_DIR.glob("gnews/*.xml"), *DATA_DIR.glob("feeds/*.xml"), *DATA_DIR.glob("youtube/*.xml"),
                 *DATA_DIR.glob("github/**/*.atom")]:
        source = path.parent.name if path.parent.name in ("gnews", "youtube") else "feed"
        for m in P.ITEM_RE.finditer(path.read_text()):
            chunk = m.group()
            key = re.search(r"<guid[^>]*>([^<]+)</guid>|<yt:videoId>([^<]+)<|rdf:about=\"([^\"]+)\"|"
                            r'<link rel="alternate" type="text/html" href="([^"]+)"', chunk)
            native = next(g for g in key.groups() if g).replace("&amp;", "&")
            stamps = dict(P.STAMP_RE.findall(chunk))
            at = P.parse_stamp(stamps.get("pubDate") or stamps.get("published") or stamps.get("dc:date")
                               or stamps["updated"])
            title = re.search(r"<title>([^<]*)</title>", chunk).group(1)
            desc = re.search(r"<(?:description|media:description|summary|content)[^>]*>([^<]*)<", chunk)
            out.append((f"{source}:{native}", at, f"{title} {desc.group(1) if desc else ''}"))
    hits = json.loads((DATA_DIR / "hn" / "search_by_date.json").read_text())["hits"]
    for h in hits:
        text = " ".join(str(h[k] or "") for k in ("title", "story_text", "comment_text"))
        out.append((f"hn:{h['objectID']}", datetime.fromtimestamp(h["created_at_i"], timezone.utc), text))
    return out


ITEMS = recorded_items()


def test_every_item_has_ground_truth():
    assert {k for k, _, _ in ITEMS} == set(TRUTH)


def test_brand_queries_match_their_items_and_exclude_the_bait():
    misses, leaks = [], []
    for key, _, text in ITEMS:
        brand, _, _, mood = TRUTH[key]
        if brand and not QUERIES[brand](text):
            misses.append((key, text[:120]))
        if not brand and any(q(text) for q in QUERIES.values()):
            leaks.append((key, text[:120]))
    assert not misses and not leaks
    bait = Counter(TRUTH[k][3] for k, _, t in ITEMS if not TRUTH[k][0])
    assert bait["bait"] >= 40


def test_latin_terms_never_touch_cjk_letters():
    """So word-boundary matching works whether a matcher's boundaries are ASCII or Unicode."""
    latin = re.compile(r"(?i)orbitly|vantro|kestrel|coin|falcon|bird")
    bad = [t[max(0, m.start() - 5):m.end() + 5] for _, _, t in ITEMS for m in latin.finditer(t)
           if CJK.match(t[m.start() - 1:m.start()] or " ") or CJK.match(t[m.end():m.end() + 1] or " ")]
    assert not bad


def test_bait_would_match_without_the_exclusions():
    loose = {"orbitly": compile_query("orbitly OR 오르비틀리 OR オービトリー"),
             "kestrel": compile_query('"kestrel home" OR kestrel OR 케스트럴 OR ケストレル')}
    bait = [t for k, _, t in ITEMS if TRUTH[k][3] == "bait"]
    assert all(loose["orbitly"](t) or loose["kestrel"](t) for t in bait)
    assert any(loose["orbitly"](t) for t in bait) and any(loose["kestrel"](t) for t in bait)


def test_languages_and_moods_are_mixed():
    langs = Counter(v[1] for v in TRUTH.values())
    assert min(langs["en"], langs["ko"], langs["ja"]) > 700 and langs["es"] > 30
    moods = Counter(v[2] for v in TRUTH.values() if v[2])
    assert moods["neutral"] > moods["positive"] > moods["negative"] > 300


def test_daily_volume_per_brand_is_realistic():
    anchor = datetime(2026, 1, 29, 12, tzinfo=timezone.utc)
    per_day = Counter()
    for key, at, _ in ITEMS:
        brand = TRUTH[key][0]
        if brand and (anchor - timedelta(days=22)).date() < at.date() < anchor.date():
            per_day[brand, at.date()] += 1
    for brand in QUERIES:
        days = sorted(n for (b, _), n in per_day.items() if b == brand)
        assert len(days) >= 21
        assert 30 <= days[0] and days[len(days) // 2] >= 40 and days[-1] <= 250, (brand, days)


def test_hourly_rhythm_has_quiet_nights():
    hours = Counter()
    for key, at, _ in ITEMS:
        if key.startswith("gnews:") and TRUTH[key][1] == "ko":
            hours[(at.hour + 9) % 24] += 1
    assert hours[4] * 4 < hours[12]


def test_data_stays_small():
    assert sum(p.stat().st_size for p in DATA_DIR.rglob("*") if p.is_file()) < 5_000_000


def test_generation_is_deterministic(tmp_path: Path):
    generate(tmp_path / "data")
    for p in DATA_DIR.rglob("*"):
        if p.is_file():
            assert (tmp_path / "data" / p.relative_to(DATA_DIR)).read_bytes() == p.read_bytes(), p
