"""Score stored mentions that the current model has not scored yet.

Scores are keyed by (text hash, model id): a re-run, a retried step or the same
words posted twice never cost a second forward pass, and switching models
re-scores everything once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import numpy as np
import sqlalchemy as sa

from listening.normalize import scoring_text
from listening.store import Store, mentions, scores


class ScoreLike(Protocol):
    sentiment: str
    p_negative: float
    p_neutral: float
    p_positive: float
    topic: str
    embedding: Any


class ScorerLike(Protocol):
    @property
    def model_id(self) -> str: ...

    def score(self, texts: Sequence[str]) -> Sequence[ScoreLike]: ...


@dataclass
class EnrichReport:
    model_id: str
    scored: int = 0
    already_scored: int = 0
    sentiment_by_brand: dict[str, Counter[str]] = field(default_factory=dict)
    sentiment_by_lang: dict[str, Counter[str]] = field(default_factory=dict)
    topics: Counter[str] = field(default_factory=Counter)


def pending_texts(store: Store, model_id: str, limit: int | None = None) -> list[tuple[str, str]]:
    """(text hash, text) of mentions without a score from ``model_id``, one per distinct text."""
    scored = sa.select(scores.c.text_hash).where(scores.c.model_id == model_id)
    q = (sa.select(mentions.c.text_hash, sa.func.min(mentions.c.title), sa.func.min(mentions.c.text))
         .where(mentions.c.text_hash.not_in(scored)).group_by(mentions.c.text_hash).order_by(mentions.c.text_hash))
    if limit:
        q = q.limit(limit)
    with store.engine.connect() as conn:
        return [(h, scoring_text(title or "", text or "")) for h, title, text in conn.execute(q).all()]


MIX_DAYS = 7


def score_pending(store: Store, scorer: ScorerLike, *, chunk: int = 512,
                  on_progress: Callable[[int, int], None] | None = None, now: datetime | None = None) -> EnrichReport:
    """Score every pending text in chunks, committing each chunk (a crash loses at most one chunk of work).

    The report's sentiment mix covers mentions published in the last :data:`MIX_DAYS` days before
    ``now``: what an analyst acts on, and a cost that does not grow with the whole history.
    """
    report = EnrichReport(scorer.model_id)
    todo = pending_texts(store, scorer.model_id)
    for start in range(0, len(todo), chunk):
        part = todo[start : start + chunk]
        results = scorer.score([text for _, text in part])
        now = datetime.now(timezone.utc)
        rows = [{
            "text_hash": h, "model_id": scorer.model_id, "sentiment": r.sentiment,
            "p_negative": float(r.p_negative), "p_neutral": float(r.p_neutral), "p_positive": float(r.p_positive),
            "topic": r.topic, "scored_at": now,
            "embedding": np.asarray(r.embedding, dtype=np.float16).tobytes() if r.embedding is not None else None,
        } for (h, _), r in zip(part, results, strict=True)]
        with store.transaction() as conn:
            store.upsert(conn, scores, rows)
        report.scored += len(rows)
        report.topics.update(r.topic for r in results)
        if on_progress:
            on_progress(min(start + chunk, len(todo)), len(todo))
    _mix(store, scorer.model_id, report, (now or datetime.now(timezone.utc)) - timedelta(days=MIX_DAYS))
    return report


def _mix(store: Store, model_id: str, report: EnrichReport, since: datetime) -> None:
    """Sentiment mix per brand and per language over the mentions published since ``since``."""
    q = (sa.select(mentions.c.brand, mentions.c.lang, scores.c.sentiment, sa.func.count())
         .join(scores, sa.and_(scores.c.text_hash == mentions.c.text_hash, scores.c.model_id == model_id))
         .where(mentions.c.published_at >= since)
         .group_by(mentions.c.brand, mentions.c.lang, scores.c.sentiment))
    with store.engine.connect() as conn:
        for brand, lang, sentiment, n in conn.execute(q).all():
            report.sentiment_by_brand.setdefault(brand, Counter())[sentiment] += n
            report.sentiment_by_lang.setdefault(lang, Counter())[sentiment] += n


def scored_rows(store: Store, model_id: str, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """Mentions joined with their current scores (for detection, digests and previews)."""
    q = (sa.select(mentions.c.id, mentions.c.brand, mentions.c.source, mentions.c.lang, mentions.c.url, mentions.c.title,
                   mentions.c.text, mentions.c.published_at, mentions.c.author, mentions.c.author_followers, mentions.c.likes,
                   mentions.c.reposts, mentions.c.replies, mentions.c.views, mentions.c.score,
                   scores.c.sentiment, scores.c.p_negative, scores.c.p_neutral, scores.c.p_positive, scores.c.topic)
         .join(scores, sa.and_(scores.c.text_hash == mentions.c.text_hash, scores.c.model_id == model_id))
         .order_by(mentions.c.published_at))
    if since:
        q = q.where(mentions.c.published_at >= since)
    if until:
        q = q.where(mentions.c.published_at < until)
    with store.engine.connect() as conn:
        out = []
        for r in conn.execute(q).mappings():
            row = dict(r)
            if row["published_at"].tzinfo is None:
                row["published_at"] = row["published_at"].replace(tzinfo=timezone.utc)
            out.append(row)
        return out
