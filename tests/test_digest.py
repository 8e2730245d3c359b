"""The weekly digest: figures match direct SQL counts, output is reproducible, labels localised."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from listening.digest import build_digest, digest_command, parse_week, partition_to_week, slack_message, write_digest
from listening.errors import InputError
from listening.reach import ReachChange
from listening.store import Store, mentions, scores
from tests.test_digest_fixtures import MODEL, W46, Builder, config, open_store, populate


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(tmp_path)
    populate(s)
    return s


def _sql_counts(store, start: str, end: str) -> dict[tuple[str, str], int]:
    q = (sa.select(mentions.c.brand, scores.c.sentiment, sa.func.count())
         .join(scores, sa.and_(scores.c.text_hash == mentions.c.text_hash, scores.c.model_id == MODEL))
         .where(mentions.c.published_at >= sa.func.datetime(start), mentions.c.published_at < sa.func.datetime(end),
                mentions.c.brand.in_(["acme", "rival", "other"]))
         .group_by(mentions.c.brand, scores.c.sentiment))
    with store.engine.connect() as conn:
        return {(b, s): n for b, s, n in conn.execute(q).all()}


def test_share_of_voice_and_sentiment_match_sql(store) -> None:
    d = build_digest(store, config(), "2026-W46", MODEL)
    now = _sql_counts(store, "2026-11-09", "2026-11-16")
    prev = _sql_counts(store, "2026-11-02", "2026-11-09")
    total, total_prev = sum(now.values()), sum(prev.values())
    assert total == 35 and d.methodology.total_mentions == total
    for s in d.share_of_voice:
        n = sum(v for (b, _), v in now.items() if b == s.brand)
        n0 = sum(v for (b, _), v in prev.items() if b == s.brand)
        assert (s.mentions, s.mentions_prev) == (n, n0)
        assert s.share == pytest.approx(n / total) and s.share_prev == pytest.approx(n0 / total_prev)
    for s in d.sentiment:
        pos, neg = now.get((s.brand, "positive"), 0), now.get((s.brand, "negative"), 0)
        assert (s.positive, s.negative, s.total) == (pos, neg, s.total)
        assert s.net == pytest.approx((pos - neg) / s.total) and s.negative_share == pytest.approx(neg / s.total)
        assert len(s.trend) == 8 and s.trend[-1] == s.net
    assert [s.brand for s in d.share_of_voice] == ["rival", "acme", "other"]


def test_reach_is_the_largest_engagement_figure(store) -> None:
    d = build_digest(store, config(), "2026-W46", MODEL)
    acme = next(s for s in d.share_of_voice if s.brand == "acme")
    assert acme.reach == sum(100 * (i + 1) for i in range(10))
    rival = next(s for s in d.share_of_voice if s.brand == "rival")
    assert rival.reach == sum(100 * (i + 1) for i in range(10)) + sum(5000 + i for i in range(8)) + 90_000
    assert sum(s.reach_share for s in d.share_of_voice) == pytest.approx(1.0)


def test_competitor_activity_campaigns_crises_and_changes(store) -> None:
    d = build_digest(store, config(), "2026-W46", MODEL)
    assert [(a.brand, a.kind) for a in d.activity] == [("rival", "press"), ("rival", "launch")]
    assert [(c.brand, c.day, c.positive) for c in d.campaigns] == [("rival", "2026-11-11", 8)]
    assert d.campaigns[0].evidence is not None and d.campaigns[0].evidence.url.startswith("https://")
    assert [(c.brand, c.severity, c.terms) for c in d.crises] == [("acme", "high", ["refund", "outage"])]
    assert 3 <= len(d.changes) <= 5 and d.changes[0].kind == "crisis"
    assert all(m.evidence is None or m.evidence.url.startswith("https://") for m in d.changes)
    themes = {t.topic: t for t in d.themes["rival"]}
    assert themes["campaign"].count == 8 and "giveaway" in themes["campaign"].keywords
    assert themes["campaign"].posts and themes["campaign"].posts[0].lang == "en"


def test_one_subject_told_in_two_languages_is_one_theme(tmp_path: Path) -> None:
    """An outage reported in English and in Korean can form two clusters of embeddings: the digest shows one
    "outage/bugs" theme holding both and quoting each language, not the same name twice."""
    store = open_store(tmp_path)
    b = Builder()
    for i in range(12):
        b.add("acme", W46 + timedelta(hours=1 + i), "negative", topic="outage/bugs", cluster="outage in English",
              text=f"Acme app down again, login fails for everyone {i}", views=1000 + i)
    for i in range(8):
        b.add("acme", W46 + timedelta(hours=2 + i), "negative", topic="outage/bugs", cluster="outage in Korean",
              lang="ko", text=f"에이크미 앱 먹통, 로그인 장애 계속 {i}", views=900 + i)
    for i in range(6):
        b.add("acme", W46 + timedelta(hours=3 + i), "positive", topic="pricing", text=f"Acme halves its price {i}")
    b.write(store)
    themes = build_digest(store, config(), "2026-W46", MODEL).themes["acme"]
    assert [t.topic for t in themes].count("outage/bugs") == 1, [t.topic for t in themes]
    outage = themes[0]
    assert outage.topic == "outage/bugs" and outage.count >= 18
    assert {p.lang for p in outage.posts} == {"en", "ko"}
    assert any(k.isascii() for k in outage.keywords) and any(not k.isascii() for k in outage.keywords)


def test_a_theme_named_by_a_topic_counts_and_quotes_only_posts_of_that_topic(tmp_path: Path) -> None:
    """Release notes and bug reports about the same update can share a cluster. Named "outage/bugs" by its
    majority, the theme must not quote a release note as a bug or count it as one."""
    store = open_store(tmp_path)
    b = Builder()
    for i in range(7):
        b.add("acme", W46 + timedelta(hours=1 + i), "negative", topic="outage/bugs", cluster="the 4.x update",
              text=f"Acme 4.{i} broke pairing for me, had to roll back", views=100 + i)
    for i in range(5):
        b.add("acme", W46 + timedelta(hours=2 + i), "positive", topic="launch/announcement", cluster="the 4.x update",
              text=f"Acme app 4.{i} is rolling out with faster sync", views=5000 + i)
    for i in range(6):
        b.add("acme", W46 + timedelta(hours=3 + i), "positive", topic="pricing", text=f"Acme halves its price {i}")
    b.write(store)
    themes = build_digest(store, config(), "2026-W46", MODEL).themes["acme"]
    bugs = next(t for t in themes if t.topic == "outage/bugs")
    assert 5 <= bugs.count <= 7, "only the bug reports count (of 7; clustering may leave one out)"
    assert bugs.posts and all("broke pairing" in p.label for p in bugs.posts)
    assert not {"rolling", "sync", "faster"} & set(bugs.keywords), bugs.keywords


def test_a_quote_states_its_reach_only_when_the_source_gives_one(tmp_path: Path) -> None:
    """A headline from a news search has no views or followers: "Reach 0" would read as "nobody saw it"."""
    store = open_store(tmp_path)
    b = Builder()
    for i in range(8):
        b.add("acme", W46 + timedelta(hours=1 + i), "negative", topic="outage/bugs", source="google_news",
              text=f"Acme outage leaves homes offline, report {i}")
    b.write(store)
    html = write_digest(build_digest(store, config(), "2026-W46", MODEL), tmp_path / "out").html.read_text(encoding="utf-8")
    assert "Acme outage leaves homes offline" in html and "Reach 0" not in html


def test_a_comment_is_quoted_by_its_own_words_and_named_with_its_thread(tmp_path: Path) -> None:
    """A Hacker News comment is stored under its story's title. Linking that title as the quote would put the
    story's words in the commenter's mouth: the digest links the comment's own words and names the thread."""
    store = open_store(tmp_path)
    b = Builder()
    for i in range(6):
        b.add("acme", W46 + timedelta(hours=1 + i), "negative", topic="outage/bugs", source="hackernews",
              title="Ask HN: Which smart plug [2026] do you trust?", text=f"Acme's app logged me out again, time number {i}",
              views=500 + i)
        b.add("acme", W46 + timedelta(hours=2 + i), "positive", topic="pricing", text=f"Acme halves its price {i}")
    b.write(store)
    d = build_digest(store, config(), "2026-W46", MODEL)
    posts = [p for t in d.themes["acme"] for p in t.posts if p.source == "hackernews"]
    assert posts and all(p.label.startswith("Acme's app logged me out again") for p in posts)
    assert {p.thread for p in posts} == {"Ask HN: Which smart plug [2026] do you trust?"}
    files = write_digest(d, tmp_path / "out")
    md, html = files.markdown.read_text(encoding="utf-8"), files.html.read_text(encoding="utf-8")
    assert "[Acme's app logged me out again, time number" in md and "in thread “Ask HN: Which smart plug \\[2026\\]" in md
    assert "Reach 50" in html, "a comment's score is its reach"
    assert "[Ask HN" not in md and ">Ask HN" not in html and "in thread “Ask HN: Which smart plug [2026] do you trust?”" in html


def test_reach_changes_hook_is_rendered(store, tmp_path: Path) -> None:
    change = {"brand": "rival", "account": "@rival", "platform": "x", "before": 0.02, "after": 0.05,
              "url": "javascript:alert(1)", "summary": "<b>engagement</b> jumped"}
    d = build_digest(store, config(), "2026-W46", MODEL, reach_changes=[change])
    assert d.reach_changes[0].change == pytest.approx(1.5) and d.reach_changes[0].url == ""
    html = write_digest(d, tmp_path / "out").html.read_text(encoding="utf-8")
    assert "&lt;b&gt;engagement&lt;/b&gt; jumped" in html and "javascript:" not in html


def test_reach_changes_from_the_reach_detector(store) -> None:
    change = ReachChange(platform="bluesky", account="@rival.example", changed_at=datetime(2026, 11, 10, tzinfo=timezone.utc),
                               direction="down", magnitude=-0.35, attribution="platform", ci_low=-0.5, ci_high=-0.2,
                               detected_at=datetime(2026, 11, 12, tzinfo=timezone.utc), posts_after=6)
    r = build_digest(store, config(), "2026-W46", MODEL, reach_changes=[change]).reach_changes[0]
    assert (r.platform, r.account, r.change, r.at, r.decided) == ("bluesky", "@rival.example", -0.35, "2026-11-10", "2026-11-12")
    assert (r.ci_low, r.ci_high, r.attribution, r.posts_after) == (-0.5, -0.2, "platform", 6)


def test_rerun_is_byte_identical(store, tmp_path: Path) -> None:
    first = write_digest(build_digest(store, config(), "2026-W46", MODEL), tmp_path / "a")
    second = write_digest(build_digest(store, config(), "2026-W46", MODEL), tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["digest-2026-W46-sentiment.png", "digest-2026-W46-sov.png", "digest-2026-W46.html", "digest-2026-W46.md"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert "](digest-2026-W46-sov.png)" in first.markdown.read_text(encoding="utf-8")
    assert second.html.name == "digest-2026-W46.html"


@pytest.mark.parametrize("lang, heading, label, topic", [
    pytest.param("ko", "점유율(SOV)", "이번 주 자사 위기", "가격", id="ko"),
    pytest.param("ja", "シェア・オブ・ボイス", "今週の自社クライシス", "価格", id="ja"),
    pytest.param("en", "Share of voice", "Our crises this week", "pricing", id="en"),
])
def test_labels_follow_the_language_and_posts_stay_original(store, tmp_path: Path, lang: str, heading: str, label: str,
                                                            topic: str) -> None:
    """Headings and a theme's taxonomy topic are in the digest's language; quoted posts stay as written."""
    files = write_digest(build_digest(store, config(lang=lang), "2026-W46", MODEL), tmp_path)
    html, md = files.html.read_text(encoding="utf-8"), files.markdown.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    for text in (html, md):
        assert heading in text and label in text
        assert f"**{topic}** —" in text or f'<span class="tag">{topic}</span>' in text
        assert "Rival launches the Orbit 2" in text


def test_lang_argument_overrides_config(store) -> None:
    assert build_digest(store, config(lang="en"), "2026-W46", MODEL, lang="ja").lang == "ja"
    with pytest.raises(InputError, match="unknown digest language"):
        build_digest(store, config(), "2026-W46", MODEL, lang="fr")


def test_week_start_and_timezone_move_the_window(store) -> None:
    late_sunday = Builder("late")
    late_sunday.add("acme", datetime(2026, 11, 8, 20, tzinfo=timezone.utc), "positive")
    late_sunday.write(store)
    utc = build_digest(store, config(), "2026-W46", MODEL)
    seoul = build_digest(store, config(tz="Asia/Seoul"), "2026-W46", MODEL)
    assert seoul.start == "2026-11-09 00:00 KST" and utc.start == "2026-11-09 00:00 UTC"
    assert seoul.methodology.total_mentions == utc.methodology.total_mentions + 1
    sunday = config().model_copy(update={"project": config().project.model_copy(update={"week_start": "sunday"})})
    assert build_digest(store, sunday, "2026-W46", MODEL).start == "2026-11-08 00:00 UTC"


@pytest.mark.parametrize("week", ["2026-46", "2026-W5", "W46", "2026-W00", "2026-W54", "", "2026-W46; DROP TABLE"])
def test_bad_week_strings_are_input_errors(week: str) -> None:
    with pytest.raises(InputError, match="ISO week"):
        parse_week(week)


def test_partition_keys_map_to_iso_weeks() -> None:
    assert partition_to_week("2025-01-06") == "2025-W02"
    assert partition_to_week("2026-12-28") == "2026-W53"
    with pytest.raises(InputError):
        partition_to_week("2026-W46")


def test_digest_command_writes_into_out_dir(store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "listening.yaml"
    path.write_text("project: {name: acme-listening}\nbrands:\n  - {key: acme, name: Acme, own: true}\n"
                    "  - {key: rival, name: Rival}\n  - {key: other, name: Other Co}\n", encoding="utf-8")
    monkeypatch.setenv("LISTENING_DATABASE_URL", str(store.engine.url))
    html = digest_command("2026-W46", "ko", tmp_path / "out", path, model_id=MODEL).html
    assert html == tmp_path / "out" / "digest-2026-W46.html" and "점유율" in html.read_text(encoding="utf-8")
    with pytest.raises(InputError):
        digest_command("46", None, tmp_path / "out", path, model_id=MODEL)


def test_slack_message_has_headlines_and_location(store) -> None:
    d = build_digest(store, config(), "2026-W46", MODEL)
    text, blocks = slack_message(d, "/srv/digests/digest-2026-W46.html")
    assert "2026-W46" in text and blocks[0]["type"] == "header"
    body = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "Share of voice" in body and "Rival" in body
    assert "/srv/digests/digest-2026-W46.html" in blocks[-1]["elements"][0]["text"]


def test_empty_store_still_renders(tmp_path: Path) -> None:
    files = write_digest(build_digest(open_store(tmp_path), config(), "2026-W46", MODEL), tmp_path / "out")
    assert "No notable movement" in files.html.read_text(encoding="utf-8")


@pytest.mark.postgres
def test_postgres_store_gives_the_same_digest(store, pg_url: str) -> None:
    pg = Store.open(pg_url)
    populate(pg)
    try:
        assert build_digest(pg, config(), "2026-W46", MODEL).to_dict() == build_digest(store, config(), "2026-W46", MODEL).to_dict()
    finally:
        pg.engine.dispose()


def _resolved_with_peak(store) -> None:
    """The fixture's alert as the lifecycle now stores it: resolved on a normal bucket, the episode's peak kept."""
    from listening.store import alerts

    with store.engine.connect() as conn:
        payload = json.loads(conn.execute(sa.select(alerts.c.payload)).scalar_one())
    start = datetime(2026, 11, 13, 10, tzinfo=timezone.utc)
    payload["explanation"].update(
        ratio=0.0, current=0.0, baseline=0.8, peak=40.0, peak_baseline=2.5, peak_ratio=16.0, surprise=7.2, total=180,
        peak_at="2026-11-13T11:15:00+00:00", active_until=(start + timedelta(hours=3, minutes=15)).isoformat(),
        languages=[["en", 120], ["ko", 40], ["ja", 20]], sources=[["google_news", 100], ["hackernews", 80]], bucket_minutes=15)
    with store.transaction() as conn:
        conn.execute(sa.update(alerts).values(payload=json.dumps(payload)))


@pytest.mark.parametrize("lang, headline, section, slack_line", [
    pytest.param("en", "Acme: crisis alert (high), peak 16.0× normal negative volume, lasted 3 h 15 min, 180 negative mentions",
                 "Peak: **16.0× normal** (40 vs 2.5 usual per 15 min, 2026-11-13 11:15 UTC) · Duration: 3 h 15 min · Negative mentions: 180",
                 "Acme (high, resolved) Peak *16.0× normal* (40 vs 2.5 usual per 15 min) · Duration 3 h 15 min · Negative mentions 180",
                 id="en"),
    pytest.param("ko", "Acme: 위기 알림(높음), 부정 언급 최고 평소의 16.0배, 3시간 15분 지속, 부정 언급 180건",
                 "최고치: **평소의 16.0배** (15분당 40건, 평소 2.5건, 2026-11-13 11:15 UTC) · 지속 시간: 3시간 15분 · 부정 언급: 180",
                 "Acme (높음, 해소) 최고치 *평소의 16.0배*", id="ko"),
    pytest.param("ja", "Acme: クライシスアラート(高)、ネガティブ言及はピーク時に通常の 16.0 倍、3時間15分継続、ネガティブ言及 180 件",
                 "ピーク: **通常の 16.0 倍** (15分あたり 40 件、通常 2.5 件, 2026-11-13 11:15 UTC) · 継続時間: 3時間15分 · ネガティブ言及: 180",
                 "Acme (高, 収束) ピーク *通常の 16.0 倍*", id="ja"),
])
def test_crises_lead_with_the_episode_peak_duration_and_total_in_every_language(
        store, tmp_path: Path, lang: str, headline: str, section: str, slack_line: str) -> None:
    _resolved_with_peak(store)
    digest = build_digest(store, config(lang=lang), "2026-W46", MODEL)
    assert digest.changes[0].text == headline
    files = write_digest(digest, tmp_path)
    md, html = files.markdown.read_text(encoding="utf-8"), files.html.read_text(encoding="utf-8")
    assert section in md and "google\\_news (100)" in md
    assert "16.0" in html and "3" in html and "google_news (100)" in html
    _, blocks = slack_message(digest, "https://digests.example/d.html")
    posted = json.dumps(blocks, ensure_ascii=False)
    assert slack_line in posted
    for text in (md, html, posted):
        assert "0.0×" not in text and "0.0배" not in text and "0.0 倍" not in text


def test_an_alert_stored_before_peaks_were_kept_shows_its_own_ratio(store) -> None:
    digest = build_digest(store, config(), "2026-W46", MODEL)
    [crisis] = digest.crises
    assert (crisis.ratio, crisis.current, crisis.baseline, crisis.duration, crisis.total) == (4.5, 9.0, 2.0, "4 h", 0)
    assert digest.changes[0].text == "Acme: crisis alert (high), peak 4.5× normal negative volume, lasted 4 h"
