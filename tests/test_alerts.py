"""Alert lifecycle, explanation rendering and once-only Slack delivery."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from slack_server import BOT_TOKEN, SlackServer  # noqa: E402

from listening.alerts import (  # noqa: E402
    AlertLifecycle, BucketStats, MemoryRepository, Post, SqlRepository, deliver, render,
)
from listening.crisis import DetectorConfig  # noqa: E402
from listening.slack import SlackClient, SlackConfig  # noqa: E402

T0 = datetime(2024, 5, 6, tzinfo=timezone.utc)
STEP = timedelta(minutes=15)
CFG = DetectorConfig(bucket_seconds=900)
HOSTILE = Post(url="javascript:alert(1)", text="<!channel> *scam* <http://evil|click>", source="rss", author="<@U1>", reach=9)


def stream(n: int = 600, surge: tuple[int, int] = (450, 470), grow_at: int = 456) -> list[BucketStats]:
    """Quiet negative chatter, then a surge that widens to a new language and source."""
    rng = np.random.default_rng(4)
    out = []
    for i in range(n):
        neg, langs, srcs, posts = int(rng.poisson(6)), {"en": 1}, {"rss": 1}, ()
        if surge[0] <= i < surge[1]:
            neg = 40 if i < grow_at else 90
            langs = {"en": 30, "de": 10} if i >= grow_at else {"en": 40}
            srcs = {"rss": 20, "hackernews": 20}
            posts = (Post(url=f"https://news.example/{i}", text="terrible outage", source="rss", reach=100 + i), HOSTILE)
        out.append(BucketStats(
            start=T0 + i * STEP, negative=neg, total=neg + 60, reach_negative=neg * 10.0, languages=langs,
            sources=srcs, terms={"outage": neg}, topics={"service": neg}, posts=posts,
        ))
    return out


def run(repo, buckets, brand: str = "acme") -> list:
    return AlertLifecycle(brand, repo, CFG).observe_many(buckets)


def test_surge_opens_one_episode_then_updates_and_resolves():
    changed = run(MemoryRepository(), stream())
    assert [a.state for a in changed] == ["open", "updated", "resolved"]
    assert len({a.key for a in changed}) == 1
    key = changed[0].key
    assert key.startswith("acme:2024-05-10T")
    opened = changed[0].explanation
    assert opened.ratio > 3 and opened.share_now > opened.share_baseline
    assert ("hackernews", 20) in opened.sources
    assert changed[1].revision == 1 and ("de", 10) in changed[1].explanation.languages
    assert changed[2].resolved_at is not None and changed[2].severity in ("high", "critical")
    assert changed[2].explanation.since == changed[0].explanation.since, "resolved says since the episode began"


def test_quiet_stream_opens_nothing():
    assert run(MemoryRepository(), stream(surge=(0, 0))) == []


def test_resuming_from_saved_state_matches_one_long_run():
    buckets = stream()
    repo = MemoryRepository()
    pieces = [run(repo, buckets[i : i + 150]) for i in range(0, len(buckets), 150)]
    once = run(MemoryRepository(), buckets)
    assert [a for piece in pieces for a in piece] == once
    assert json.loads(json.dumps(repo.states["crisis:acme"], allow_nan=False))


def test_rendered_blocks_keep_hostile_text_inert():
    alert = run(MemoryRepository(), stream())[0]
    text, blocks = render(alert)
    dumped = json.dumps(blocks)
    assert "<!channel>" not in dumped and "<@U1>" not in dumped and "<http://evil" not in dumped
    assert "javascript:" not in dumped
    assert "<https://news.example/" in dumped
    assert blocks[0]["type"] == "header" and "acme" in text


def test_delivery_threads_updates_and_never_posts_a_state_twice():
    repo = MemoryRepository()
    run(repo, stream()[:460])
    with SlackServer() as slack:
        client = SlackClient(SlackConfig(bot_token=BOT_TOKEN, channel="C1", base_url=slack.api_url))
        with client:
            assert [lbl for _, lbl in deliver(repo, client)] == ["updated:1"]
            assert deliver(repo, client) == []
            run(repo, stream()[460:])
            assert [lbl for _, lbl in deliver(repo, client)] == ["resolved"]
        bodies = slack.messages()
    assert "thread_ts" not in bodies[0] and bodies[1]["thread_ts"]
    assert len(bodies) == 2


def test_failed_delivery_is_retried_next_run():
    repo = MemoryRepository()
    run(repo, stream()[:452])
    with SlackServer() as slack:
        cfg = SlackConfig(bot_token=BOT_TOKEN, channel="C1", base_url=slack.api_url, max_retries=0)
        slack.fail_next(1, status=500)
        with SlackClient(cfg) as client:
            assert deliver(repo, client) == []
            assert next(iter(repo.alerts.values())).delivered_state is None
            assert [lbl for _, lbl in deliver(repo, client)] == ["open"]
        assert len(slack.messages()) == 1


def test_sql_repository_persists_alerts_and_detector_state(tmp_path):
    store_mod = pytest.importorskip("listening.store")
    store = store_mod.Store.open(f"sqlite:///{tmp_path / 'l.db'}")
    repo = SqlRepository(store)
    changed = run(repo, stream())
    assert [a.state for a in changed] == ["open", "updated", "resolved"]
    saved = repo.get_alert(changed[0].key)
    assert saved is not None and saved.state == "resolved" and saved.explanation.posts[0].url.startswith("https://")
    assert repo.load_state("crisis:acme")["detector"]["version"] == 4
    with SlackServer() as slack, SlackClient(SlackConfig(webhook_url=slack.webhook_url)) as client:
        assert [lbl for _, lbl in deliver(repo, client)] == ["resolved"]
        assert deliver(repo, client) == []
    assert repo.get_alert(changed[0].key).delivered_state == "resolved"


def test_re_feeding_the_same_window_changes_nothing():
    repo = MemoryRepository()
    first = run(repo, stream()[:470])
    before = dict(repo.states)
    assert run(repo, stream()[:470]) == []
    assert repo.states == before and len(first) == 2


def test_long_gap_resolves_the_old_episode_before_opening_a_new_one():
    buckets = stream(n=460)
    late = buckets[-1].start + timedelta(days=2)
    after_gap = BucketStats(start=late, negative=2000, total=2100, languages={"en": 2000}, sources={"rss": 2000})
    changed = run(MemoryRepository(), [*buckets, after_gap])
    assert [a.state for a in changed] == ["open", "updated", "resolved", "open"]
    assert changed[2].key != changed[3].key and changed[3].key.endswith(late.isoformat())


def test_mentions_frame_to_alert_end_to_end():
    import polars as pl

    from listening.crisis import bucket_stats

    rng = np.random.default_rng(11)
    times, sentiment, langs = [], [], []
    for i in range(5 * 96):
        n_neg = 40 if 440 <= i < 450 else int(rng.poisson(4))
        for j in range(n_neg + 20):
            times.append(T0 + i * STEP + timedelta(seconds=int(rng.integers(0, 900))))
            sentiment.append("negative" if j < n_neg else "neutral")
            langs.append("fr" if 440 <= i < 450 and j % 2 else "en")
    frame = pl.DataFrame({
        "published_at": times, "sentiment": sentiment, "lang": langs, "source": ["rss"] * len(times),
        "url": [f"https://ex.example/{k}" for k in range(len(times))], "text": ["meh"] * len(times),
        "reach": list(range(len(times))), "keywords": [["refund", "outage"]] * len(times),
    })
    buckets = bucket_stats(frame, 900, T0, T0 + 5 * 96 * STEP)
    assert len(buckets) == 480 and sum(b.total for b in buckets) == frame.height
    opened = run(MemoryRepository(), buckets)
    assert opened[0].state == "open" and opened[0].key == f"acme:{(T0 + 440 * STEP).isoformat()}"
    assert ("fr", 20) in opened[0].explanation.languages and opened[0].explanation.posts[0].reach > 0


def test_the_alert_quotes_the_clearest_negatives_first():
    """The model misreads some posts (a positive comment scored 0.55 negative). Among posts of about the same
    small reach, the alert quotes the clearly negative ones first; a far wider reach still comes first."""
    import polars as pl

    from listening.crisis import bucket_stats

    rng = np.random.default_rng(5)
    rows = []
    for i in range(5 * 96):
        surge = 440 <= i < 450
        for j in range(40 if surge else int(rng.poisson(4))):
            misread = surge and j == 0
            rows.append({"published_at": T0 + i * STEP + timedelta(seconds=60 * (j % 14)), "sentiment": "negative",
                         "url": f"https://ex.example/{i}/{j}", "text": "misread praise" if misread else "clear complaint",
                         "reach": 2 if misread else j % 2, "p_negative": 0.55 if misread else 0.95})
        rows.append({"published_at": T0 + i * STEP, "sentiment": "neutral", "url": f"https://ex.example/{i}/n",
                     "text": "meh", "reach": 0, "p_negative": 0.1})
    rows.append({"published_at": T0 + 441 * STEP, "sentiment": "negative", "url": "https://news.example/wide",
                 "text": "wide headline", "reach": 90_000, "p_negative": 0.6})
    buckets = bucket_stats(pl.DataFrame(rows), 900, T0, T0 + 5 * 96 * STEP)
    alerts = run(MemoryRepository(), buckets)
    opened = alerts[0].explanation
    assert alerts[0].state == "open" and [p.text for p in opened.posts] == ["clear complaint"] * 5
    top = [p.text for p in alerts[-1].explanation.top_posts]
    assert top == ["wide headline"] + ["clear complaint"] * 4


def test_a_resolved_alert_breaks_down_the_same_mentions_it_counts():
    """"Lasted 2 h, N negative mentions" and the languages, sources and reach listed under it describe the same
    mentions: the calm hours before the stream is judged normal again add to none. The reach says how many of
    them it comes from: a headline or a comment gives no figure, and "negative reach 40" over a large outage
    otherwise reads as if few people saw it."""
    from listening.alerts import describe_markdown
    from listening.crisis import bucket_stats
    from listening.watch import mention_frame

    rng = np.random.default_rng(6)
    rows = []
    for i in range(5 * 96):
        surge = 440 <= i < 448
        for j in range(40 if surge else int(rng.poisson(4))):
            rows.append({"published_at": T0 + i * STEP + timedelta(seconds=20 * j), "sentiment": "negative",
                         "url": f"https://ex.example/{i}/{j}", "text": "complaint", "lang": "ko" if j % 3 else "en",
                         "source": "rss" if j % 2 else "hackernews", "views": 10 if j % 4 == 0 else None,
                         "author_followers": None, "likes": None, "score": None})
    frame = mention_frame(rows)
    alerts = run(MemoryRepository(), bucket_stats(frame, 900, T0, T0 + 5 * 96 * STEP))
    resolved = alerts[-1]
    assert resolved.state == "resolved" and resolved.resolved_at > resolved.active_until + timedelta(hours=2)
    e = resolved.explanation
    assert sum(n for _, n in e.languages) == sum(n for _, n in e.sources) == e.total
    counted = [r for r in rows if datetime.fromisoformat(e.since) <= r["published_at"] < resolved.active_until]
    assert len(counted) == e.total
    with_reach = [r for r in counted if r["views"] is not None]
    assert 0 < len(with_reach) < e.total and e.reach_negative == 10 * len(with_reach)
    assert f"negative reach {10 * len(with_reach):,} from {len(with_reach)} of {e.total} posts" in describe_markdown(resolved)


def test_each_bucket_keeps_the_posts_the_evidence_rule_puts_first():
    """The bucketer keeps a bucket's best posts with polars; they are exactly the ones, in the order,
    that ``evidence_rank`` gives the episode's pool, at the reach tiers' edges and with confidence missing."""
    import polars as pl

    from listening.crisis import bucket_stats, evidence_rank

    rng = np.random.default_rng(9)
    reaches = [0, 1, 8, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 99_999, 100_000, None]
    rows = [{"published_at": T0 + timedelta(minutes=int(rng.integers(0, 60))), "sentiment": "negative",
             "url": f"https://ex.example/{i}", "text": f"post {i}", "reach": reaches[int(rng.integers(len(reaches)))],
             "p_negative": None if i % 11 == 0 else round(float(rng.uniform(0.4, 1.0)), 2)} for i in range(400)]
    stats = bucket_stats(pl.DataFrame(rows), 900, T0, T0 + timedelta(hours=1), top_posts=7)
    assert len(stats) == 4
    for bucket in stats:
        mine = [{**r, "reach": r["reach"] or 0, "p_negative": 1.0 if r["p_negative"] is None else r["p_negative"]}
                for r in rows if bucket.start <= r["published_at"] < bucket.start + STEP]
        expected = [r["url"] for r in sorted(mine, key=evidence_rank)[:7]]
        assert [p.url for p in bucket.posts] == expected


def test_the_episode_keeps_its_peak_total_and_duration():
    buckets = stream()
    changed = run(MemoryRepository(), buckets)
    resolved = changed[-1]
    e = resolved.explanation
    assert e.ratio < 2, "the resolving bucket itself is back to normal"
    assert e.peak == 90 and e.peak_at == (T0 + 456 * STEP).isoformat() and e.peak_ratio >= 10
    assert e.peak_ratio == pytest.approx(90 / e.peak_baseline, rel=0.01) and e.headline_ratio == e.peak_ratio
    active = [b for b in buckets if resolved.window_start <= b.start < resolved.active_until]
    assert resolved.active_until == T0 + 470 * STEP, "the surge ends with its last abnormal bucket, not the calm after it"
    assert e.total == sum(b.negative for b in active) and resolved.duration == resolved.active_until - resolved.window_start
    assert dict(e.languages)["de"] == 10 * 14 and {"rss", "hackernews"} <= {s for s, _ in e.sources}
    text, blocks = render(resolved, first=False)
    shown = text + json.dumps(blocks, ensure_ascii=False)
    assert text.startswith("Resolved: acme") and f"{e.peak_ratio:.1f}x normal negative volume at peak" in text
    assert f"*{e.peak_ratio:.1f}×*" in shown and "lasted *4 h 45 min*" in shown and f"*{e.total:,}* negative mentions" in shown
    assert "0.0×" not in shown


def test_the_opening_message_shows_the_peak_so_far_and_the_bucket_size():
    opened = run(MemoryRepository(), stream())[0]
    text, blocks = render(opened)
    assert text.startswith("Negative spike: acme") and "per 15 min" in json.dumps(blocks)
    assert opened.explanation.peak_ratio == opened.explanation.ratio > 3


def surge(levels: dict[int, int], new_lang_at: int | None = None, n: int = 560) -> list[BucketStats]:
    """A quiet stream with the given negative counts at some buckets, one fresh post per surge bucket."""
    rng = np.random.default_rng(4)
    out = []
    for i in range(n):
        neg = levels.get(i, int(rng.poisson(6)))
        langs = {"en": neg} if new_lang_at is None or i < new_lang_at else {"en": neg - 5, "ja": 5}
        posts = tuple(Post(url=f"https://news.example/{i}/{k}", text="outage", source="rss", lang="en", reach=1000 - k)
                      for k in range(3)) if i in levels else ()
        out.append(BucketStats(start=T0 + i * STEP, negative=neg, total=neg + 60, languages=langs, sources={"rss": neg},
                               terms={"outage": neg}, posts=posts))
    return out


def test_a_surge_that_wobbles_below_its_peak_posts_no_update():
    levels = {i: 40 + (i % 3) * 9 for i in range(450, 470)}  # 40, 49, 58: never 1.5x the 40 that opened it
    changed = run(MemoryRepository(), surge(levels))
    assert [a.state for a in changed] == ["open", "resolved"]
    assert changed[-1].explanation.peak == 58


@pytest.mark.parametrize(("levels", "new_lang_at", "why"), [
    pytest.param({**{i: 40 for i in range(450, 460)}, **{i: 65 for i in range(460, 470)}}, None, "peak", id="new-peak"),
    pytest.param({i: 40 for i in range(450, 470)}, 460, "spread", id="new-language"),
])
def test_an_update_says_what_changed_and_shows_posts_not_shown_before(levels, new_lang_at, why):
    changed = run(MemoryRepository(), surge(levels, new_lang_at))
    states = [a.state for a in changed]
    assert states[0] == "open" and states[-1] == "resolved" and set(states[1:-1]) == {"updated"} and len(states) <= 4
    seen = [{p.url for p in a.explanation.posts} for a in changed]
    assert all(seen[:-1]) and sum(map(len, seen)) == len(set().union(*seen)), "no post is shown twice"
    if why == "peak":
        [updated] = [a for a in changed if a.state == "updated" and a.explanation.peak == 65]
        assert f"*{updated.explanation.peak_ratio:.1f}×*" in json.dumps(render(updated, first=False)[1], ensure_ascii=False)
    else:
        [updated] = [a for a in changed if a.explanation.new_languages]
        assert updated.explanation.new_languages == ["ja"]
        assert "Spread to ja" in json.dumps(render(updated, first=False)[1], ensure_ascii=False)
    assert render(updated, first=False)[0].startswith("Update: acme")


def test_a_catch_up_run_posts_one_message_that_says_what_happened():
    repo = MemoryRepository()
    resolved = run(repo, stream())[-1]
    with SlackServer() as slack, SlackClient(SlackConfig(webhook_url=slack.webhook_url)) as client:
        assert deliver(repo, client) == [(resolved.key, "resolved")]
        assert deliver(repo, client) == []
        [message] = slack.messages()
    body = json.dumps(message["blocks"], ensure_ascii=False)
    assert message["text"].startswith("Negative spike (over): acme")
    assert f"{resolved.explanation.peak_ratio:.1f}x normal negative volume at peak" in message["text"]
    for fact in ("Opened 2024-05-10 ", "lasted *", "negative mentions", "resolved 2024-05-1", "*Languages:*", "news.example"):
        assert fact in body, fact


def test_slack_messages_link_to_the_ui_when_it_is_configured():
    alert = run(MemoryRepository(), stream())[0]
    _, blocks = render(alert, ui_url="http://dagster.example:3000/")
    shown = json.dumps(blocks)
    assert "<http://dagster.example:3000/assets/crisis_alerts|alert in the UI>" in shown
    assert "<http://dagster.example:3000/assets/mentions|mentions in the UI>" in shown
    assert "dagster.example" not in json.dumps(render(alert)[1])


def test_stored_alerts_from_before_peaks_were_kept_still_read(tmp_path):
    store = pytest.importorskip("listening.store").Store.open(f"sqlite:///{tmp_path / 'l.db'}")
    old = {"brand": "acme", "ratio": 4.5, "baseline": 2.0, "current": 9.0, "share_now": 0.6, "share_baseline": 0.2,
           "since": T0.isoformat(), "peak": 9.0, "gone_field": 1}
    row = {"key": "acme:old", "brand": "acme", "state": "open", "severity": "high", "opened_at": T0, "updated_at": T0,
           "window_start": T0, "window_end": T0, "payload": json.dumps({"revision": 0, "explanation": old})}
    with store.transaction() as conn:
        store.upsert(conn, store_mod_alerts(), [row])
    alert = SqlRepository(store).get_alert("acme:old")
    assert alert.explanation.headline_ratio == 4.5 and "*4.5×*" in json.dumps(render(alert)[1], ensure_ascii=False)


def store_mod_alerts():
    from listening.store import alerts

    return alerts


def severity_examples() -> list:
    """The examples table of docs/crisis.md, as (example, ratio, z, languages, sources, reach, severity)."""
    text = (Path(__file__).parent.parent / "docs" / "crisis.md").read_text(encoding="utf-8")
    table = text.split("<!-- severity-examples -->", 1)[1].split("<!-- /severity-examples -->", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table.strip().splitlines()[2:]]
    return [pytest.param(float(r[1]), float(r[2]), int(r[3]), int(r[4]), float(r[5].replace(",", "")), r[6], id=r[0])
            for r in rows]


@pytest.mark.parametrize(("ratio", "z", "languages", "sources", "reach", "severity"), severity_examples())
def test_severity_follows_the_documented_examples(ratio, z, languages, sources, reach, severity):
    from listening.alerts import grade_episode

    assert grade_episode(peak_ratio=ratio, surprise=z, languages=languages, sources=sources, reach=reach)[0] == severity


def test_severity_is_graded_on_the_whole_episode_and_never_falls():
    changed = run(MemoryRepository(), stream())
    order = ["low", "medium", "high", "critical"]
    assert [order.index(a.severity) for a in changed] == sorted(order.index(a.severity) for a in changed)
    assert changed[-1].severity == "critical" and "2 languages" in changed[-1].explanation.severity_reasons


@pytest.mark.parametrize(("text", "kept", "dropped"), [
    pytest.param("Acme outage: as bad as it gets, and the app is down again", {"outage", "bad", "app"},
                 {"as", "and", "the", "is", "again", "acme"}, id="en"),
    pytest.param("아크미 앱 로그인 오류… 이용자가 불만, 정말 너무 심각", {"로그인", "오류", "이용자", "불만", "심각"},
                 {"이용자가", "정말", "너무", "아크미"}, id="ko"),
    pytest.param("アクメで大規模障害、アプリにログインできない状態が続く", {"大規模障害", "アプリ", "ログイン"},
                 {"で", "できない", "が", "アクメ"}, id="ja"),
])
def test_alert_terms_drop_stop_words_and_the_brand_in_each_language(text, kept, dropped):
    from listening.watch import driving_terms

    terms = set(driving_terms(text, "acme Acme 아크미 アクメ".casefold()))
    assert kept <= terms and not (dropped & terms)


def test_an_episode_saved_before_peaks_were_kept_resumes_with_its_peak():
    repo, buckets = MemoryRepository(), stream()
    run(repo, buckets[:455])
    episode = repo.states["crisis:acme"]["lifecycle"]["episode"]
    for key in ("peak_at", "peak_baseline", "peak_ratio", "surprise", "total", "total_active", "active_until", "timeline", "shown"):
        del episode[key]
    resolved = run(repo, buckets[455:])[-1]
    assert resolved.state == "resolved" and resolved.explanation.peak == 90 and resolved.explanation.peak_ratio >= 10
