"""Regenerate the recorded replay payloads under ``data/`` (deterministic, seeded).

Run ``python -m listening.replay.generate``; the output is committed so the
demo needs neither network nor this script. Files are written exactly as the
real services return them, with timestamps around :data:`corpus.ANCHOR`.
"""

from __future__ import annotations

import base64
import html
import json
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from listening.replay import corpus as C
from listening.replay.accounts import reach_labels, write_accounts
from listening.replay import payloads as P
from listening.replay.feeds import write_feeds

DATA_DIR = Path(__file__).with_name("data")
T0 = C.ANCHOR - timedelta(days=40)


class Truth:
    """Ground truth per recorded item, for tests and evaluations."""

    def __init__(self) -> None:
        self.rows: dict[str, list[str]] = {}

    def add(self, source: str, native_id: str, rec: C.Rec) -> None:
        self.rows[f"{source}:{native_id}"] = [rec.brand, rec.lang, C.SENTIMENT[rec.mood], rec.mood]


def gnews_token(rng: random.Random) -> str:
    """An opaque article token shaped like Google News' ``CBMi…`` ids."""
    return "CBMi" + base64.urlsafe_b64encode(rng.randbytes(84)).decode().rstrip("=")


def gnews_recs(w: C.Writer, brand: str, lang: str) -> list[C.Rec]:
    """Everything a Google News search for ``brand`` in locale ``lang`` has ever returned."""
    rng, recs = w.rng, []
    for at in C.daily_times(rng, C.GNEWS_MEAN[lang] * C.SCALE[brand], lang) + C.fresh_times(rng, 1):
        text_lang = "es" if lang == "en" and rng.random() < 0.06 else lang
        recs.append(C.Rec(brand, text_lang, C.normal_mood(rng), at, ""))
    for text_lang in (lang, "es") if lang == "en" else (lang,):
        recs += C.event_recs(w, "gnews", text_lang, brand)
    if brand in ("kestrel", "orbitly"):
        rate = 0.7 if brand == "kestrel" else 0.3
        recs += [C.Rec("", lang, "bait", at, "") for at in C.daily_times(rng, rate, lang)]
    for rec in recs:
        rec.text = w.headline(rec.lang, rec.mood, brand)
    return recs


def write_gnews(w: C.Writer, truth: Truth, out: Path) -> dict[str, int]:
    """One recorded search feed per brand and locale: ``gnews/<brand>-<lang>.xml``."""
    rng, counts = w.rng, {}
    for brand in C.BRANDS:
        for lang in ("en", "ko", "ja"):
            recs = sorted(gnews_recs(w, brand, lang), key=lambda r: r.at, reverse=True)
            body = []
            for rec in recs:
                bank = C.BANKS[rec.lang]
                if rec.mood == "bait":
                    pubs = bank.BIRD_PUBLISHERS if brand == "kestrel" else bank.CRYPTO_PUBLISHERS
                else:
                    pubs = bank.PUBLISHERS
                name, site = rng.choice(pubs)
                token = gnews_token(rng)
                related = []
                if rec.mood != "bait" and rng.random() < 0.15:
                    for _ in range(rng.randint(1, 3)):
                        rname = rng.choice(bank.PUBLISHERS)[0]
                        related.append((gnews_token(rng), w.headline(rec.lang, rec.mood, brand), rname))
                body.append(P.gnews_item(token, rec.text, name, site, rec.at, related))
                truth.add("gnews", token, rec)
            term = C.BANKS[lang].BRAND[brand][0]
            path = out / "gnews" / f"{brand}-{lang}.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(P.gnews_head(term, lang, C.ANCHOR) + "".join(body) + "</channel></rss>\n")
            counts[f"{brand}-{lang}"] = len(recs)
    return counts


class HNIds:
    """Item ids that grow with time like HN's, unique across the recording."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.used = rng, set()

    def at(self, when: datetime) -> int:
        n = 46_300_000 + int((when - T0).total_seconds() / 6.5) + self.rng.randrange(6)
        while n in self.used:
            n += 1
        self.used.add(n)
        return n


HOST_STORIES = [
    ("Ask HN: What does your home automation setup look like in 2026?", ""),
    ("Matter 1.5 specification released", "https://csa-iot.example/matter-1-5"),
    ("The smart home is still a mess", "https://www.notes-on-things.example/smart-home-mess"),
    ("Why I ripped out all my smart switches", "https://blog.tinkerer.example/ripped-out-switches"),
    ("Thread vs. Zigbee in practice", "https://meshnotes.example/thread-vs-zigbee"),
    ("I built a local-only voice assistant", "https://github.com/hollis/local-voice"),
    ("The case for dumb appliances", "https://www.slowtech.example/dumb-appliances"),
    ("Ask HN: How do you keep IoT devices off the internet?", ""),
    ("Cloud outages and the houses that depend on them", "https://www.resilience.example/cloud-homes"),
]
HN_NAMES = ["kvr", "ninefold", "ash_keller", "mdoyle", "pixelcrate", "tomasz_w", "jlb", "quietmeadow",
            "hkim", "yuki_t", "throwaway_8812", "cpuguy", "sorenp", "davidcr", "lumen42", "rfk_io",
            "bramblefox", "mina_s", "ozzyb", "grepper", "teleport_", "nakamura_k", "wkd", "janvdb",
            "sjpark", "alderbrook", "numbat", "eli_m", "vexillum", "tcp_ack", "hollis", "fernhill"]


def comment_html(text: str) -> str:
    """HN's comment HTML: escaped text, paragraphs joined with ``<p>``."""
    return "<p>".join(html.escape(p, quote=True) for p in text.split("\n\n"))


def write_hn(w: C.Writer, truth: Truth, out: Path) -> dict[str, int]:
    """All recorded Algolia hits in one ``search_by_date``-shaped response."""
    rng, ids, hits, counts = w.rng, HNIds(w.rng), [], {}
    stories: list[tuple[int, str, str, datetime]] = []

    def story(rec: C.Rec, title: str, points: int, comments: int, url: str = "", text: str = "") -> int:
        oid = ids.at(rec.at)
        author = rng.choice(HN_NAMES)
        tags = ["story", f"author_{author}", f"story_{oid}"]
        tags += ["ask_hn"] if title.startswith("Ask HN") else ["show_hn"] if title.startswith("Show HN") else []
        tags += ["front_page"] if points >= 100 else []
        hits.append(P.hn_hit(objectID=str(oid), created_at=P.iso(rec.at), created_at_i=int(rec.at.timestamp()),
                             title=title, url=url or None, author=author, points=points, num_comments=comments,
                             story_text=comment_html(text) if text else None, story_id=oid, _tags=tags))
        stories.append((oid, title, url, rec.at))
        truth.add("hn", str(oid), rec)
        return oid

    big = {"outage": [("Ask HN: Is Orbitly down for anyone else?", C.SURGE_START + timedelta(minutes=8), 96, 54, ""),
                      ("Orbitly is down", C.SURGE_START + timedelta(minutes=21), 412, 187,
                       "https://status.orbitly.example/incidents/8k2m4x")],
           "launch": [("Vantro Hub 2: local-only smart home automations", C.LAUNCH_START + timedelta(hours=2), 538, 241,
                       "https://vantro.example/hub2")]}
    for mood, rows in big.items():
        for title, at, points, n, url in rows:
            brand = "orbitly" if mood == "outage" else "vantro"
            text = "" if url else w.comment("en", mood, brand)
            story(C.Rec(brand, "en", mood, at, title), title, points, n, url, text)

    recs: list[C.Rec] = []
    for brand in C.BRANDS:
        for at in C.daily_times(rng, C.HN_MEAN * C.SCALE[brand], "en") + C.fresh_times(rng, 2):
            lang = rng.choices(["en", "es", "ko", "ja"], weights=[94, 3, 1.5, 1.5])[0]
            recs.append(C.Rec(brand, lang, C.normal_mood(rng), at, ""))
        for lang in ("en", "es", "ko", "ja"):
            recs += C.event_recs(w, "hn", lang, brand)
    recs += [C.Rec("kestrel", "en", "bait", at, "") for at in C.daily_times(rng, 0.3, "en")]
    recs += [C.Rec("orbitly", "en", "bait", at, "") for at in C.daily_times(rng, 0.2, "en")]
    for rec in sorted(recs, key=lambda r: r.at):
        owner, rec.brand = rec.brand, ("" if rec.mood == "bait" else rec.brand)
        if rec.lang == "en" and rec.mood in C.BANKS["en"].STORY and rec.mood != "launch" and rng.random() < 0.04:
            title = w.pick("en", "STORY", rec.mood, owner)
            text = w.comment("en", rec.mood, owner) if title.startswith("Ask HN") else ""
            url = "" if text else f"https://{rng.choice(HN_NAMES).strip('_')}.example/{rng.randrange(10**6)}"
            rec.text = title
            story(rec, title, int(rng.paretovariate(1.3)) + 1, rng.randrange(0, 40), url, text)
            continue
        recent = [s for s in stories if timedelta(0) < rec.at - s[3] < timedelta(hours=30)
                  and owner in s[1].lower()]
        if recent and rng.random() < (0.9 if rec.mood in ("outage", "launch", "recovery") else 0.4):
            sid, stitle, surl, sat = rng.choice(recent)
        else:
            stitle, surl = rng.choice(HOST_STORIES)
            sat = rec.at - timedelta(hours=rng.uniform(0.3, 20))
            sid = ids.at(sat)
        parent = sid if rng.random() < 0.55 else ids.at(rec.at - timedelta(minutes=rng.uniform(1, 50)))
        oid, author = ids.at(rec.at), rng.choice(HN_NAMES)
        rec.text = w.comment(rec.lang, rec.mood, owner)
        hits.append(P.hn_hit(objectID=str(oid), created_at=P.iso(rec.at), created_at_i=int(rec.at.timestamp()),
                             author=author, comment_text=comment_html(rec.text), story_id=sid, story_title=stitle,
                             story_url=surl or None, parent_id=parent,
                             _tags=["comment", f"author_{author}", f"story_{sid}"]))
        truth.add("hn", str(oid), rec)
    hits.sort(key=lambda h: h["created_at_i"], reverse=True)
    doc = {"hits": hits, "nbHits": len(hits), "page": 0, "nbPages": 1, "hitsPerPage": len(hits),
           "exhaustiveNbHits": True, "query": "", "params": f"query=&hitsPerPage={len(hits)}", "processingTimeMS": 3}
    (out / "hn").mkdir(parents=True, exist_ok=True)
    (out / "hn" / "search_by_date.json").write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
    for h in hits:
        key = "story" if "story" in h["_tags"] else "comment"
        counts[key] = counts.get(key, 0) + 1
    return counts


def labels() -> dict[str, object]:
    """Ground truth of the two events, relative to the anchor (= replay start)."""
    def rel(dt: datetime) -> int:
        return int((dt - C.ANCHOR).total_seconds())

    return {
        "anchor": P.iso(C.ANCHOR),
        "recorded_from_offset_s": -C.DAYS_BACK * 86400,
        "recorded_until_offset_s": C.DAYS_AHEAD * 86400,
        "events": [
            {"kind": "crisis", "brand": "orbitly", "start_offset_s": rel(C.SURGE_START),
             "end_offset_s": rel(C.SURGE_END), "start": P.iso(C.SURGE_START), "end": P.iso(C.SURGE_END),
             "summary": "Orbitly outage: app logins fail, hubs offline; negative surge in en/ko/ja on HN, news, blogs"},
            {"kind": "launch", "brand": "vantro", "start_offset_s": rel(C.LAUNCH_START),
             "end_offset_s": rel(C.LAUNCH_END), "start": P.iso(C.LAUNCH_START), "end": P.iso(C.LAUNCH_END),
             "summary": "Vantro Hub 2 launch: press release, GitHub v2.0.0, news in en/ko/ja, HN front page"},
        ],
        "channels": C.CHANNELS,
        "reach_changes": reach_labels(),
    }


def generate(out: Path = DATA_DIR) -> dict[str, object]:
    """Write every payload under ``out`` and return item counts."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    w, truth = C.Writer(random.Random(C.SEED)), Truth()
    counts = {"gnews": write_gnews(w, truth, out), "hn": write_hn(w, truth, out),
              "feeds": write_feeds(w, truth, out), "accounts": write_accounts(out)}
    (out / "labels.json").write_text(json.dumps(labels(), indent=2) + "\n")
    (out / "truth.json").write_text(json.dumps(truth.rows, ensure_ascii=False, separators=(",", ":"), sort_keys=True))
    return counts


if __name__ == "__main__":
    print(json.dumps(generate(), indent=2))
