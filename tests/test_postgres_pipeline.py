"""Production shape: the Dagster instance and the listening store both on the local PostgreSQL server."""

from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from dagster_project.definitions import defs
from listening.store import Store, mentions


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
