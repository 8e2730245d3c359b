"""Answered detection: who in a thread is the brand, and when the brand first replied below each item.

One rule for every platform: an item is answered at the earliest reply below it (its subtree, so a
reply to a follow-up counts) written by one of the brand's handles, no earlier than the item. The
brand's handles are ``brands[].handles`` plus its tracked accounts (:meth:`Brand.own_handles`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from listening.config import Brand
from listening.inbox._fetch import Post


@dataclass(frozen=True)
class Handles:
    """A brand's handles on one platform, normalised for comparison with thread authors."""

    platform: str
    names: frozenset[str]

    @classmethod
    def of(cls, brand: Brand, platform: str) -> "Handles":
        return cls(platform, brand.own_handles(platform))

    def match(self, author: str) -> bool:
        """Whether ``author`` is the brand; a bare Mastodon handle matches that name on any instance.

        >>> h = Handles("mastodon", frozenset({"acme@m.test", "acmehelp"}))
        >>> [h.match(a) for a in ("ACME@m.test", "acme@other.test", "acmehelp@x.test", "bob@m.test", "")]
        [True, False, True, False, False]
        """
        author = author.strip().lstrip("@").lower()
        if not author:
            return False
        if author in self.names:
            return True
        return self.platform == "mastodon" and author.partition("@")[0] in self.names


def first_answers(items: Iterable[Post], replies: Sequence[Post], handles: Handles,
                  root_key: str | None = None) -> dict[str, tuple[datetime, str]]:
    """For each item's ``key``: (time, handle) of the brand's first reply below it.

    ``root_key`` names an item that is the thread's root: every reply in the thread is below it.
    Deleted replies are skipped (their author is unknown); an answer read earlier is kept by the store.
    """
    children: dict[str | None, list[Post]] = defaultdict(list)
    for post in replies:
        children[post.parent_key].append(post)

    def below(key: str) -> Iterable[Post]:
        stack = list(children.get(key, []))
        while stack:
            post = stack.pop()
            yield post
            stack.extend(children.get(post.key, []))

    out: dict[str, tuple[datetime, str]] = {}
    for item in items:
        pool = replies if item.key == root_key else list(below(item.key))
        answers = [p for p in pool if not p.deleted and handles.match(p.author) and p.published_at >= item.published_at]
        if answers:
            first = min(answers, key=lambda p: p.published_at)
            out[item.key] = (first.published_at, first.author)
    return out
