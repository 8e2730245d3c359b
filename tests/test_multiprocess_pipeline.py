"""Scale-out shape: the same Definitions with the multiprocess executor, instance and store on PostgreSQL.

Each step runs in its own process (as each step runs in its own pod under the
k8s_job_executor), so this proves the steps share nothing but the two databases.
"""

from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from dagster._core.definitions.reconstruct import ReconstructableRepository

from listening.store import Store, mentions

ROOT = Path(__file__).resolve().parent.parent
STEPS = {"hackernews_mentions", "rss_mentions", "mentions"}


@pytest.mark.postgres
def test_the_cycle_runs_with_the_multiprocess_executor_on_postgres(home: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENING_DATABASE_URL", pg_url)
    dagster_db = sa.make_url(pg_url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)
    job = ReconstructableRepository.for_module("dagster_project.definitions", "defs", working_directory=str(ROOT)) \
        .get_reconstructable_job("listening_cycle")
    selection = [k for k in job.get_definition().asset_layer.executable_asset_keys if k.path[-1] in STEPS]
    run_config = yaml.safe_load((ROOT / "deploy" / "run-config-multiprocess.yaml").read_text())  # the documented one
    with dg.instance_for_test(overrides={"storage": {"postgres": {"postgres_url": dagster_db}}}) as instance:
        with dg.execute_job(job, instance, run_config=run_config, asset_selection=selection) as result:
            assert result.success
            starts = {e.step_key: e.pid for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START}
            assert STEPS <= set(starts)  # the asset checks of these assets run as steps too
            assert len(set(starts.values())) == len(starts)  # one process per step
        stored = instance.get_latest_materialization_event(dg.AssetKey("mentions"))
        assert stored is not None and stored.asset_materialization.metadata["total_mentions"].value > 500
    assert Store.open(pg_url).count(mentions) > 500
    with sa.create_engine(dagster_db).connect() as conn:
        assert conn.execute(sa.text("select count(*) from runs")).scalar_one() == 1
