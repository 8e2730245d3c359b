"""The per-item guard: one bad payload item becomes a :class:`Skipped` row, never a failed task.

Every connector maps its payload items through :func:`guarded`. Whatever goes
wrong while turning one item into a :class:`~listening.mention.Mention` (a
``BadItem`` a mapper raised on purpose, or any ``TypeError``/``ValueError``/
``OverflowError`` a hostile value provokes) is recorded with its reason and the
rest of the page is kept. :func:`checked` then makes sure the Mention itself is
well-typed and in range, so nothing downstream (matching, de-duplication, the
store) trips over a value the mapper let through.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from listening.mention import Mention
from listening.sources.base import Skipped

__all__ = ["BadItem", "EARLIEST", "LATEST", "as_object", "checked", "guarded"]

logger = logging.getLogger(__name__)

#: Dates outside this range are not dates a public post can have (and break date arithmetic downstream).
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2999, 12, 31, tzinfo=timezone.utc)
_TEXT_FIELDS = ("source", "native_id", "url", "title", "text", "author", "lang", "query")
_COUNT_FIELDS = ("author_followers", "likes", "reposts", "replies", "views", "score")
_COUNT_LIMIT = 2**63  # the store's BIGINT
_LANG_LIMIT = 8  # the store's lang column
_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON's "\\ud800" decodes to one; UTF-8 cannot encode it


class BadItem(ValueError):
    """An item that cannot become a Mention, with a short machine-readable ``reason``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def as_object(item: Any, what: str) -> dict[str, Any]:
    """``item`` if it is a JSON object; raises :class:`BadItem` ("not_object") otherwise."""
    if not isinstance(item, dict):
        raise BadItem("not_object", f"{what} is {type(item).__name__}, not an object")
    return item


def checked(m: Mention) -> Mention:
    """``m`` if every field has its declared type and a storable value; raises :class:`BadItem` otherwise.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 11, 24, tzinfo=timezone.utc)
    >>> checked(Mention("hackernews", "1", 7, "t", "x", t, t))
    Traceback (most recent call last):
    listening.sources.items.BadItem: item 1: url is int, not text
    """
    who = str(m.native_id)[:80]
    for name in _TEXT_FIELDS:
        value = getattr(m, name)
        if not isinstance(value, str):
            raise BadItem("bad_field", f"item {who}: {name} is {type(value).__name__}, not text")
    if not m.native_id:
        raise BadItem("no_id", "item without an id")
    if len(m.lang) > _LANG_LIMIT:
        raise BadItem("bad_field", f"item {who}: language tag {m.lang[:40]!r} is not a language code")
    for name in ("published_at", "fetched_at"):
        value = getattr(m, name)
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise BadItem("bad_time", f"item {who}: {name} is not an aware datetime")
    if not EARLIEST <= m.published_at <= LATEST:
        raise BadItem("bad_time", f"item {who}: date {m.published_at.isoformat()} is out of range")
    for name in _COUNT_FIELDS:
        value = getattr(m, name)
        if value is not None and (type(value) is not int or not -_COUNT_LIMIT < value < _COUNT_LIMIT):
            raise BadItem("bad_field", f"item {who}: {name} {str(value)[:40]!r} is not a count")
    if not isinstance(m.is_own, bool) or not isinstance(m.raw, dict):
        raise BadItem("bad_field", f"item {who}: is_own or raw has the wrong type")
    return _without_lone_surrogates(m)


def _without_lone_surrogates(m: Mention) -> Mention:
    r"""``m`` with each unpaired surrogate replaced by U+FFFD: the post is kept, one character is lost.

    A JSON payload may escape half of a UTF-16 pair (``"\ud83d"``); hashing and storing such text fails.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 11, 24, tzinfo=timezone.utc)
    >>> _without_lone_surrogates(Mention("mastodon", "1", "", "", "ok \ud83d", t, t)).text == "ok \N{REPLACEMENT CHARACTER}"
    True
    """
    fixed = {name: _SURROGATE.sub("\ufffd", getattr(m, name)) for name in _TEXT_FIELDS
             if _SURROGATE.search(getattr(m, name))}
    raw = json.dumps(m.raw, ensure_ascii=False, default=str)
    if _SURROGATE.search(raw):
        fixed["raw"] = json.loads(_SURROGATE.sub("\ufffd", raw))
    return dataclasses.replace(m, **fixed) if fixed else m


def guarded(what: str, skipped: list[Skipped], convert: Callable[..., Mention], /, *args: Any, **kwargs: Any
            ) -> Mention | None:
    """``convert(*args, **kwargs)`` checked, or ``None`` with the reason appended to ``skipped``.

    Never raises for one item. ``what`` names the item in the detail of an unexpected failure
    ("HN query 'acme' page 3 hit 7"); a :class:`BadItem` carries its own detail.

    >>> skipped = []
    >>> guarded("hit 1", skipped, lambda xs: xs[1], []), skipped
    (None, [Skipped(reason='unreadable', detail='hit 1: IndexError: list index out of range')])
    """
    try:
        return checked(convert(*args, **kwargs))
    except BadItem as bad:
        skip = Skipped(bad.reason, bad.detail)
    except Exception as exc:  # noqa: BLE001 - any failure on one item is that item's, not the task's
        skip = Skipped("unreadable", f"{what}: {type(exc).__name__}: {str(exc)[:300]}")
    logger.warning("%s skipped: %s", what, skip.detail)
    skipped.append(skip)
    return None
