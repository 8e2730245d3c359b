"""The demo's weekly digest: last complete week, the replay's launch and crisis in it, figures equal to SQL.

Runs the README's demo path (``listening demo``: the main job, the timeseries
backfill and the digest job in a child process on the offline replay) at
today's date, with a local Slack stand-in in webhook mode, then reads the store
with plain SQL and what Slack received. The demo sees the whole crisis at once,
so its alert is the catch-up summary, and every surface must carry the episode's
peak (the replay's outage is 16-22x normal), never the resolving bucket's 0.0x.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from listening.digest import digest_command, last_complete_week, week_bounds
from listening.pipeline import run_demo
from listening.replay import Replay
from listening.store import Store
from tests.conftest import NOW
from tests.slack_server import SlackServer

BRANDS = {"orbitly": "Orbitly", "vantro": "Vantro", "kestrel": "Kestrel Home"}


def sql(store: Store, query: str, **params: object) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query), params).all()]


def peak(text: str, pattern: str) -> float:
    """The largest ratio ``pattern`` finds in ``text`` (it must find one)."""
    found = [float(x) for x in re.findall(pattern, text)]
    assert found, f"{pattern!r} not in {text[:2000]!r}"
    return max(found)


KO_AFTER_NOUN = ("이", "가", "은", "는", "을", "를", "에", "의", "도", "로", "와", "과", "만", "까지", "부터", "처럼", "보다", "나",
                 "랑", "하", "했", "한", "할", "된", "되", "됐", "들", "께", "라", "인", "입", "이에요", "예요")
_SCRIPT = {"hangul": r"[\uac00-\ud7af]", "kana": r"[\u30a0-\u30ff]", "han": r"[\u3400-\u4dbf\u4e00-\u9fff々]",
           "hira": r"[\u3040-\u309f]"}


def script(ch: str) -> str:
    return next((name for name, pattern in _SCRIPT.items() if ch and re.match(pattern, ch)), "")


def stands_alone(word: str, texts: list[str]) -> bool:
    """Whether ``word`` is a whole word somewhere in ``texts``, not only a piece of a longer one.

    Korean: it starts a word (no Hangul before it) and what follows is nothing, another script,
    or a particle or ending (카메라가 yes; 메라 in 카메라, 보세 in 보세요 no). Japanese: the
    characters either side are not of the script the word starts or ends with (アッ in アップデート no).
    """
    for text in texts:
        for m in re.finditer(re.escape(word), text):
            before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
            if script(word[0]) == "hangul":
                rest = text[m.end():]
                if script(before) != "hangul" and (script(after) != "hangul" or rest.startswith(KO_AFTER_NOUN)):
                    return True
            elif script(before) != script(word[0]) and script(after) != script(word[-1]):
                return True
    return False


def stamp(dt: datetime) -> str:
    """The store's UTC text form of a timestamp (SQLite), for comparisons in plain SQL."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.slow
def test_the_demo_digest_lists_the_launch_and_the_crisis_with_figures_equal_to_sql(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    at = NOW
    monkeypatch.setenv("LISTENING_REPLAY_NOW", at.isoformat())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    for var in ("LISTENING_SLACK_BOT_TOKEN", "LISTENING_REPLAY_EPOCH", "LISTENING_UI_URL"):
        monkeypatch.delenv(var, raising=False)

    with SlackServer() as slack:
        monkeypatch.setenv("LISTENING_SLACK_WEBHOOK_URL", slack.webhook_url)
        assert run_demo() == 0
        messages = slack.messages()
    printed = capfd.readouterr().out
    week = last_complete_week(at)
    html, md = home / "digests" / f"digest-{week}.html", home / "digests" / f"digest-{week}.md"
    assert html.exists() and md.exists()
    assert f"Weekly competitor digest, {week}:" in printed and f"digests/digest-{week}.html" in printed

    # Both labelled events of the replay lie inside the digest's week (Asia/Seoul, Monday weeks in the demo config).
    bounds = week_bounds(week, "Asia/Seoul", "monday")
    events = {e["kind"]: e for e in Replay(clock=lambda: at).events()}
    assert all(bounds.start <= e["start"] < e["end"] <= bounds.end for e in events.values())

    text = md.read_text(encoding="utf-8")
    # Issue 21: the open inbox, its SLA states and last week's answer speed are printed, and `listening inbox` lists them.
    said = re.search(r"Inbox \(orbitly\): (\d+) open items need an answer: (\d+) past the 24 h SLA, (\d+) due within 4 h", printed)
    assert said and int(said.group(1)) >= 10 and int(said.group(3)) >= 1, printed[-3000:]
    assert "listening inbox" in printed and f"kpis --week {week}" in printed and "Responsiveness " in printed
    responsiveness = text.split("## Responsiveness", 1)[1].split("\n## ", 1)[0]
    assert "| **Orbitly** |" in responsiveness and "| Vantro |" in responsiveness and "| Kestrel Home |" in responsiveness
    from listening.cli import main

    capfd.readouterr()
    assert main(["inbox", "--format", "jsonl", "--limit", "0"]) == 0
    listed = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert len(listed) == int(said.group(1))
    assert {"intent", "waiting", "sla", "author", "link"} <= set(listed[0]) and all(r["brand"] == "orbitly" for r in listed)
    assert sum(r["sla"] == "due" for r in listed) == int(said.group(3))
    assert not {r["author"] for r in listed} & {"orbitly", "orbitly.bsky.social", "orbitly@mastodon.social", "orbitly_team"}
    changed = text.split("## What changed since last week", 1)[1].split("\n## ", 1)[0]
    activity = text.split("## Competitor activity", 1)[1].split("\n## ", 1)[0]
    crises = text.split("## Our crises this week", 1)[1].split("\n## ", 1)[0]
    assert "Orbitly: crisis alert" in changed and "Vantro: launch on" in changed and "Vantro Hub 2" in changed
    assert any(line.startswith("- Vantro · launch ·") and "Vantro Hub 2" in line for line in activity.splitlines())
    assert "### Orbitly · " in crises

    store = Store.open()
    [(model,)] = sql(store, "SELECT DISTINCT model_id FROM scores")
    window = {"start": stamp(bounds.start), "end": stamp(bounds.end), "model": model}
    rows = sql(store, """
        SELECT m.brand, s.sentiment, COUNT(*) FROM mentions m
        JOIN scores s ON s.text_hash = m.text_hash AND s.model_id = :model
        WHERE m.published_at >= :start AND m.published_at < :end AND m.brand IN ('orbitly', 'vantro', 'kestrel')
        GROUP BY m.brand, s.sentiment""", **window)
    counts = {(b, s): n for b, s, n in rows}
    per_brand = {b: sum(n for (b2, _), n in counts.items() if b2 == b) for b in BRANDS}
    total = sum(per_brand.values())
    alerts = sql(store, "SELECT key FROM alerts WHERE brand = 'orbitly' AND window_start < :end AND window_end >= :start", **window)
    crisis = events["crisis"]
    overlapping = sql(store, "SELECT key FROM alerts WHERE brand = 'orbitly' AND window_start < :e AND window_end >= :s",
                      s=stamp(crisis["start"]), e=stamp(crisis["end"]))
    own_posts = sql(store, """
        SELECT m.brand, COUNT(*) FROM mentions m JOIN scores s ON s.text_hash = m.text_hash AND s.model_id = :model
        WHERE m.is_own AND m.brand IN ('vantro', 'kestrel') AND m.published_at >= :start AND m.published_at < :end
        GROUP BY m.brand""", **window)

    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("weekly_competitor_digest"))
    assert event is not None and event.asset_materialization is not None
    meta = {k: v.value for k, v in event.asset_materialization.metadata.items()}

    assert meta["week"] == week and total > 500
    assert meta["mentions"] == total
    shown = {r.data["brand"]: r.data for r in meta["per_brand"].records}
    assert {b: r["share of voice"] for b, r in shown.items()} == {b: round(n / total, 4) for b, n in per_brand.items()}
    assert {b: r["net sentiment"] for b, r in shown.items()} == {
        b: round((counts.get((b, "positive"), 0) - counts.get((b, "negative"), 0)) / n, 4) for b, n in per_brand.items()}
    assert overlapping and set(overlapping) <= set(alerts), "the stored alert is the labelled surge"
    assert meta["crises"] == len(alerts)
    assert meta["competitor_posts"] == sum(min(8, n) for _, n in own_posts)
    assert meta["slack"].startswith("posted (webhook")

    # The crisis as every surface tells it: the episode's peak, and (resolved) its duration and total.
    [alert_post] = [m for m in messages if m["text"].startswith("Negative spike")]
    assert alert_post["text"].startswith("Negative spike (over): orbitly (")
    assert peak(alert_post["text"], r"([\d.]+)x normal negative volume at peak") >= 10
    alert_blocks = json.dumps(alert_post["blocks"], ensure_ascii=False)
    assert "lasted *" in alert_blocks and "negative mentions" in alert_blocks and "google_news" in alert_blocks
    [severity] = sql(store, "SELECT severity FROM alerts WHERE brand = 'orbitly'")[0]
    assert severity in ("high", "critical")
    assert peak(changed, r"Orbitly: crisis alert \\?\((?:high|critical)\\?\), peak ([\d.]+)× normal negative volume, lasted ") >= 10
    assert peak(crises, r"\*\*([\d.]+)× normal\*\*") >= 10
    [digest_post] = [m for m in messages if m["text"].startswith("Weekly competitor digest")]
    assert peak(json.dumps(digest_post["blocks"], ensure_ascii=False), r"Orbitly \((?:high|critical), resolved\) Peak \*([\d.]+)× normal") >= 10
    for lang, pattern in (("ko", r"부정 언급 최고 평소의 ([\d.]+)배, "), ("ja", r"ピーク時に通常の ([\d.]+) 倍、")):
        localized = digest_command(week, lang, tmp_path / lang, None, model_id=model).html.read_text(encoding="utf-8")
        assert peak(localized, pattern) >= 10
    for shown in (changed, crises, alert_post["text"], alert_blocks, json.dumps(digest_post, ensure_ascii=False)):
        assert not re.search(r"(?<![\d.])0\.0[×x]", shown), "a surge shown as 0.0x"

    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("crisis_alerts"))
    details = event.asset_materialization.metadata["alert_details"].value
    assert peak(details, r"\*\*([\d.]+)×\*\* normal negative volume") >= 10 and "- languages: en" in details
    for brand, name in BRANDS.items():
        assert f"| {name} | {per_brand[brand]:,} |" in text, f"the Markdown's share-of-voice row for {name}"

    # Topics: the taxonomy covers what the demo's mentions are about.
    topics = dict(sql(store, "SELECT s.topic, COUNT(*) FROM mentions m JOIN scores s ON s.text_hash = m.text_hash "
                             "AND s.model_id = :model GROUP BY s.topic", model=model))
    assert topics.get("other", 0) < 0.4 * sum(topics.values()), topics

    # Themes: whole words in every language, Orbitly's outage among them, each post quoted once.
    themes = text.split("## Top themes", 1)[1].split("\n## ", 1)[0]
    by_brand = {b.split("\n", 1)[0].strip(): b for b in themes.split("\n### ")[1:]}
    assert set(by_brand) == set(BRANDS.values())
    for brand, name in BRANDS.items():
        keywords = [w for line in re.findall(r"Keywords: (.*)", by_brand[name]) for w in line.split(", ")]
        cjk = [w for w in keywords if script(w[0]) in ("hangul", "kana", "han", "hira")]
        posts = [f"{t or ''} {x or ''}" for t, x in sql(
            store, "SELECT title, text FROM mentions WHERE brand = :b AND published_at >= :start AND published_at < :end",
            b=brand, **{k: window[k] for k in ("start", "end")})]
        assert keywords and all(stands_alone(w, posts) for w in cjk), (name, [w for w in cjk if not stands_alone(w, posts)])
        assert not {"curious", "yet", "ask", "hn"} & set(keywords)
    orbitly = by_brand["Orbitly"]
    # Orbitly's outage is one of its themes: named by its topic, or by keywords that say so ("hub, offline").
    assert "**outage/bugs**" in orbitly or re.search(r"Keywords: .*\b(outage|offline|down|장애|먹통|障害)\b", orbitly), orbitly[:1500]
    quoted = re.findall(r"^  - `[a-z]+` \[(.*?)\]\((\S+?)\)(.*) \([a-z\\_]+ · [^)]*\)$", themes, re.M)
    assert len(quoted) == themes.count("\n  - `"), "every quote parsed"
    assert quoted and len({url for _, url, _ in quoted}) == len(quoted), "a link quoted twice"
    assert len({(label, words) for label, _, words in quoted}) == len(quoted), "the same words quoted twice"
