"""Hostile posts cannot inject into, break or bloat the digest's HTML, Markdown or Slack output."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from listening.digest import build_digest, slack_message, write_digest
from tests.test_digest_fixtures import HOSTILE_TEXT, MODEL, W46, Builder, config, open_store, populate

BIG = HOSTILE_TEXT + "x" * 100_000


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("hostile")
    store = open_store(tmp)
    populate(store)
    b = Builder("evil")
    for i in range(3):
        b.add("rival", W46 + timedelta(days=2, hours=i), "negative", topic="pricing", text=BIG,
              title="<img src=x onerror=alert(1)> \u202e[title](javascript:alert(1))", lang='en" onmouseover="x',
              views=10**9 + i, url="javascript:alert(document.cookie)")
    b.add("rival", W46 + timedelta(days=1, hours=5), "positive", topic="product launch", is_own=True, views=10**8,
          title="Launch <script>fetch('https://evil.example')</script>", text=BIG, url="https://evil.example/x?a=1&b=<2>")
    b.write(store)
    digest = build_digest(store, config(), "2026-W46", MODEL, reach_changes=[{"brand": "rival", "summary": BIG}])
    files = write_digest(digest, tmp / "out")
    text, blocks = slack_message(digest, "/srv/digest <!channel>.html")
    return {"html": files.html.read_text(encoding="utf-8"), "md": files.markdown.read_text(encoding="utf-8"),
            "slack": text + json.dumps(blocks, ensure_ascii=False)}


@pytest.mark.parametrize("kind", ["html", "md", "slack"])
def test_no_bidi_override_and_no_100kb_text(outputs: dict[str, str], kind: str) -> None:
    out = outputs[kind]
    assert "\u202e" not in out
    assert "x" * 500 not in out


def test_html_escapes_everything_and_fetches_nothing(outputs: dict[str, str]) -> None:
    html = outputs["html"]
    assert "<script" not in html and "<img src=x" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html and "onmouseover" not in html.replace("&#34; onmouseover", "")
    assert 'lang="und"' in html
    assert re.findall(r'\b(?:src|href)="(?!data:image/png;base64,|https?://)', html) == []
    assert re.findall(r'<(?:link|script|iframe|object|embed|base|form)\b', html) == []
    assert "@import" not in html and "url(" not in html
    external = re.findall(r'<img[^>]+src="(?!data:)', html)
    assert external == []
    assert 'href="https://evil.example/x?a=1&amp;b=%3C2%3E"' in html
    assert "default-src 'none'" in html


def test_markdown_cannot_form_links_images_or_html(outputs: dict[str, str]) -> None:
    md = outputs["md"]
    assert re.search(r"(?<!\\)<(?:script|img|!channel)", md) is None
    assert re.findall(r"(?<!\\)\]\((?!digest-2026-W46-|https?://)", md) == []
    assert "![img](http://evil.example" not in md and "[click](" not in md
    images = re.findall(r"!\[[^\]]*\]\(([^)]*)\)", md)
    assert images == ["digest-2026-W46-sov.png", "digest-2026-W46-sentiment.png"]
    for line in md.splitlines():
        if line.startswith("#"):
            assert "heading" not in line
        if line.startswith("|"):
            assert line.count("|") - line.count("\\|") in (6, 8), line


def test_slack_cannot_ping_or_format(outputs: dict[str, str]) -> None:
    out = outputs["slack"]
    assert "<!channel>" not in out and "&lt;!channel&gt;" in out
    assert "<javascript" not in out and "<https://evil.example|login>" not in out
