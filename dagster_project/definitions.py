"""The one Definitions object; workspace.yaml points here."""


import os

import dagster as dg

from dagster_project.assets.ingest import source_assets
from dagster_project.checks import asset_checks, post_failed_runs
from dagster_project.assets.crisis import crisis_alerts, crisis_signals
from dagster_project.assets.digest import weekly_competitor_digest
from dagster_project.assets.inbox import conversations, inbox_reminders, responsiveness_kpis
from dagster_project.assets.mentions import mentions
from dagster_project.assets.reach import reach_changes
from dagster_project.assets.retention import data_retention
from dagster_project.assets.scoring import brand_day_scores, scored_mentions
from dagster_project.assets.timeseries import brand_timeseries
from dagster_project.jobs import cycle_job, digest_job, inbox_job, scoring_backfill_job, timeseries_job
from dagster_project.resources import wired
from dagster_project.schedules import (digest_slack_retry, inbox_every_30_minutes, ingest_every_10_minutes, timeseries_hourly,
                                       weekly_digest_schedule)


def _executor() -> dg.ExecutorDefinition | None:
    """One pod per step on Kubernetes (LISTENING_EXECUTOR=k8s, image with dagster-k8s); Dagster's default elsewhere.

    Chosen by the environment so the same Definitions run in-process, multiprocess and on Kubernetes (docs/scale.md).
    """
    if os.environ.get("LISTENING_EXECUTOR", "").strip().lower() != "k8s":
        return None
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor


def build_defs() -> dg.Definitions:
    """The Definitions, with secrets bound from the environment as it is now (``EnvVar`` only for variables set)."""
    return dg.Definitions(
        assets=[*source_assets, mentions, scored_mentions, brand_day_scores, crisis_signals, crisis_alerts, brand_timeseries, weekly_competitor_digest,
                reach_changes, data_retention, conversations, inbox_reminders, responsiveness_kpis],
        asset_checks=asset_checks,
        sensors=[post_failed_runs],
        jobs=[cycle_job, timeseries_job, digest_job, scoring_backfill_job, inbox_job],
        schedules=[ingest_every_10_minutes, timeseries_hourly, weekly_digest_schedule, digest_slack_retry, inbox_every_30_minutes],
        executor=_executor(),
        # No database_url here: LISTENING_DATABASE_URL is read when a step opens the store, so a password in it
        # never becomes resource config that the UI shows. Slack secrets, the model and the clock are bound by EnvVar.
        resources=wired(),
    )


defs = build_defs()
