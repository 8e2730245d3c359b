"""Plain-text and Markdown views of mentions for the terminal and the Dagster UI.

Everything here shows text taken from the web, so it is sanitised on the way
out (:mod:`listening.sanitize`): invisible characters removed, Markdown link syntax and
HTML neutralised, only http(s) links rendered as links.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from listening.normalize import listed_words, row_title_is_thread
from listening.sanitize import clean

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


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


def cells(text: str) -> int:
    """Terminal columns ``text`` takes: wide (CJK) characters take two.

    >>> cells("abc"), cells("오류")
    (3, 4)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(text: str, width: int) -> str:
    """``text`` cut (with an ellipsis) and padded to exactly ``width`` terminal columns.

    >>> fit("로그인 오류가 계속", 9) + "|"
    '로그인 … |'
    >>> fit("ok", 4) + "|"
    'ok  |'
    """
    if cells(text) > width:
        out, used = [], 0
        for ch in text:
            w = cells(ch)
            if used + w > width - 1:
                break
            out.append(ch)
            used += w
        text = "".join(out) + "…"
    return text + " " * (width - cells(text))


_SHORT = {"negative": "neg", "neutral": "neu", "positive": "pos"}


def count_text(value: float) -> str:
    """An expected count as a reader checks it against the ratio beside it: one decimal, two significant digits below 1.

    "4 vs ~0.05" is the 80x printed next to it; "4 vs ~0.1" would read as 40x.

    >>> count_text(12.34), count_text(2.5), count_text(0.4), count_text(0.05), count_text(0.0)
    ('12.3', '2.5', '0.4', '0.05', '0')
    """
    return f"{value:.1f}" if value >= 0.95 else f"{value:.2g}"


def reach_cell(value: int | None) -> str:
    """A reach figure in at most 9 columns: exact up to 9,999,999, then rounded with M/B/T, then as a power of ten;
    "–" where the source gives none (a news headline has no views or followers; 0 would read as "nobody saw it").

    >>> reach_cell(12000), reach_cell(123_456_789), reach_cell(10**18), reach_cell(None)
    ('12,000', '123.5M', '1.00e+18', '–')
    """
    if not value:
        return "–"
    if abs(value) < 10_000_000:
        return f"{value:,}"
    for unit, size in (("T", 10**12), ("B", 10**9), ("M", 10**6)):
        if abs(value) >= size:
            scaled = value / size
            return f"{scaled:.1f}{unit}" if abs(scaled) < 1000 else f"{value:.2e}"
    return f"{value:,}"


def _sentiment_cell(row: Mapping[str, Any]) -> str:
    if not row.get("sentiment"):
        return "–"
    p = row.get("p")
    return f"{_SHORT.get(row['sentiment'], row['sentiment'])} {p:.2f}" if p is not None else str(row["sentiment"])


def axis_name(name: str, key: str) -> str:
    """The brand as the digest's tables name it, so a reader need not map ``kestrel`` to "Kestrel Home";
    its key where the name has wide (CJK) characters, which need a font the chart may not have.

    >>> axis_name("Kestrel Home", "kestrel"), axis_name("오르비틀리", "orbitly"), axis_name("", "acme")
    ('Kestrel Home', 'orbitly', 'acme')
    """
    return key if not name or cells(name) != len(name) else name


def listed_text(row: Mapping[str, Any]) -> str:
    """A listed mention's :func:`~listening.normalize.listed_words`: a comment (a row that says it has no reply
    count, under a thread's title) shows its own words.

    >>> listed_text({"source": "hackernews", "replies": None, "title": "Acme is hiring", "text": "Support ghosted me"})
    'Support ghosted me'
    >>> listed_text({"source": "hackernews", "replies": 4, "title": "Acme is hiring", "text": ""})
    'Acme is hiring'
    """
    return listed_words(str(row.get("title") or ""), str(row.get("text") or ""), thread_title=row_title_is_thread(row))


def mentions_lines(rows: Iterable[Mapping[str, Any]], width: int = 120) -> Iterator[str]:
    """Fixed-width terminal lines: time, brand, source, language, sentiment with its probability, topic, reach, text, link.

    The mention text is cut so each line up to the link fits ``width`` columns (wide CJK characters
    count twice); the link follows whole, so it stays clickable. "–" marks a mention not scored yet, and a reach
    the source does not give (:func:`reach_cell`).
    """
    head = f"{'published (UTC)':16}  {'brand':10} {'source':11} {'lang':4} {'sentiment':9} {'topic':14} {'reach':>9}  "
    text_width = max(10, width - len(head))
    yield head + fit("mention", text_width) + "  link"
    yield "-" * (len(head) + text_width)
    for r in rows:
        when = r["published_at"].strftime("%Y-%m-%d %H:%M")
        yield (f"{when:16}  {fit(clean(r['brand'], 40), 10)} {fit(clean(r['source'], 40), 11)} {fit(clean(r['lang'], 8), 4)} "
               f"{_sentiment_cell(r):9} {fit(clean(r.get('topic') or '–', 40), 14)} {reach_cell(r.get('reach')):>9}  "
               f"{fit(clean(listed_text(r), 400), text_width)}  {safe_link(r.get('url') or '') or ''}").rstrip()


def mentions_table(rows: Iterable[Mapping[str, Any]], width: int = 120) -> str:
    """:func:`mentions_lines` as one string."""
    return "\n".join(mentions_lines(rows, width))
