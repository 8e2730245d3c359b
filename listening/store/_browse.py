"""Browsing stored mentions with their latest score: the query behind ``listening mentions``."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from listening.errors import InputError, StoreError
from listening.store._schema import mentions, scores
from listening.store._store import Store
from listening.utc import as_utc

SENTIMENTS = ("negative", "neutral", "positive")

#: The engagement columns a mention's reach is read from (the largest wins), as in the digest and crisis posts.
REACH_COLUMNS = ("views", "author_followers", "likes", "score")


@dataclass(frozen=True)
class MentionFilter:
    """Which mentions to list; ``None`` means "any". ``text`` is a substring of the title or text, in any script."""

    brand: str | None = None
    source: str | None = None
    lang: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sentiment: str | None = None
    topic: str | None = None
    min_reach: int | None = None
    text: str | None = None
    own: bool | None = None

    def __post_init__(self) -> None:
        if self.sentiment is not None and self.sentiment not in SENTIMENTS:
            raise InputError(f"unknown sentiment {self.sentiment!r} (use one of {', '.join(SENTIMENTS)})")
        if self.min_reach is not None and self.min_reach < 0:
            raise InputError(f"minimum reach must be 0 or more, got {self.min_reach}")


def _reach(dialect: str) -> Any:
    cols = [sa.func.coalesce(mentions.c[c], 0) for c in REACH_COLUMNS]
    return (sa.func.greatest if dialect == "postgresql" else sa.func.max)(*cols)


def browse_mentions(store: Store, where: MentionFilter = MentionFilter(), limit: int | None = None) -> list[dict[str, Any]]:
    """Mentions newest first with their latest score (sentiment, its probability ``p``, topic) and reach.

    A mention not scored yet has ``None`` for the score columns and is left out by a sentiment or
    topic filter. The latest score is the newest row for the mention's text (any model), found by
    one keyed look-up per mention, so a short listing stays fast on a large store.
    """
    if limit is not None and limit < 1:
        raise InputError(f"limit must be at least 1, got {limit}")
    m, s = mentions.c, scores.c
    latest = (sa.select(s.model_id).where(s.text_hash == m.text_hash)
              .order_by(s.scored_at.desc(), s.model_id.desc()).limit(1).correlate(mentions).scalar_subquery())
    reach = _reach(store.dialect).label("reach")
    q = (sa.select(m.id, m.published_at, m.brand, m.source, m.lang, m.is_own, m.author, m.title, m.text, m.url, m.replies, reach,
                   s.sentiment, s.p_negative, s.p_neutral, s.p_positive, s.topic, s.model_id)
         .select_from(mentions.outerjoin(scores, sa.and_(s.text_hash == m.text_hash, s.model_id == latest)))
         .order_by(m.published_at.desc(), m.id))
    for column, value in (("brand", where.brand), ("source", where.source), ("lang", where.lang)):
        if value:
            q = q.where(m[column] == value)
    if where.since:
        q = q.where(m.published_at >= where.since)
    if where.until:
        q = q.where(m.published_at < where.until)
    if where.own is not None:
        q = q.where(m.is_own == where.own)
    if where.sentiment:
        q = q.where(s.sentiment == where.sentiment)
    if where.topic:
        q = q.where(s.topic == where.topic)
    if where.min_reach is not None:
        q = q.where(_reach(store.dialect) >= where.min_reach)
    if where.text:
        needle = unicodedata.normalize("NFC", where.text)
        q = q.where(sa.or_(m.title.icontains(needle, autoescape=True), m.text.icontains(needle, autoescape=True)))
    if limit is not None:
        q = q.limit(limit)
    try:
        with store.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
    except SQLAlchemyError as exc:
        raise StoreError(f"listing mentions failed: {exc.__class__.__name__}") from exc
    for row in rows:
        row["published_at"] = as_utc(row["published_at"])
        row["is_own"] = bool(row["is_own"])
        row["reach"] = int(row["reach"] or 0)
        row["p"] = row[f"p_{row['sentiment']}"] if row["sentiment"] in SENTIMENTS else None
    return rows
