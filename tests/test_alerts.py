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
    assert repo.load_state("crisis:acme")["detector"]["version"] == 2
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
    assert opened[0].state == "open" and opened[0].key == f"acme:{(T0 + 441 * STEP).isoformat()}"
    assert ("fr", 20) in opened[0].explanation.languages and opened[0].explanation.posts[0].reach > 0
