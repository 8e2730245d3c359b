"""Production shape: the Dagster instance and the listening store both on the local PostgreSQL server."""

from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from dagster_project.definitions import defs
from listening.store import Store, mentions, scores


@pytest.mark.postgres
def test_the_main_job_runs_with_instance_and_store_on_postgres(home: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENING_DATABASE_URL", pg_url)
    dagster_db = sa.make_url(pg_url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)
    overrides = {"storage": {"postgres": {"postgres_url": dagster_db}}}
    job = defs.resolve_job_def("listening_cycle")
    selection = [k for k in job.asset_layer.executable_asset_keys if k.path[-1] in {"hackernews_mentions", "rss_mentions", "mentions"}]
    with dg.instance_for_test(overrides=overrides) as instance:
        result = job.execute_in_process(instance=instance, asset_selection=selection)
        assert result.success
        run = instance.get_run_by_id(result.run_id)
        assert run.is_success
        stored = instance.get_latest_materialization_event(dg.AssetKey("mentions"))
        assert stored is not None and stored.asset_materialization.metadata["total_mentions"].value > 500
    store = Store.open(pg_url)
    assert store.dialect == "postgresql"
    assert store.count(mentions) > 500
    with sa.create_engine(dagster_db).connect() as conn:
        assert conn.execute(sa.text("select count(*) from runs")).scalar_one() == 1


@pytest.mark.postgres
def test_scoring_backfills_brand_day_partitions_on_postgres(home: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scale-out unit of scoring: each brand × day partition scores that brand's mentions of that day."""
    monkeypatch.setenv("LISTENING_DATABASE_URL", pg_url)
    monkeypatch.setenv("LISTENING_REPLAY_NOW", "2026-11-20T12:00:00+00:00")
    dagster_db = sa.make_url(pg_url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)
    cycle = defs.resolve_job_def("listening_cycle")
    selection = [k for k in cycle.asset_layer.executable_asset_keys if k.path[-1] in {"rss_mentions", "mastodon_mentions", "mentions"}]
    store = Store.open(pg_url)
    with dg.instance_for_test(overrides={"storage": {"postgres": {"postgres_url": dagster_db}}}) as instance:
        assert cycle.execute_in_process(instance=instance, asset_selection=selection).success
        assert sorted(instance.get_dynamic_partitions("brand")) == ["kestrel", "orbitly", "vantro"], \
            "the mentions asset registers each stored brand as a partition"
        with store.engine.connect() as conn:
            per_partition = conn.execute(sa.select(mentions.c.brand, sa.func.count()).where(
                mentions.c.published_at >= datetime(2026, 11, 13, tzinfo=timezone.utc),
                mentions.c.published_at < datetime(2026, 11, 14, tzinfo=timezone.utc)).group_by(mentions.c.brand)).all()
        assert len(per_partition) >= 2
        backfill = defs.resolve_job_def("scoring_backfill")
        for brand, n in per_partition:
            result = backfill.execute_in_process(instance=instance, partition_key=f"{brand}|2026-11-13")
            assert result.success
            event = instance.get_latest_materialization_event(dg.AssetKey("brand_day_scores"))
            shown = {r.data["brand"]: r.data for r in event.asset_materialization.metadata["sentiment_by_brand"].records}
            assert set(shown) == {brand} and shown[brand]["total"] == n, shown
        assert instance.get_materialized_partitions(dg.AssetKey("brand_day_scores")) == {
            f"{brand}|2026-11-13" for brand, _ in per_partition}
    with store.engine.connect() as conn:
        scored_brands = conn.execute(sa.select(mentions.c.brand).distinct().join(
            scores, scores.c.text_hash == mentions.c.text_hash)).scalars().all()
        unscored_that_day = conn.execute(sa.select(sa.func.count()).select_from(mentions).where(
            mentions.c.published_at >= datetime(2026, 11, 13, tzinfo=timezone.utc),
            mentions.c.published_at < datetime(2026, 11, 14, tzinfo=timezone.utc),
            mentions.c.text_hash.not_in(sa.select(scores.c.text_hash)))).scalar_one()
    assert unscored_that_day == 0
    assert sorted(scored_brands) == sorted(b for b, _ in per_partition)
    assert store.count(scores) < store.count(mentions), "other days stay for their own partitions"
