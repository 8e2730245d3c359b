"""Scoring by slice: brand × day partitions cover every mention once, and the 10-minute cycle looks only at
what was fetched since its previous run (with a daily sweep), so its cost does not grow with history.

Mentions come from the offline replay's recorded feeds; scores come from the real model.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from listening.enrich import FULL_SWEEP_EVERY, Slice, pending_texts, score_new, score_pending
from listening.nlp.scoring import get_scorer
from listening.pipeline import open_config, run_fetch
from listening.store import Store, mentions, scores

T1 = datetime.fromisoformat("2026-11-20T12:00:00+00:00")


def fetch(store: Store, monkeypatch: pytest.MonkeyPatch, at: datetime, *sources: str) -> int:
    monkeypatch.setenv("LISTENING_REPLAY_NOW", at.isoformat())
    with open_config(None) as config:
        return run_fetch(config, store, sources=list(sources)).new


def scored_hashes(store: Store, model_id: str) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(sa.select(scores.c.text_hash).where(scores.c.model_id == model_id)).scalars())


def hashes_of(store: Store, *where: sa.ColumnElement[bool]) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(sa.select(mentions.c.text_hash).where(*where)).scalars())


def test_brand_day_slices_score_their_own_mentions_and_together_cover_all(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(store_url)
    assert fetch(store, monkeypatch, T1, "rss", "mastodon") > 50
    scorer = get_scorer()
    with store.engine.connect() as conn:
        days = conn.execute(sa.select(mentions.c.brand, mentions.c.published_at)).all()
    partitions = sorted({(brand, at.date()) for brand, at in days})
    assert len({b for b, _ in partitions}) == 3 and len(partitions) > 10

    brand, day = max(partitions, key=lambda p: sum(1 for b, at in days if (b, at.date()) == p))
    since = datetime.combine(day, datetime.min.time(), tzinfo=T1.tzinfo)
    one = Slice(brand=brand, since=since, until=since + timedelta(days=1))
    report = score_pending(store, scorer, where=one, now=T1)
    expected = hashes_of(store, mentions.c.brand == brand, mentions.c.published_at >= one.since,
                         mentions.c.published_at < one.until)
    assert report.scored == len(expected) > 1
    assert scored_hashes(store, scorer.model_id) == expected, "a partition scores its own mentions, nothing else"
    assert set(report.sentiment_by_brand) == {brand}, "its sentiment mix is the partition's"
    assert sum(report.sentiment_by_brand[brand].values()) == sum(1 for b, at in days if (b, at.date()) == (brand, day))

    for b, d in partitions:
        start = datetime.combine(d, datetime.min.time(), tzinfo=T1.tzinfo)
        score_pending(store, scorer, where=Slice(brand=b, since=start, until=start + timedelta(days=1)), now=T1)
    assert pending_texts(store, scorer.model_id) == [], "brand × day partitions cover every mention"
    assert scored_hashes(store, scorer.model_id) == hashes_of(store)
    again = score_pending(store, scorer, where=one, now=T1)
    assert again.scored == 0, "a partition scored twice costs nothing the second time"


def test_the_cycle_scores_what_was_fetched_since_its_last_run_and_sweeps_daily(home, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open()
    scorer = get_scorer()
    fetch(store, monkeypatch, T1, "rss")
    first, full = score_new(store, scorer, now=T1)
    assert full, "a model's first run looks at every stored mention"
    assert first.scored == len(hashes_of(store)) > 10

    later = T1 + timedelta(hours=3)
    assert fetch(store, monkeypatch, later, "mastodon") > 20
    rss_text = sorted(hashes_of(store, mentions.c.source == "rss") - hashes_of(store, mentions.c.source == "mastodon"))[0]
    second, full = score_new(store, scorer, now=later)
    assert not full
    assert second.scored == len(hashes_of(store, mentions.c.source == "mastodon") - hashes_of(store, mentions.c.source == "rss"))
    assert pending_texts(store, scorer.model_id) == []

    with store.transaction() as conn:  # a score that went missing for a mention fetched hours ago
        conn.execute(sa.delete(scores).where(scores.c.text_hash == rss_text))
    third, full = score_new(store, scorer, now=later + timedelta(minutes=10))
    assert not full and third.scored == 0, "the cycle does not look back through all history"
    assert [h for h, _ in pending_texts(store, scorer.model_id)] == [rss_text]

    sweep, full = score_new(store, scorer, now=T1 + FULL_SWEEP_EVERY + timedelta(minutes=10))
    assert full and sweep.scored == 1, "the daily sweep scores whatever the cycle's window missed"
    assert pending_texts(store, scorer.model_id) == []

    back, full = score_new(store, scorer, now=T1)
    assert full, "a clock set back (a replay of an earlier time) looks at everything rather than miss rows"
    assert back.scored == 0
