"""The weekly digest asset: a Monday partition maps to its ISO week and reports key figures; a Monday schedule runs it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

import dagster_project.assets.digest as digest_asset
from dagster_project.definitions import defs
from dagster_project.resources import ListeningResource
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
    monkeypatch.setattr(digest_asset, "get_scorer", lambda: SimpleNamespace(model_id=MODEL))
    resource = ListeningResource(config_path=str(config), database_url=str(store.engine.url))
    result = dg.materialize([digest_asset.weekly_competitor_digest], partition_key="2026-11-09",
                            resources={"listening": resource})
    assert result.success
    meta = result.asset_materializations_for_node("weekly_competitor_digest")[0].metadata
    assert meta["week"].value == "2026-W46" and meta["mentions"].value == 35
    assert meta["share_of_voice"].value == {"rival": 0.5714, "acme": 0.2857, "other": 0.1429}
    assert "data:image/png;base64," in meta["digest"].value
    assert (home / "digests" / "digest-2026-W46.html").exists()


def test_the_monday_schedule_builds_the_week_that_just_ended() -> None:
    schedule = defs.resolve_schedule_def("weekly_digest_schedule")
    assert schedule.job_name == "weekly_digest" and schedule.cron_schedule == "30 1 * * 1"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    monday = datetime(2026, 11, 16, 1, 30, tzinfo=timezone.utc)
    with dg.instance_for_test() as instance:
        [request] = schedule.evaluate_tick(dg.build_schedule_context(instance=instance, scheduled_execution_time=monday)).run_requests
    assert request.partition_key == "2026-11-09"
