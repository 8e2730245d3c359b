"""The weekly digest asset: a Monday partition maps to its ISO week and reports key figures; the hourly schedule runs each week once it has ended in the project's timezone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

import dagster_project.assets.digest as digest_asset
from dagster_project.definitions import defs
from dagster_project.resources import ListeningResource, ModelResource, wired
from tests.test_digest_fixtures import MODEL, open_store, populate


def test_partitions_are_monday_weeks() -> None:
    keys = digest_asset.weekly.get_partition_keys(current_time=datetime(2025, 1, 21))
    assert keys[:2] == ["2025-01-06", "2025-01-13"]


def test_asset_materializes_the_week_with_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("LISTENING_HOME", str(home))
    store = open_store(tmp_path)
    populate(store)
    config = tmp_path / "listening.yaml"
    config.write_text("project: {name: acme-listening}\nbrands:\n  - {key: acme, name: Acme, own: true}\n"
                      "  - {key: rival, name: Rival}\n  - {key: other, name: Other Co}\n", encoding="utf-8")
    monkeypatch.setattr(ModelResource, "model_id", lambda self: MODEL)
    resource = ListeningResource(config_path=str(config), database_url=str(store.engine.url))
    result = dg.materialize([digest_asset.weekly_competitor_digest], partition_key="2026-11-09",
                            resources=wired(resource))
    assert result.success
    meta = result.asset_materializations_for_node("weekly_competitor_digest")[0].metadata
    assert meta["week"].value == "2026-W46" and meta["mentions"].value == 35
    shown = {r.data["brand"]: r.data["share of voice"] for r in meta["per_brand"].records}
    assert shown == {"rival": 0.5714, "acme": 0.2857, "other": 0.1429}
    assert "data:image/png;base64," in meta["digest"].value
    assert (home / "digests" / "digest-2026-W46.html").exists()


def digest_tick(tmp_path: Path, tz: str, at: datetime) -> dg.RunRequest:
    """What the digest schedule asks for at ``at`` for a project in ``tz``."""
    config = tmp_path / f"listening-{tz.replace('/', '-')}.yaml"
    config.write_text(f"project: {{name: acme-listening, timezone: {tz}}}\n"
                      "brands:\n  - {key: acme, name: Acme, own: true}\n", encoding="utf-8")
    resource = ListeningResource(config_path=str(config), database_url=f"sqlite:///{tmp_path / 'unused.db'}")
    schedule = defs.resolve_schedule_def("weekly_digest_schedule")
    return schedule(dg.build_schedule_context(resources=wired(resource), scheduled_execution_time=at))


@pytest.mark.parametrize(("tz", "first_tick"), [
    ("Asia/Seoul", datetime(2026, 11, 15, 16, 30, tzinfo=timezone.utc)),  # Monday 01:30 in Seoul
    ("UTC", datetime(2026, 11, 16, 1, 30, tzinfo=timezone.utc)),
    ("America/Los_Angeles", datetime(2026, 11, 16, 9, 30, tzinfo=timezone.utc)),  # Monday 01:30 in LA
])
def test_the_digest_schedule_builds_the_week_once_it_has_ended_where_the_project_is(
        tmp_path: Path, tz: str, first_tick: datetime) -> None:
    schedule = defs.resolve_schedule_def("weekly_digest_schedule")
    assert schedule.job_name == "weekly_digest" and schedule.cron_schedule == "30 * * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    before = digest_tick(tmp_path, tz, first_tick - timedelta(hours=1))
    assert before.run_key == "digest-2026-W45"  # the week before, already built: the run key keeps it to once
    request = digest_tick(tmp_path, tz, first_tick)
    assert request.partition_key == "2026-11-09" and request.run_key == "digest-2026-W46"
