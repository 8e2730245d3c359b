"""What the recorded world contains: brands, events, daily rhythm and text composition.

Kept apart from the payload writers so the story (who is mentioned when, in
which mood) can be read in one place and reused by tests.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import ModuleType

from listening.replay import phrases_en, phrases_es, phrases_ja, phrases_ko

#: The recorded "now": the server maps it onto its own clock at start.
ANCHOR = datetime(2026, 1, 29, 12, tzinfo=timezone.utc)
DAYS_BACK = 24
DAYS_AHEAD = 5
SEED = 20260129

BANKS: dict[str, ModuleType] = {"en": phrases_en, "ko": phrases_ko, "ja": phrases_ja, "es": phrases_es}
BRANDS = ("orbitly", "vantro", "kestrel")
BRAND_NAMES = {"orbitly": "Orbitly", "vantro": "Vantro", "kestrel": "Kestrel Home"}
SCALE = {"orbitly": 1.25, "vantro": 1.35, "kestrel": 1.2}
GNEWS_MEAN = {"en": 7.0, "ko": 8.0, "ja": 7.0}
HN_MEAN = 22.0
LOCAL_TZ = {"en": -5, "ko": 9, "ja": 9, "es": -5}
#: Relative activity by local hour: quiet nights, busy working day and evening.
DIURNAL = [0.3, 0.2, 0.12, 0.08, 0.08, 0.12, 0.3, 0.6, 0.9, 1.0, 1.0, 1.0,
           1.05, 1.0, 0.95, 0.95, 0.95, 0.9, 0.9, 1.0, 1.05, 0.95, 0.7, 0.45]
#: Monday..Sunday.
WEEKDAY = [1.0, 1.05, 1.05, 1.0, 0.95, 0.8, 0.75]

SURGE_START = ANCHOR - timedelta(days=6) + timedelta(hours=1)
SURGE_END = SURGE_START + timedelta(hours=4)
LAUNCH_START = ANCHOR - timedelta(days=9, hours=11)
LAUNCH_END = LAUNCH_START + timedelta(hours=24)

SENTIMENT = {"pos": "positive", "neu": "neutral", "neg": "negative", "outage": "negative",
             "recovery": "neutral", "launch": "", "bait": ""}


def channel_id(brand: str) -> str:
    """Stable 24-character YouTube channel id for a brand."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(f"yt:{brand}".encode()).digest()).decode()
    return "UC" + digest[:22]


CHANNELS = {b: channel_id(b) for b in BRANDS}


@dataclass
class Rec:
    """One recorded mention before it is rendered into a source's payload."""

    brand: str  # "" for bait that a brand query must exclude
    lang: str
    mood: str
    at: datetime
    text: str


class Writer:
    """Seeded text composer; remembers what it wrote so headlines rarely repeat."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def fill(self, lang: str, template: str, brand: str, other: str | None = None) -> str:
        """Fill a template's slots with the brand's names in ``lang``."""
        bank, rng = BANKS[lang], self.rng
        other = other or rng.choice([b for b in BRANDS if b != brand])
        return template.format(
            b=rng.choice(bank.BRAND[brand]), p=rng.choice(bank.PRODUCTS[brand]), h=rng.choice(bank.HARDWARE[brand]),
            f=rng.choice(bank.FEATURES),
            c=rng.choice(bank.BRAND[other]), n=rng.randint(2, 14), v=f"{rng.randint(3, 5)}.{rng.randint(0, 12)}",
        )

    def pick(self, lang: str, section: str, mood: str, brand: str, other: str | None = None) -> str:
        """A filled template from ``section[mood]``, avoiding exact repeats where possible."""
        options = getattr(BANKS[lang], section)[mood]
        for _ in range(6):
            text = self.fill(lang, self.rng.choice(options), brand, other)
            if text not in self.seen:
                break
        self.seen.add(text)
        return text

    def headline(self, lang: str, mood: str, brand: str) -> str:
        """A news headline; bait comes from the brand's look-alike topics."""
        if mood == "bait":
            return self.rng.choice(BANKS[lang].BAIT[brand])
        return self.pick(lang, "HEADLINE", mood, brand, "orbitly" if mood == "launch" else None)

    def comment(self, lang: str, mood: str, brand: str) -> str:
        """A forum comment: core sentence plus optional opener, closer or second paragraph."""
        rng, bank = self.rng, BANKS[lang]
        if mood == "bait":
            return rng.choice([t for t in bank.BAIT[brand] if t.endswith((".", "。"))] or bank.BAIT[brand])
        core = self.pick(lang, "COMMENT", mood, brand, "orbitly" if mood == "launch" else None)
        if lang == "en":
            opener = "" if ":" in core[:30] else rng.choice(bank.OPENERS.get(mood, [""]))
            parts = [opener, core, rng.choice(bank.CLOSERS.get(mood, [""]))]
            text = " ".join(p for p in parts if p)
            if rng.random() < 0.2:
                second = self.fill(lang, rng.choice(bank.COMMENT[mood]), brand)
                text += "" if second[:20] == core[:20] else "\n\n" + second
            return text
        tails = {"ko": {"outage": ["", "ㅠㅠ", " 답답하네요"], "pos": ["", " ㅎㅎ", " 추천합니다"]},
                 "ja": {"outage": ["", "（泣）", "…勘弁して"], "pos": ["", "！", "。おすすめ"]}}
        return core + rng.choice(tails.get(lang, {}).get(mood, [""]))


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's Poisson sampler (means here are small)."""
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def daily_times(rng: random.Random, mean: float, lang: str) -> list[datetime]:
    """Timestamps for one source over the whole recorded span, following local day and week rhythm."""
    tz = timezone(timedelta(hours=LOCAL_TZ[lang]))
    start = (ANCHOR - timedelta(days=DAYS_BACK)).astimezone(tz).replace(hour=0, minute=0, second=0)
    end = ANCHOR + timedelta(days=DAYS_AHEAD)
    out: list[datetime] = []
    day = start
    while day < end:
        n = poisson(rng, mean * WEEKDAY[day.weekday()] * rng.lognormvariate(0, 0.18))
        for _ in range(n):
            hour = rng.choices(range(24), weights=DIURNAL)[0]
            at = day + timedelta(hours=hour, seconds=rng.randrange(3600))
            if ANCHOR - timedelta(days=DAYS_BACK) <= at < end:
                out.append(at.astimezone(timezone.utc))
        day += timedelta(days=1)
    return out


def fresh_times(rng: random.Random, n: int) -> list[datetime]:
    """A few items in the last minutes before the anchor, so a replay always starts "live"."""
    return [ANCHOR - timedelta(minutes=rng.uniform(2, 50)) for _ in range(n)]


def normal_mood(rng: random.Random) -> str:
    """Everyday mix: mostly neutral or positive, some negative."""
    return rng.choices(["neu", "pos", "neg"], weights=[52, 33, 15])[0]


def surge_times(rng: random.Random, n: int) -> list[datetime]:
    """Outage chatter: a fast ramp, a plateau, a tail, all inside the labelled window."""
    span = (SURGE_END - SURGE_START).total_seconds()
    return [SURGE_START + timedelta(seconds=rng.betavariate(1.5, 2.0) * span) for _ in range(n)]


def after_times(rng: random.Random, start: datetime, n: int, mean_hours: float) -> list[datetime]:
    """Decaying follow-up coverage after ``start``."""
    return [start + timedelta(hours=min(rng.expovariate(1 / mean_hours), 40)) for _ in range(n)]


def event_recs(w: Writer, channel: str, lang: str, brand: str) -> list[Rec]:
    """The surge (Orbitly) and launch (Vantro) mentions for one channel (gnews/hn) and language."""
    rng, out = w.rng, []
    if brand == "orbitly":
        n = {"gnews": {"en": 16, "ko": 24, "ja": 20, "es": 2}, "hn": {"en": 52, "es": 4, "ja": 2, "ko": 2}}[channel][lang]
        for at in surge_times(rng, n):
            mood = "outage" if rng.random() < 0.87 else normal_mood(rng)
            out.append(Rec(brand, lang, mood, at, ""))
        for at in after_times(rng, SURGE_END, max(1, n // 5), 3.0):
            out.append(Rec(brand, lang, rng.choice(["recovery", "recovery", "outage", "neg"]), at, ""))
    if brand == "vantro":
        n = {"gnews": {"en": 14, "ko": 14, "ja": 18, "es": 2}, "hn": {"en": 44, "es": 2, "ja": 1, "ko": 1}}[channel][lang]
        for at in after_times(rng, LAUNCH_START, n, 5.0):
            out.append(Rec(brand, lang, "launch" if rng.random() < 0.8 else normal_mood(rng), at, ""))
    return out
