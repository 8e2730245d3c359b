"""One sanitiser for every surface: the terminal, Markdown (Dagster UI, digest) and Slack drop the same characters."""

from __future__ import annotations

import sys
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest

from listening.cli import main
from listening.mention import Mention
from listening.normalize import keyed
from listening.render import mentions_lines, mentions_markdown
from listening.sanitize import clean, strip_invisible
from listening.slack import escape, header
from listening.store import Store, mention_row, mentions
from tests.conftest import NOW

#: CSI (C1, one byte in a terminal), ESC, bidi override and isolate, zero-width space and joiner, a tag
#: character, soft hyphen, BOM, a lone surrogate and the Arabic letter mark.
HOSTILE = "Acme \x9b2J\x1b[31mdown\u202eexe.txt\u2066x\u2069 \u200bhi\u200d\U000e0041\u00ad\ufeff\ud800\u061c!"
INVISIBLE = "\x9b\x1b\u202e\u2066\u2069\u200b\u200d\U000e0041\u00ad\ufeff\ud800\u061c"


def test_every_control_and_format_character_is_dropped() -> None:
    invisible = [chr(cp) for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Cs")]
    assert strip_invisible("".join(invisible), keep="") == ""
    assert strip_invisible("Acme \t\n로그인 ログイン 🔥", keep="") == "Acme 로그인 ログイン 🔥"


@pytest.mark.parametrize("surface", [
    pytest.param(lambda t: clean(t, 400), id="one-line"),
    pytest.param(lambda t: "\n".join(mentions_lines([{"published_at": NOW, "brand": "acme", "source": "rss", "lang": "en",
                                                      "title": t, "url": "https://x.example/1"}])), id="terminal-table"),
    pytest.param(lambda t: mentions_markdown([{"published_at": NOW, "brand": "acme", "title": t,
                                               "url": "https://x.example/1"}]), id="markdown"),
    pytest.param(escape, id="slack-mrkdwn"),
    pytest.param(lambda t: header(t)["text"]["text"], id="slack-header"),
])
def test_no_surface_lets_an_invisible_character_through(surface) -> None:
    shown = surface(HOSTILE)
    assert not set(shown) & set(INVISIBLE)
    assert "down" in shown and "2J" in shown


def test_the_terminal_listing_strips_c1_controls(store_url: str, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LISTENING_DATABASE_URL", store_url)
    stored = HOSTILE.replace("\ud800", "")  # a lone surrogate cannot be hashed or stored
    m = Mention(source="hackernews", native_id="1", url="https://x.example/1", title="", text=stored,
                published_at=NOW - timedelta(hours=1), fetched_at=NOW, brand="acme", lang="en")
    k = keyed(m)
    store = Store.open(store_url)
    with store.transaction() as conn:
        store.upsert(conn, mentions, [mention_row(m, canonical_url=k.canonical_url, title_key=k.title_key,
                                                  text_hash=k.text_hash, brands=["acme"])])
    assert main(["mentions", "--since", "30d"]) == 0
    out = capsys.readouterr().out
    assert "Acme" in out and not set(out) & set(INVISIBLE)


def test_an_error_message_reaches_the_terminal_without_controls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "series.csv"
    path.write_text("timestamp,value\n2026-11-20T00:00:00Z\x9b2J,3\n", encoding="utf-8")
    assert main(["detect-spikes", "--input", str(path), "--output", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert "unparsable timestamp" in err and "\x9b" not in err
