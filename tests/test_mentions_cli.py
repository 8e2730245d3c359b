"""`listening mentions` on a real SQLite store: scored columns, filters, exports, limits and closed pipes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from listening.cli import main
from listening.mention import Mention
from listening.normalize import keyed
from listening.render import cells
from listening.store import MentionFilter, Store, browse_mentions, mention_row, mentions, scores
from listening.tables import mention_table
from tests.conftest import NOW

T0 = NOW - timedelta(days=2)

# native id: (brand, lang, title/text, is_own, followers, views, latest score or None)
POSTS = {
    "1": ("orbitly", "en", "Orbitly outage: sync down for hours", False, 12000, None, ("negative", 0.91, "outage")),
    "2": ("orbitly", "ko", "오르비틀리 로그인 오류가 계속 나요", False, 300, None, ("negative", 0.74, "outage")),
    "3": ("orbitly", "ja", "オービトリーの新機能がとても便利", False, 50, 9000, ("positive", 0.88, "product")),
    "4": ("orbitly", "en", "Orbitly 3.0 is here: offline mode", True, 40000, None, ("neutral", 0.66, "launch")),
    "5": ("rival", "en", "=HYPERLINK(\"https://evil.example\",\"click\") rival pricing", False, 10, None, ("neutral", 0.55, "pricing")),
    "6": ("rival", "ko", "라이벌 가격 인상 소식", False, 800, None, None),
}


def _mention(nid: str) -> Mention:
    brand, lang, text, own, followers, views, _ = POSTS[nid]
    return Mention(source="mastodon" if own else "hackernews", native_id=nid, url=f"https://example.org/posts/{nid}",
                   title="", text=text, published_at=T0 + timedelta(hours=int(nid)), fetched_at=NOW, brand=brand, lang=lang,
                   author=f"user{nid}", author_followers=followers, views=views, is_own=own)


@pytest.fixture
def store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Mentions and scores written through the store's own upserts (SQLite and PostgreSQL); post 6 is not scored yet.

    Each text has an older score from a previous model that says the opposite: the listing shows the latest.
    """
    monkeypatch.setenv("LISTENING_DATABASE_URL", store_url)
    store = Store.open(store_url)
    rows, score_rows = [], []
    for nid, (*_, score) in POSTS.items():
        m = _mention(nid)
        k = keyed(m)
        rows.append(mention_row(m, canonical_url=k.canonical_url, title_key=k.title_key, text_hash=k.text_hash, brands=[m.brand]))
        if score is None:
            continue
        sentiment, p, topic = score
        rest = (1 - p) / 2
        probs = {f"p_{s}": (p if s == sentiment else rest) for s in ("negative", "neutral", "positive")}
        score_rows.append({"text_hash": k.text_hash, "model_id": "model-new", "sentiment": sentiment, **probs, "topic": topic,
                           "embedding": None, "scored_at": NOW - timedelta(hours=1)})
        score_rows.append({"text_hash": k.text_hash, "model_id": "model-old", "sentiment": "positive" if sentiment != "positive" else "negative",
                           "p_negative": 0.3, "p_neutral": 0.3, "p_positive": 0.4, "topic": "other", "embedding": None,
                           "scored_at": NOW - timedelta(days=1)})
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows)
        store.upsert(conn, scores, score_rows)
    return store


def ids(rows: list[dict]) -> list[str]:
    return [r["url"].rsplit("/", 1)[1] for r in rows]


@pytest.mark.parametrize(("where", "expected"), [
    pytest.param(MentionFilter(), ["6", "5", "4", "3", "2", "1"], id="all-newest-first"),
    pytest.param(MentionFilter(sentiment="negative"), ["2", "1"], id="sentiment"),
    pytest.param(MentionFilter(topic="outage", lang="ko"), ["2"], id="topic-and-lang"),
    pytest.param(MentionFilter(min_reach=9000), ["4", "3", "1"], id="min-reach-uses-views-or-followers"),
    pytest.param(MentionFilter(text="로그인 오류"), ["2"], id="korean-substring"),
    pytest.param(MentionFilter(text="新機能"), ["3"], id="japanese-substring"),
    pytest.param(MentionFilter(text="OUTAGE"), ["1"], id="ascii-case-insensitive"),
    pytest.param(MentionFilter(text="100%_"), [], id="like-wildcards-are-literal"),
    pytest.param(MentionFilter(own=True), ["4"], id="own"),
    pytest.param(MentionFilter(own=False, brand="rival"), ["6", "5"], id="not-own"),
])
def test_filters_select_the_matching_mentions(store: Store, where: MentionFilter, expected: list[str]) -> None:
    assert ids(browse_mentions(store, where)) == expected


def test_rows_carry_the_latest_score_its_probability_topic_and_reach(store: Store) -> None:
    listed = browse_mentions(store)
    rows = dict(zip(ids(listed), listed))
    assert (rows["1"]["sentiment"], rows["1"]["p"], rows["1"]["topic"], rows["1"]["model_id"]) == ("negative", 0.91, "outage", "model-new")
    assert rows["3"]["reach"] == 9000 and rows["1"]["reach"] == 12000
    assert rows["6"]["sentiment"] is None and rows["6"]["p"] is None, "an unscored mention is listed without a score"


def test_the_table_shows_sentiment_with_p_topic_reach_and_link(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mentions", "--brand", "orbitly", "--width", "100"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:8] == ["published", "(UTC)", "brand", "source", "lang", "sentiment", "topic", "reach"]
    korean = next(line for line in lines if "오르비틀리" in line)
    assert "neg 0.74" in korean and "outage" in korean and "300" in korean and korean.endswith("https://example.org/posts/2")
    before_link = [line.rsplit("  ", 1)[0] for line in lines[2:]]
    assert {cells(line) for line in before_link} == {100}, "wide characters are counted twice, so columns line up"


def newest_row(store: Store, capsys: pytest.CaptureFixture[str], **fields: object) -> str:
    """Store one rival headline from an hour ago (``fields`` override) and return its line in the table."""
    m = Mention(**{"source": "rss", "native_id": "newest", "url": "https://news.example/h", "title": "a headline", "text": "",
                   "published_at": NOW - timedelta(hours=1), "fetched_at": NOW, "brand": "rival", "lang": "en", **fields})
    k = keyed(m)
    with store.transaction() as conn:
        store.upsert(conn, mentions, [mention_row(m, canonical_url=k.canonical_url, title_key=k.title_key,
                                                  text_hash=k.text_hash, brands=["rival"])])
    assert main(["mentions", "--limit", "1", "--width", "100"]) == 0
    return capsys.readouterr().out.splitlines()[2]


def test_huge_reach_and_missing_links_keep_the_width(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    row = newest_row(store, capsys, url="javascript:alert(1)", title="a headline with a huge reach", views=9_000_000_000_000_000_000)
    assert "9.00e+18" in row and "javascript" not in row and cells(row) == 100


def test_a_mention_without_a_reach_figure_shows_a_dash_not_zero(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    row = newest_row(store, capsys, source="google_news", title="Rival opens a lab in Osaka")
    assert "Rival opens a lab" in row and row.split()[7] == "–"


def test_a_comment_is_listed_by_its_own_words_not_its_threads_title(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    """A Hacker News comment is stored under its story's title; listed by that title, a comment scored negative read
    "Kestrel Home is hiring firmware engineers · negative 0.72". A story (it has a reply count) keeps its title."""
    comment = newest_row(store, capsys, source="hackernews", title="Rival is hiring", text="Ghosted again")
    assert "Ghosted again" in comment and "hiring" not in comment
    story = newest_row(store, capsys, source="hackernews", native_id="story", title="Rival is hiring", text="", replies=12,
                       url="https://news.example/story", published_at=NOW - timedelta(minutes=30))
    assert "Rival is hiring" in story
    ui = mention_table(browse_mentions(store, MentionFilter(brand="rival", source="hackernews")))
    listed = dict(zip(ui["link"].to_list(), ui["mention"].to_list()))
    assert (listed["https://news.example/story"], listed["https://news.example/h"]) == ("Rival is hiring", "Ghosted again")


def test_unscored_mentions_show_a_dash(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mentions", "--brand", "rival", "--lang", "ko"]) == 0
    row = capsys.readouterr().out.splitlines()[2]
    assert row.split()[5:7] == ["–", "–"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_exports_hold_every_match_with_full_values(store: Store, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"m.{fmt}"
    assert main(["mentions", "--sentiment", "negative", "--format", fmt, "--output", str(out)]) == 0
    frame = {"csv": pl.read_csv, "jsonl": pl.read_ndjson, "parquet": pl.read_parquet}[fmt](out)
    assert frame["text"].to_list() == [POSTS["2"][2], POSTS["1"][2]]
    assert frame["p"].to_list() == [0.74, 0.91] and frame["reach"].to_list() == [300, 12000]
    assert frame["url"].to_list() == ["https://example.org/posts/2", "https://example.org/posts/1"]
    assert not list(tmp_path.glob("*.tmp")), "no temporary file is left beside the export"


def test_csv_to_stdout_defuses_spreadsheet_formulas(store: Store, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["mentions", "--brand", "rival", "--text", "HYPERLINK", "--format", "csv"]) == 0
    row = next(csv.DictReader(capfdbinary.readouterr().out.decode().splitlines()))
    assert row["text"].startswith("'=HYPERLINK") and row["sentiment"] == "neutral"


def test_jsonl_keeps_text_exactly(store: Store, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["mentions", "--brand", "rival", "--text", "HYPERLINK", "--format", "jsonl"]) == 0
    assert json.loads(capfdbinary.readouterr().out)["text"] == POSTS["5"][2]


@pytest.mark.parametrize("argv", [
    pytest.param(["--limit", "0"], id="limit-0"),
    pytest.param(["--limit", "-1"], id="limit-negative"),
    pytest.param(["--min-reach", "-5"], id="negative-reach"),
    pytest.param(["--sentiment", "angry"], id="unknown-sentiment"),
])
def test_bad_values_are_refused_with_a_clear_message(store: Store, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["mentions", *argv])
    assert info.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_parquet_needs_an_output_file(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mentions", "--format", "parquet"]) == 2
    assert "--output FILE" in capsys.readouterr().err


def test_limit_caps_the_listing(store: Store) -> None:
    assert ids(browse_mentions(store, limit=2)) == ["6", "5"]


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_a_closed_pipe_ends_quietly(store: Store, fmt: str) -> None:
    """`listening mentions ... | head -1` on far more output than a pipe buffers: no "Broken pipe", exit 0."""
    many = []
    for i in range(3000):
        m = Mention(source="rss", native_id=f"bulk{i}", url=f"https://example.org/bulk/{i}", title=f"bulk headline {i} " * 3,
                    text="", published_at=T0 - timedelta(minutes=i), fetched_at=NOW, brand="orbitly", lang="en")
        k = keyed(m)
        many.append(mention_row(m, canonical_url=k.canonical_url, title_key=k.title_key, text_hash=k.text_hash, brands=["orbitly"]))
    with store.transaction() as conn:
        store.upsert(conn, mentions, many)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run(f"{sys.executable} -m listening.cli mentions --limit 5000 --format {fmt} | head -1",
                         shell=True, capture_output=True, env=env, timeout=120)
    assert run.stderr == b"", run.stderr.decode()
    assert run.stdout.decode().startswith("published" if fmt == "table" else "published_at,")
    producer = subprocess.Popen([sys.executable, "-m", "listening.cli", "mentions", "--limit", "5000", "--format", fmt],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert producer.stdout is not None
    producer.stdout.readline()
    producer.stdout.close()
    _, err = producer.communicate(timeout=120)
    assert (producer.returncode, err) == (0, b"")
