"""Text and time helpers shared by connectors: HTML to plain text, UTC times.

Sources hand us HTML fragments (feed summaries, HN comments) and times in many
shapes; every connector normalises them the same way so matching and scoring
see comparable text and the store sees UTC.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any

__all__ = ["from_epoch", "from_struct_time", "jsonable", "split_publisher", "strip_html"]

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table td th tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript"})
_SPACES = re.compile(r"\s+")
_SCALARS = (bool, int, float, str)


class _TextExtractor(HTMLParser):
    """Collects character data, turning block boundaries into spaces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def strip_html(fragment: str | None) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, spaces collapsed.

    >>> strip_html("<p>Hello&nbsp;<b>world</b> &amp; friends</p><p>bye</p>")
    'Hello world & friends bye'
    >>> strip_html("a<script>alert(1)</script>b <br/>c")
    'ab c'
    >>> strip_html(None)
    ''
    """
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:  # plain text (titles, most story texts): nothing to parse
        return _SPACES.sub(" ", fragment).strip()
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    return _SPACES.sub(" ", "".join(parser.parts)).strip()


def split_publisher(title: str) -> tuple[str, str]:
    """Split a Google News title "Headline - Publisher" at its last " - ".

    >>> split_publisher("Galaxy S27 review - The Verge")
    ('Galaxy S27 review', 'The Verge')
    >>> split_publisher("No publisher here")
    ('No publisher here', '')
    """
    head, sep, tail = title.rpartition(" - ")
    if not sep or not head.strip() or not tail.strip():
        return title.strip(), ""
    return head.strip(), tail.strip()


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """UTC datetime from feedparser's ``*_parsed`` (already in UTC).

    >>> from_struct_time(time.strptime("2026-11-20 09:30:00", "%Y-%m-%d %H:%M:%S"))
    datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.timezone.utc)
    """
    if value is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)


def from_epoch(seconds: int | float) -> datetime:
    """UTC datetime from Unix seconds.

    >>> from_epoch(0).isoformat()
    '1970-01-01T00:00:00+00:00'
    """
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def jsonable(value: Any) -> Any:
    """A JSON-serialisable copy of a parsed payload (``Mention.raw`` must store as JSON).

    >>> jsonable({"t": time.gmtime(0), "xs": (1, b"a"), "d": datetime(2026, 1, 1)})
    {'t': '1970-01-01T00:00:00+00:00', 'xs': [1, 'a'], 'd': '2026-01-01T00:00:00'}
    """
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, time.struct_time):
        return from_struct_time(value).isoformat()  # type: ignore[union-attr]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):  # exact scalars are kept inline: most of a payload's values are, so few calls recurse
        return {k if type(k) is str else str(k): v if type(v) in _SCALARS or v is None else jsonable(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v if type(v) in _SCALARS or v is None else jsonable(v) for v in value]
    return str(value)
