"""Hostile posts through the real path: a local feed server -> ingest -> store -> scoring -> every place they are shown.

The posts arrive in the recorded shapes of the Hacker News Algolia API (JSON, so it can carry NUL) and a
company RSS feed (the brand's own channel, so an emoji-only post belongs to the brand). They must be
stored intact on SQLite and PostgreSQL (NUL is the one documented exception: U+FFFD in text columns,
the original in ``raw``), scored, and shown inert in Dagster metadata, the digest's HTML and Markdown,
and Slack blocks for alerts and digests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from dagster_project.assets.ingest import source_assets
from dagster_project.assets.mentions import mentions as mentions_asset
from dagster_project.assets.scoring import scored_mentions
from dagster_project.resources import ListeningResource, wired
from listening.alerts import Alert, AlertExplanation, Post, render
from listening.config import load_config
from listening.digest import build_digest, slack_message, write_digest
from listening.enrich import score_pending
from listening.http import HttpClient, HttpPolicy, Politeness, Retry, Timeouts
from listening.ingest import run_ingest
from listening.nlp.scoring import get_scorer
from listening.normalize import text_hash
from listening.render import mentions_markdown
from listening.store import Store, mentions, scores
from tests.conftest import NOW
from tests.fault_server import FaultServer, ok

AT = NOW - timedelta(hours=1)
BIG = "Acme " + "lorem ipsum " * 87_400  # just over 1 MB
HN_TEXTS = {  # what the API sends (HTML) -> what a person reads, and what is stored
    "script": ("Acme &lt;script&gt;alert(document.cookie)&lt;/script&gt; is down",
               "Acme <script>alert(document.cookie)</script> is down"),
    "slack": ("Acme &lt;!channel&gt; &lt;@U123&gt; *bold* _it_ ~x~ `code` &lt;http://evil.example|click&gt; [a](javascript:x)",
              "Acme <!channel> <@U123> *bold* _it_ ~x~ `code` <http://evil.example|click> [a](javascript:x)"),
    "blockkit": ('Acme {"type": "section", "text": {"type": "mrkdwn", "text": "&lt;!here&gt;"}} # heading ![i](http://evil.example/i.png)',
                 'Acme {"type": "section", "text": {"type": "mrkdwn", "text": "<!here>"}} # heading ![i](http://evil.example/i.png)'),
    "invisible": ("Ac\u200bme is e\u202elive\u202c \u2066moc.evil\u2069 \ufeffAcme",
                  "Ac\u200bme is e\u202elive\u202c \u2066moc.evil\u2069 \ufeffAcme"),
    "big": (BIG, BIG.strip()),
    "nul": ("Acme nul\u0000byte outage", "Acme nul\ufffdbyte outage"),
}
RSS_ITEMS = {  # own channel: attributed to the brand without naming it
    "emoji": ("🔥🔥🔥", "🚀🚀🚀🙈"),
    "feedhtml": ("<!channel> \u202etxt.exe *deal*", "<p>win</p><script>alert(1)</script><img src=x onerror=alert(1)>"),
}
INVISIBLE = ("\u202e", "\u2066", "\u200b", "\x00")
FORBIDDEN = (*INVISIBLE, "<script", "<img src=x", "<!channel>", "<!here>", "<@U123>",
             "<http://evil.example|click>", "onerror=alert(1)>")
MARKDOWN_FORBIDDEN = ("](javascript", "![i](")  # link and image syntax; Slack's mrkdwn has neither


def hn_payload() -> bytes:
    hits = [{"objectID": f"9{i}", "created_at_i": int(AT.timestamp()) - i, "comment_text": sent,
             "story_title": "Acme thread \u202eevil", "author": "<@U999>\u0000bot", "_tags": ["comment"]}
            for i, (sent, _) in enumerate(HN_TEXTS.values())]
    hits.append({"objectID": "800", "created_at_i": int(AT.timestamp()), "title": "Acme launch", "url": "javascript:alert(1)",
                 "author": "x", "points": 3, "num_comments": 0, "_tags": ["story"]})
    return json.dumps({"hits": hits, "nbHits": len(hits), "page": 0, "nbPages": 1, "hitsPerPage": 100}).encode()


def rss_payload() -> bytes:
    items = "".join(
        f"<item><title><![CDATA[{title}]]></title><link>https://blog.acme.example/{key}</link>"
        f"<guid>https://blog.acme.example/{key}</guid><pubDate>{format_datetime(AT)}</pubDate>"
        f"<description><![CDATA[{body}]]></description></item>"
        for key, (title, body) in RSS_ITEMS.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Acme blog</title>'
            f"<link>https://blog.acme.example/</link><description>d</description>{items}</channel></rss>").encode()


@pytest.fixture(scope="module")
def feeds() -> Iterator[FaultServer]:
    with FaultServer() as server:
        server.route("/api/v1/search_by_date", ok(hn_payload(), "application/json; charset=utf-8"))
        server.route("/feed.xml", ok(rss_payload(), "application/rss+xml; charset=utf-8"))
        yield server


def write_config(folder: Path, server: FaultServer) -> Path:
    path = folder / "hostile.yaml"
    path.write_text(f"""
project: {{name: hostile, contact: test@example.com}}
endpoints: {{hackernews: "{server.base_url}"}}
brands:
  - key: acme
    name: Acme
    own: true
    sources:
      hackernews: [{{query: acme}}]
      feeds: [{{name: Acme blog, url: "{server.url('/feed.xml')}"}}]
""", encoding="utf-8")
    return path


def assert_inert(rendered: str, where: str, *, markdown: bool = True, html: bool = True) -> None:
    for bad in (FORBIDDEN if html else INVISIBLE) + (MARKDOWN_FORBIDDEN if markdown else ()):
        assert bad not in rendered, f"{where} shows {bad!r}"
    assert "lorem ipsum " * 400 not in rendered, f"{where} shows the whole 1 MB post"


def test_hostile_posts_are_stored_intact_and_scored(store_url: str, feeds: FaultServer, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, feeds))
    store = Store.open(store_url)
    policy = HttpPolicy(timeout=Timeouts(connect=2, read=10), retry=Retry(attempts=1), politeness=Politeness(min_interval_s=0))
    with HttpClient(policy) as client:
        first = run_ingest(config, store, client)
        again = run_ingest(config, store, client)
    assert first.failed == [] and again.failed == []
    assert first.new == len(HN_TEXTS) + 1 + len(RSS_ITEMS) and again.new == 0
    with store.engine.connect() as conn:
        rows = {r["native_id"]: r for r in conn.execute(sa.select(mentions)).mappings()}
    assert len(rows) == first.new
    for i, (_, stored) in enumerate(HN_TEXTS.values()):
        row = rows[f"9{i}"]
        assert row["text"] == stored
        assert row["title"] == "Acme thread \u202eevil" and row["author"] == "<@U999>\ufffdbot"
    assert len(rows["94"]["text"]) > 1_000_000
    assert "\\u0000" in rows["95"]["raw"] and json.loads(rows["95"]["raw"])["author"] == "<@U999>\x00bot"
    assert rows["800"]["url"] == "javascript:alert(1)", "stored as sent; only rendering decides what becomes a link"
    emoji = rows["https://blog.acme.example/emoji"]
    assert (emoji["title"], emoji["text"], emoji["brand"]) == ("🔥🔥🔥", "🚀🚀🚀🙈", "acme")
    assert rows["https://blog.acme.example/feedhtml"]["title"] == "<!channel> \u202etxt.exe *deal*"

    scorer = get_scorer()
    report = score_pending(store, scorer)
    assert report.scored == len({r["text_hash"] for r in rows.values()})
    with store.engine.connect() as conn:
        scored = set(conn.execute(sa.select(scores.c.text_hash).where(scores.c.model_id == scorer.model_id)).scalars())
    assert {r["text_hash"] for r in rows.values()} <= scored
    assert rows["94"]["text_hash"] == text_hash("Acme thread \u202eevil", BIG.strip())


@pytest.fixture(scope="module")
def pipeline(feeds: FaultServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One Dagster run of ingest + mentions + scoring on a fresh SQLite store, as the UI would show it."""
    tmp = tmp_path_factory.mktemp("hostile-pipeline")
    path = write_config(tmp, feeds)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LISTENING_HOME", str(tmp / "home"))
        mp.delenv("LISTENING_DATABASE_URL", raising=False)
        result = dg.materialize([*source_assets, mentions_asset, scored_mentions],
                                resources=wired(ListeningResource(config_path=str(path))))
        assert result.success
        yield {"result": result, "store": Store.open(), "config": load_config(path), "tmp": tmp}


def test_dagster_metadata_shows_hostile_posts_inertly(pipeline: dict[str, Any]) -> None:
    result = pipeline["result"]
    shown = []
    for node in ("hackernews_mentions", "rss_mentions", "mentions", "scored_mentions"):
        for key, value in result.asset_materializations_for_node(node)[0].metadata.items():
            if isinstance(value, dg.TableMetadataValue):
                # table cells are drawn as plain text (never Markdown or HTML): what must not get through is
                # invisible/bidi characters, the whole 1 MB post, and a link that is not http(s)
                records = [r.data for r in value.records]
                text = json.dumps(records, ensure_ascii=False)
                assert_inert(text, f"{node}.{key}", markdown=False, html=False)
                assert all(r.get("link", "") == "" or r["link"].startswith(("https://", "http://")) for r in records), key
            else:
                text = json.dumps(value.value, ensure_ascii=False, default=str) if not isinstance(value.value, str) else value.value
                assert_inert(text, f"{node}.{key}")
            shown.append(text)
    newest = result.asset_materializations_for_node("hackernews_mentions")[0].metadata["newest"].value
    own = result.asset_materializations_for_node("rss_mentions")[0].metadata["newest"].value
    assert "\\<\\!channel\\> txt.exe \\*deal\\*" in own and "Acme thread evil" in newest
    assert "Acme launch" in newest and "[Acme launch]" not in newest, "a javascript: URL never becomes a link"
    assert "](https://news.ycombinator.com/item?id=90)" in newest
    assert all(line.count("|") - line.count("\\|") == 7 for line in newest.splitlines()), "no cell breaks the table"


def test_terminal_table_and_markdown_helpers_stay_inert(pipeline: dict[str, Any]) -> None:
    from listening.render import cells, mentions_table
    from listening.store import browse_mentions

    rows = pipeline["store"].mention_frame_rows()
    assert_inert(mentions_markdown(rows, limit=50), "mentions_markdown")
    table = mentions_table(browse_mentions(pipeline["store"]), width=120)
    assert "\u202e" not in table and "\x00" not in table
    lines = table.splitlines()
    assert lines[0].endswith("  link") and max(cells(line.split("  http")[0]) for line in lines[1:]) <= 120, \
        "only the link column runs past the width"


def test_slack_alert_blocks_show_hostile_posts_inertly(pipeline: dict[str, Any]) -> None:
    rows = pipeline["store"].mention_frame_rows()
    posts = [Post(url=r["url"], text=r["text"], source=r["source"], author=r["author"], reach=1) for r in rows]
    explanation = AlertExplanation(brand="acme", ratio=5.0, baseline=1.0, current=5.0, share_now=0.9, share_baseline=0.2,
                                   since=AT.isoformat(), terms=[("<!channel>", 3)], topics=[("*x*", 2)], posts=posts)
    alert = Alert(key="acme:hostile", brand="acme", state="open", severity="high", opened_at=AT, updated_at=AT,
                  window_start=AT, window_end=AT, explanation=explanation)
    text, blocks = render(alert)
    dumped = text + json.dumps(blocks, ensure_ascii=False)
    assert_inert(dumped, "alert blocks", markdown=False)
    assert "*bold*" not in dumped and "&lt;!channel&gt;" in dumped
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "<https://news.ycombinator.com/item?id=90|" in dumped and "<javascript" not in dumped


def test_digest_html_markdown_and_slack_show_hostile_posts_inertly(pipeline: dict[str, Any]) -> None:
    iso = AT.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    digest = build_digest(pipeline["store"], pipeline["config"], week, get_scorer().model_id)
    assert digest.key_figures()["mentions"] == len(HN_TEXTS) + 1 + len(RSS_ITEMS)
    files = write_digest(digest, pipeline["tmp"] / "digest")
    html = files.html.read_text(encoding="utf-8")
    md = files.markdown.read_text(encoding="utf-8")
    text, blocks = slack_message(digest, "https://digests.example/d.html")
    assert_inert(html, "digest HTML", markdown=False)
    assert re.findall(r'<img[^>]+src="(?!data:image/png;base64,)', html) == [] and 'href="javascript' not in html
    assert re.search(r"(?<!\\)<(?:script|img|!channel)", md) is None and "\u202e" not in md and "\x00" not in md
    assert "lorem ipsum " * 400 not in md and "](javascript" not in md and "![i](" not in md
    assert_inert(text + json.dumps(blocks, ensure_ascii=False), "digest Slack message", markdown=False)
    assert files.html.stat().st_size < 2_000_000
