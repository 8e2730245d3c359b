"""The reach stage end to end: the replay's account history walked into a real store, changes, Slack notices, asset."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from dagster_project.assets.reach import reach_changes as reach_asset
from dagster_project.resources import ListeningResource, wired
from listening.config import load_config
from listening.pipeline import DEMO_CONFIG
from listening.reach import stored_changes, track_reach
from listening.replay.repolls import replay_repolls
from listening.replay.server import Replay
from listening.slack import SlackClient, SlackConfig
from listening.store import Store, metadata, reach_changes, reach_notices
from tests.slack_server import SlackServer

#: The earliest and the latest clock of a demo week: the labelled week has just ended, or ended six days ago.
MONDAY = datetime(2026, 6, 8, 0, 5, tzinfo=timezone.utc)
SUNDAY = datetime(2026, 6, 14, 23, 50, tzinfo=timezone.utc)


def counts(store: Store) -> dict[str, int]:
    return {name: store.count(table) for name, table in metadata.tables.items()}


@pytest.fixture(scope="module", params=[MONDAY, SUNDAY], ids=["monday", "sunday"])
def walked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, datetime]]:
    """A SQLite store holding the replay's account history as seen at the param's clock (walked once)."""
    now: datetime = request.param
    path = tmp_path_factory.mktemp("walked") / "listening.db"
    store = Store.open(f"sqlite:///{path}")
    report = replay_repolls(store, now=now)
    assert report.failed == 0 and report.accounts == 6 and report.snapshots > 1500
    store.engine.dispose()
    yield path, now


@pytest.fixture
def store(walked: tuple[Path, datetime], tmp_path: Path) -> Store:
    """A private copy of the walked store."""
    copy = tmp_path / "listening.db"
    shutil.copy(walked[0], copy)
    return Store.open(f"sqlite:///{copy}")


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REPLAY_URL", "http://127.0.0.1:9")
    return load_config(DEMO_CONFIG)


def labelled(now: datetime) -> list[dict]:
    """The replay's labelled reach changes with their start in served time."""
    replay = Replay(clock=lambda: now)
    base = replay.epoch
    return [{**ev, "start": base + timedelta(seconds=ev["start_offset_s"])} for ev in replay.labels["reach_changes"]]


def test_both_labelled_changes_are_found_and_attributed_and_nothing_else(store: Store, config, walked) -> None:
    now = walked[1]
    report = track_reach(store, config, now=now, out_dir=store_dir(store))
    found = {(c.platform, c.account, c.attribution, c.direction) for c in report.changes}
    expected = {(ev["platform"], account, ev["kind"], ev["direction"]) for ev in labelled(now) for account in ev["accounts"]}
    assert found == expected
    for ev in labelled(now):
        for c in (c for c in report.changes if c.account in ev["accounts"]):
            assert ev["start"] - timedelta(days=1) <= c.changed_at <= ev["start"] + timedelta(days=2), (c, ev["start"])
            assert c.detected_at <= now and abs(c.magnitude - ev["magnitude"]) < 0.25
            assert report.brands[(c.platform, c.account)] in ev["brands"]
    assert store.count(reach_changes) == len(report.changes)
    assert report.chart_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_labelled_week_digest_gets_both_changes(store: Store, config, walked) -> None:
    now = walked[1]
    track_reach(store, config, now=now, out_dir=store_dir(store))
    week_start = min(ev["start"] for ev in labelled(now)).replace(hour=0, minute=0)
    week_start -= timedelta(days=week_start.weekday())
    monday = now.replace(hour=0, minute=0, second=0) - timedelta(days=now.weekday())
    rows = stored_changes(store, monday - timedelta(days=7), monday)
    assert {r["account"] for r in rows} == {a for ev in labelled(now) for a in ev["accounts"]}
    assert all(r["brand"] in ("orbitly", "vantro", "kestrel") for r in rows)


def test_walking_again_and_detecting_again_changes_no_row_count(store: Store, config, walked) -> None:
    now = walked[1]
    track_reach(store, config, now=now, out_dir=store_dir(store))
    before = counts(store)
    assert replay_repolls(store, now=now).snapshots == 0
    track_reach(store, config, now=now, out_dir=store_dir(store))
    assert counts(store) == before


def test_slack_gets_one_notice_per_change_event_once(store: Store, config, walked) -> None:
    now = walked[1]
    with SlackServer() as slack, SlackClient(SlackConfig(webhook_url=slack.webhook_url)) as client:
        first = track_reach(store, config, now=now, slack=client, out_dir=store_dir(store))
        again = track_reach(store, config, now=now, slack=client, out_dir=store_dir(store))
        texts = [m["text"] for m in slack.messages()]
    assert len(first.posted) == 2 and again.posted == [] and len(texts) == 2
    platform = next(t for t in texts if "Mastodon" in t)
    account = next(t for t in texts if "Bluesky" in t)
    assert "every tracked account moved" in platform and "Orbitly on Bluesky" in account
    assert store.count(reach_notices) == 2


def test_a_failed_notice_is_released_and_posted_by_the_next_run(store: Store, config, walked) -> None:
    now = walked[1]
    with SlackServer() as slack:
        client = SlackClient(SlackConfig(webhook_url=slack.webhook_url, max_retries=1), sleep=lambda _: None)
        with client:
            slack.fail_next(4, status=500)
            failed = track_reach(store, config, now=now, slack=client, out_dir=store_dir(store))
            assert len(failed.failed) == 2 and failed.posted == [] and store.count(reach_notices) == 0
            retried = track_reach(store, config, now=now, slack=client, out_dir=store_dir(store))
        assert len(retried.posted) == 2 and len(slack.messages()) == 2


def test_old_changes_are_not_posted(store: Store, config, walked) -> None:
    with SlackServer() as slack, SlackClient(SlackConfig(webhook_url=slack.webhook_url)) as client:
        late = track_reach(store, config, now=walked[1] + timedelta(days=30), slack=client, out_dir=store_dir(store))
        assert late.changes and late.notices == [] and slack.messages() == []


def test_the_asset_shows_changes_chart_and_attribution(store: Store, walked, home: Path) -> None:
    url = str(store.engine.url)
    result = dg.materialize([reach_asset], resources=wired(ListeningResource(database_url=url)))
    assert result.success
    meta = result.asset_materializations_for_node("reach_changes")[0].metadata
    assert meta["platform_changes"].value == 3 and meta["account_changes"].value == 1
    assert meta["chart"].value.startswith("![reach changes](data:image/png;base64,")
    assert "| Mastodon | orbitly@mastodon.social | orbitly |" in meta["changes"].value
    rows = {r.data["account"]: r.data for r in meta["detected"].records}
    assert rows["orbitly.bsky.social"]["attribution"] == "account" and rows["orbitly.bsky.social"]["brand"] == "orbitly"
    assert meta["slack"].value == "not configured" and Path(meta["chart_file"].value).exists()
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(reach_changes)).scalar_one() == 4


def store_dir(store: Store) -> Path:
    """Chart folder next to the store file."""
    return Path(store.engine.url.database).parent / "reach"
