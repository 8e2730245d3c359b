"""A Hacker News comment is scored, and its language detected, on its own words (issue 16).

Its thread's title stays the stored title (it attributes the comment to a brand) but is context,
not content. Mentions come from the offline replay's recorded Algolia payloads.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from listening.enrich import pending_texts
from listening.language import detect_language
from listening.pipeline import open_config, run_fetch
from listening.store import Store, mentions

T1 = datetime.fromisoformat("2026-11-20T12:00:00+00:00")


def test_comments_are_read_without_their_thread_title(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(store_url)
    monkeypatch.setenv("LISTENING_REPLAY_NOW", T1.isoformat())
    with open_config(None) as config:
        assert run_fetch(config, store, sources=["hackernews"]).new > 10
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(mentions.c.text_hash, mentions.c.title, mentions.c.text, mentions.c.lang,
                                      mentions.c.replies).where(mentions.c.source == "hackernews")).all()
    comments = [r for r in rows if r.replies is None]
    stories = [r for r in rows if r.replies is not None]
    assert comments and stories
    pending = dict(pending_texts(store, "a model that scored nothing yet"))

    for c in comments:
        assert c.title and pending[c.text_hash] == c.text.strip()
        assert c.lang == detect_language(c.text) or detect_language(c.text) == "und"
    under_english_title = [c for c in comments if c.lang in ("ko", "ja") and detect_language(c.title) == "en"]
    assert under_english_title, "Korean/Japanese comments under English thread titles keep their own language"
    for s in stories:
        assert pending[s.text_hash].startswith(s.title.strip())
