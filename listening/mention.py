"""The Mention record every connector produces and every stage consumes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1 << 14)
def mention_id(source: str, native_id: str) -> str:
    """Stable id: the same item from the same source always gets the same id.

    Cached (bounded): ingest reads each mention's ``id`` several times within one source task.

    >>> mention_id("hackernews", "123") == mention_id("hackernews", "123")
    True
    >>> len(mention_id("rss", "https://example.com/a"))
    32
    """
    return hashlib.sha256(f"{source}\x1f{native_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Mention:
    """One public post, article, comment or review that may mention a brand.

    ``brand`` is empty until matching; engagement fields are ``None`` where the
    source has none (as opposed to a real zero).
    """

    source: str
    native_id: str
    url: str
    title: str
    text: str
    published_at: datetime
    fetched_at: datetime
    author: str = ""
    author_followers: int | None = None
    lang: str = ""
    brand: str = ""
    query: str = ""
    is_own: bool = False
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    views: int | None = None
    score: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return mention_id(self.source, self.native_id)

    def with_(self, **changes: Any) -> "Mention":
        return replace(self, **changes)
