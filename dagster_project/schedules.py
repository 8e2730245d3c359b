"""Schedules: the short ingest cycle (on by default), the hourly timeseries refresh, the Monday digest and its Slack retry."""


import os

import dagster as dg

from dagster_project.jobs import cycle_job, digest_job, timeseries_job
from dagster_project.resources import ListeningResource
from listening.digest import pending_weeks, week_partition_key
from listening.slack import SlackConfig

# On by default; LISTENING_SCHEDULES=off starts them stopped (a UI session to browse stored data, tests).
DEFAULT_STATUS = (dg.DefaultScheduleStatus.STOPPED if os.environ.get("LISTENING_SCHEDULES", "").lower() == "off"
                  else dg.DefaultScheduleStatus.RUNNING)

ingest_every_10_minutes = dg.ScheduleDefinition(
    name="ingest_every_10_minutes",
    job=cycle_job,
    cron_schedule="*/10 * * * *",
    default_status=DEFAULT_STATUS,
    description="Fetch all sources, then score and check for crises: keeps Slack minutes behind a surge.",
)


@dg.schedule(job=timeseries_job, cron_schedule="5 * * * *", default_status=DEFAULT_STATUS,
             description="Rebuild today's brand x hour counts.")
def timeseries_hourly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"timeseries-{context.scheduled_execution_time:%Y%m%d%H}", partition_key=day)


# Monday 01:30 UTC: last week's digest, after the cycle has fetched the week's late items.
weekly_digest_schedule = dg.build_schedule_from_partitioned_job(
    digest_job, hour_of_day=1, minute_of_hour=30, default_status=DEFAULT_STATUS,
    description="Build last week's competitor digest and post it to Slack.",
)


@dg.schedule(job=digest_job, cron_schedule="45 * * * *", default_status=DEFAULT_STATUS,
             description="Re-run each week whose digest Slack did not take (down, rate-limited, refused): it posts once.")
def digest_slack_retry(context: dg.ScheduleEvaluationContext, listening: ListeningResource):
    if SlackConfig.from_env() is None:
        return dg.SkipReason("Slack is not configured")
    weeks = pending_weeks(listening.store())
    if not weeks:
        return dg.SkipReason("no digest is waiting for Slack")
    hour = context.scheduled_execution_time.strftime("%Y%m%d%H")
    return [dg.RunRequest(run_key=f"digest-slack-{week}-{hour}", partition_key=week_partition_key(week)) for week in weeks]
