"""Plain-text and Markdown views of mentions for the terminal and the Dagster UI.

Everything here shows text taken from the web, so it is sanitised on the way
out: control and bidi-override characters removed, Markdown link syntax and
HTML neutralised, only http(s) links rendered as links.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

_INVISIBLE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def clean(text: str, limit: int = 200) -> str:
    """One line of display text: invisible/bidi controls dropped, whitespace collapsed, truncated.

    >>> clean("evil\u202etxt.exe  \\n next", 40)
    'eviltxt.exe next'
    >>> clean("x" * 10, 5)
    'xxxx…'
    """
    text = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", text or "")).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_escape(text: str) -> str:
    r"""Escape Markdown so a post can never become a link, image, heading or HTML.

    >>> md_escape("[click](javascript:alert(1)) <script>")
    '\\[click\\]\\(javascript:alert\\(1\\)\\) \\<script\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", text)


def safe_link(url: str) -> str | None:
    """The URL if it is http(s) and free of characters that break Markdown, else None.

    >>> safe_link("javascript:alert(1)") is None
    True
    >>> safe_link("https://example.com/a b")
    'https://example.com/a%20b'
    """
    url = (url or "").strip()
    if not re.match(r"^https?://[^\s/]+", url, re.I):
        return None
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def mentions_markdown(rows: Iterable[Mapping[str, Any]], limit: int = 10) -> str:
    """A Markdown table of the newest mentions with links, for asset metadata."""
    lines = ["| published (UTC) | brand | source | lang | sentiment | mention |", "|---|---|---|---|---|---|"]
    for row in list(rows)[:limit]:
        title = md_escape(clean(row.get("title") or row.get("text") or "", 90))
        link = safe_link(row.get("url", ""))
        cell = f"[{title}]({link})" if link and title else title
        when = row["published_at"].strftime("%Y-%m-%d %H:%M") if row.get("published_at") else ""
        lines.append(f"| {when} | {md_escape(row.get('brand', ''))} | {row.get('source', '')} | {row.get('lang', '')} "
                     f"| {row.get('sentiment', '') or ''} | {cell} |")
    return "\n".join(lines)


def mentions_table(rows: list[Mapping[str, Any]], width: int = 100) -> str:
    """A fixed-width terminal table."""
    if not rows:
        return "no mentions match (try a wider --since, or run `listening demo` / `listening fetch` first)"
    head = f"{'published (UTC)':16}  {'brand':10} {'source':12} {'lang':4}  mention"
    text_width = max(20, width - len(head) + len("mention"))
    lines = [head, "-" * min(width, len(head) + text_width - len("mention"))]
    for r in rows:
        when = r["published_at"].strftime("%Y-%m-%d %H:%M")
        lines.append(f"{when:16}  {clean(r['brand'], 10):10} {r['source']:12} {r['lang']:4}  {clean(r['title'] or r['text'], text_width)}")
    return "\n".join(lines)
