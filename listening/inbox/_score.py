"""Scoring thread items with the mention scorer, so replies get sentiment and intents like mentions do.

Same tables and key as mentions (``scores``/``intents`` by text hash and model id): a reply with the same
words as a stored mention is not scored twice. Only items that can need an answer are scored (not the
brand's own replies, not deleted ones).
"""

from __future__ import annotations

import sqlalchemy as sa

from listening.enrich import ScorerLike, score_texts
from listening.store import Store, scores, thread_items


def pending_items(store: Store, model_id: str) -> list[tuple[str, str]]:
    """(text hash, text) of thread items without a score from ``model_id``, one per distinct text."""
    t = thread_items.c
    scored = sa.exists().where(scores.c.text_hash == t.text_hash, scores.c.model_id == model_id)
    q = sa.select(t.text_hash, t.text).where(~scored, t.by_brand.is_(False), t.deleted_at.is_(None), t.text != "")
    todo: dict[str, str] = {}
    with store.engine.connect() as conn:
        for h, text in conn.execute(q):
            todo.setdefault(h, text)
    return sorted(todo.items())


def score_items(store: Store, scorer: ScorerLike, *, chunk: int = 256) -> int:
    """Score every pending thread item's text; returns how many texts were scored."""
    todo = pending_items(store, scorer.model_id)
    score_texts(store, scorer, todo, chunk=chunk)
    return len(todo)
