"""Time ``build_digest`` + rendering over N synthetic scored mentions in a temporary SQLite store.

    .venv/bin/python bench/bench_digest.py            # 1,000,000 mentions
    .venv/bin/python bench/bench_digest.py --n 200000

Mentions are spread over 10 weeks ending with the digest week, five brands,
three languages and eight topics; every mention has its own text (no score
sharing), which is the worst case for the mentions/scores join.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from listening.config import ListeningConfig
from listening.digest import build_digest, write_digest
from listening.store import Store

log = logging.getLogger("bench_digest")

WEEK, MODEL = "2026-W46", "bench-model"
END = datetime(2026, 11, 16, tzinfo=timezone.utc)
BRANDS = ["orbitly", "vantro", "kestrel", "nimbus", "quasar"]
TOPICS = ["outage/bugs", "pricing", "customer support", "delivery", "security/privacy", "product launch", "campaign", "other"]
WORDS = ["fast", "slow", "price", "update", "crash", "love", "refund", "launch", "support", "battery", "screen", "delivery"]
SENTIMENTS = ["negative", "neutral", "positive"]


def config() -> ListeningConfig:
    return ListeningConfig.model_validate({"brands": [{"key": b, "name": b.title(), "own": i == 0} for i, b in enumerate(BRANDS)]})


def generate(path: Path, n: int, seed: int = 0, chunk: int = 100_000) -> None:
    """Insert n mentions and their scores with sqlite3 executemany (the bench's setup, not timed)."""
    Store.open(f"sqlite:///{path}").engine.dispose()
    rng = np.random.default_rng(seed)
    start = END - timedelta(weeks=10)
    span = int((END - start).total_seconds())
    directions = rng.normal(size=(len(TOPICS), 384)) / np.sqrt(384)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    for lo in range(0, n, chunk):
        size = min(chunk, n - lo)
        secs = np.sort(rng.integers(0, span, size))
        brand = rng.choice(len(BRANDS), size, p=[0.3, 0.25, 0.2, 0.15, 0.1])
        sent = rng.choice(3, size, p=[0.25, 0.45, 0.3])
        topic = rng.integers(0, len(TOPICS), size)
        words = rng.integers(0, len(WORDS), (size, 6))
        views = rng.integers(0, 100_000, size)
        own = rng.random(size) < 0.01
        lang = rng.choice(["en", "ko", "ja"], size, p=[0.6, 0.25, 0.15])
        emb = (directions[topic] + rng.normal(0.0, 0.03, (size, 384))).astype(np.float16)
        mrows, srows = [], []
        for i in range(size):
            k = lo + i
            ts = (start + timedelta(seconds=int(secs[i]))).strftime("%Y-%m-%d %H:%M:%S.%f")
            h = hashlib.md5(str(k).encode()).hexdigest()
            text = f"{BRANDS[brand[i]]} " + " ".join(WORDS[w] for w in words[i])
            mrows.append((h, "rss", str(k), f"https://news.example/{k}", f"https://news.example/{k}", h, h, "", text,
                          str(lang[i]), ts, ts, f"author{k % 997}", int(views[i] // 10), BRANDS[brand[i]], BRANDS[brand[i]],
                          "q", bool(own[i]), int(views[i] // 100), None, None, int(views[i]), None, "{}"))
            p = [0.1, 0.1, 0.1]
            p[sent[i]] = 0.8
            srows.append((h, MODEL, SENTIMENTS[sent[i]], *p, TOPICS[topic[i]], emb[i].tobytes(), ts))
        db.executemany("INSERT INTO mentions VALUES (" + ",".join("?" * 24) + ")", mrows)
        db.executemany("INSERT INTO scores VALUES (" + ",".join("?" * 9) + ")", srows)
        db.commit()
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="synthetic mentions to generate (default 1,000,000)")
    parser.add_argument("--db", type=Path, help="reuse/keep this SQLite file instead of a temporary one")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        if not path.exists():
            t0 = time.perf_counter()
            generate(path, args.n)
            log.info("generated %d mentions in %.1f s", args.n, time.perf_counter() - t0)
        store = Store.open(f"sqlite:///{path}")
        t0 = time.perf_counter()
        digest = build_digest(store, config(), WEEK, MODEL)
        t1 = time.perf_counter()
        files = write_digest(digest, Path(tmp) / "out")
        t2 = time.perf_counter()
        log.info("build_digest: %.2f s over %d mentions in the week (%d stored)", t1 - t0,
                 digest.methodology.total_mentions, args.n)
        log.info("render + write (HTML, Markdown, 2 charts): %.2f s -> %s", t2 - t1, files.html.name)
        log.info("total: %.2f s", t2 - t0)


if __name__ == "__main__":
    main()
