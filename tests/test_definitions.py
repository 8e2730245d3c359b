"""The Dagster layer: loads, has the expected graph, and materializes on the embedded default."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.assets.ingest import source_assets
from dagster_project.assets.mentions import mentions
from dagster_project.assets.timeseries import brand_timeseries
from dagster_project.resources import ListeningResource, wired
from listening.sources.plan import SOURCE_KINDS
from listening.store import Store, brand_hourly


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)


def test_asset_graph_snapshot() -> None:
    """Wiring changes show up here: asset keys, their upstreams and groups."""
    graph = {}
    for spec in defs.resolve_all_asset_specs():
        graph[spec.key.to_user_string()] = (spec.group_name, sorted(d.asset_key.to_user_string() for d in spec.deps))
    assert graph["mentions"] == ("mentions", sorted(f"{kind}_mentions" for kind in SOURCE_KINDS))
    assert {"mastodon", "bluesky", "gdelt", "appstore", "hatena", "naver", "reddit"} < set(SOURCE_KINDS)
    assert graph["brand_timeseries"] == ("analytics", ["mentions", "scored_mentions"])
    assert graph["scored_mentions"] == ("mentions", ["mentions"])
    assert graph["brand_day_scores"] == ("scoring", ["mentions"])
    assert graph["crisis_signals"] == ("crisis", ["scored_mentions"])
    assert graph["crisis_alerts"] == ("crisis", ["crisis_signals"])
    assert graph["weekly_competitor_digest"] == ("digest", ["crisis_alerts", "reach_changes", "scored_mentions"])
    assert graph["reach_changes"] == ("reach", ["bluesky_mentions", "mastodon_mentions"])
    assert graph["data_retention"] == ("mentions", ["crisis_signals"])
    assert graph["conversations"] == ("inbox", ["mentions", "scored_mentions"])
    assert graph["inbox_reminders"] == ("inbox", ["conversations"])
    assert graph["responsiveness_kpis"] == ("inbox", ["conversations"])
    for kind in SOURCE_KINDS:
        assert graph[f"{kind}_mentions"] == ("ingest", [])


def test_scoring_backfills_by_brand_and_day_in_a_pool_the_cycle_does_not_wait_for() -> None:
    """Backfill steps share the `scoring` pool (its limit caps parallel partitions); the cycle's scoring step is
    outside it, so a backfill holding every slot cannot delay the next crisis check."""
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    pools = {name: defs.resolve_assets_def(name).node_def.pool for name in ("scored_mentions", "brand_day_scores")}
    assert pools == {"scored_mentions": None, "brand_day_scores": "scoring"}
    partitions = specs["brand_day_scores"].partitions_def
    assert isinstance(partitions, dg.MultiPartitionsDefinition)
    assert [d.name for d in partitions.partitions_defs] == ["brand", "date"]
    backfill = defs.resolve_job_def("scoring_backfill")
    assert {k.to_user_string() for k in backfill.asset_layer.executable_asset_keys} == {"brand_day_scores"}
    cycle = defs.resolve_job_def("listening_cycle")
    assert "brand_day_scores" not in {k.to_user_string() for k in cycle.asset_layer.executable_asset_keys}


def test_the_main_cycle_also_tracks_reach() -> None:
    cycle = defs.resolve_job_def("listening_cycle")
    keys = {k.to_user_string() for k in cycle.asset_layer.executable_asset_keys}
    assert {"reach_changes", "crisis_alerts", "mastodon_mentions", "bluesky_mentions", "data_retention"} <= keys


def test_the_inbox_job_reads_threads_reminds_and_measures_every_30_minutes() -> None:
    job = defs.resolve_job_def("inbox_refresh")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {
        "conversations", "inbox_reminders", "responsiveness_kpis"}
    schedule = defs.resolve_schedule_def("inbox_every_30_minutes")
    assert (schedule.job_name, schedule.cron_schedule) == ("inbox_refresh", "20,50 * * * *")


def test_the_ingest_schedule_is_on_by_default_and_runs_every_ten_minutes() -> None:
    schedule = defs.resolve_schedule_def("ingest_every_10_minutes")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.cron_schedule == "*/10 * * * *"
    assert schedule.job_name == "listening_cycle"


def test_ingest_assets_materialize_on_the_replay_with_evidence(home: Path) -> None:
    resource = ListeningResource()
    result = dg.materialize([*source_assets, mentions], resources=wired(resource))
    assert result.success
    hn = result.asset_materializations_for_node("hackernews_mentions")[0].metadata
    assert hn["new_mentions"].value > 100
    assert hn["failed_tasks"].value == 0
    assert "news.ycombinator.com" in hn["newest"].value
    summary = result.asset_materializations_for_node("mentions")[0].metadata
    assert {r.data["brand"] for r in summary["by_brand"].records} == {"orbitly", "vantro", "kestrel"}

    day = Store.open().mention_frame_rows(limit=1)[0]["published_at"].strftime("%Y-%m-%d")
    ts = dg.materialize([brand_timeseries], partition_key=day, resources=wired(resource),
                        selection=[brand_timeseries])
    assert ts.success
    assert ts.asset_materializations_for_node("brand_timeseries")[0].metadata["mentions"].value > 0
    assert Store.open().count(brand_hourly) > 0


def test_checks_and_the_failed_run_sensor_are_wired() -> None:
    """Every source asset has its two checks; the store-wide checks sit on the assets they guard."""
    checks = {k.to_user_string() for k in defs.resolve_asset_graph().asset_check_keys}
    expected = {f"{kind}_mentions:{name}" for kind in SOURCE_KINDS for name in ("tasks_succeeded", "tasks_not_silent")}
    expected |= {"scored_mentions:mentions_scored", "mentions:native_ids_unique", "crisis_alerts:alerts_delivered"}
    assert checks == expected
    sensor = defs.resolve_sensor_def("post_failed_runs")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING and "slack" in sensor.required_resource_keys


def test_secrets_are_bound_by_env_var_not_by_value(monkeypatch) -> None:
    """Slack secrets, the model and the clock come from the environment at run time; an unset one binds empty."""
    from dagster_project.resources import wired

    monkeypatch.setenv("LISTENING_SLACK_BOT_TOKEN", "xoxb-never-shown")
    monkeypatch.delenv("LISTENING_SLACK_WEBHOOK_URL", raising=False)
    resources = wired()
    assert resources["slack"].bot_token == dg.EnvVar("LISTENING_SLACK_BOT_TOKEN")
    assert resources["slack"].webhook_url == ""
    assert "xoxb-never-shown" not in repr(resources)
    assert {"listening", "slack", "model", "clock"} == set(resources)
