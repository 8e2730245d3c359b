"""Schedules: the short ingest cycle (on by default), the hourly timeseries refresh, the Monday digest and its Slack retry."""


import os
from datetime import timedelta

import dagster as dg

from dagster_project.jobs import cycle_job, digest_job, inbox_job, timeseries_job
from dagster_project.resources import ListeningResource, SlackResource
from listening.digest import newest_complete_week, pending_weeks, week_partition_key

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


inbox_every_30_minutes = dg.ScheduleDefinition(
    name="inbox_every_30_minutes",
    job=inbox_job,
    cron_schedule="20,50 * * * *",
    default_status=DEFAULT_STATUS,
    description="Re-read the brands' threads and remind Slack of inbox items about to breach the SLA "
    "(every 30 minutes: well inside the 4-hour reminder lead, gentle on the platforms' rate limits).",
)


@dg.schedule(job=timeseries_job, cron_schedule="5 * * * *", default_status=DEFAULT_STATUS,
             description="Rebuild today's brand x hour counts.")
def timeseries_hourly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"timeseries-{context.scheduled_execution_time:%Y%m%d%H}", partition_key=day)


# Late items (fetched after the week ended) get this long before the week's digest is built.
DIGEST_GRACE = timedelta(minutes=90)


@dg.schedule(job=digest_job, cron_schedule="30 * * * *", default_status=DEFAULT_STATUS,
             description="Build the competitor digest of the week that just ended in project.timezone (90 min after "
             "its end, once per week) and post it to Slack.")
def weekly_digest_schedule(context: dg.ScheduleEvaluationContext, listening: ListeningResource):
    # Hourly rather than a fixed Monday hour: a week ends at local midnight, which is Monday 08:00 UTC in
    # Los Angeles but Sunday 15:00 UTC in Seoul; the run key makes each week run once.
    week = newest_complete_week(listening.config(), context.scheduled_execution_time - DIGEST_GRACE)
    return dg.RunRequest(run_key=f"digest-{week.label}", partition_key=week_partition_key(week.label))


@dg.schedule(job=digest_job, cron_schedule="45 * * * *", default_status=DEFAULT_STATUS,
             description="Re-run each week whose digest Slack did not take (down, rate-limited, refused): it posts once.")
def digest_slack_retry(context: dg.ScheduleEvaluationContext, listening: ListeningResource, slack: SlackResource):
    if not slack.configured():
        return dg.SkipReason("Slack is not configured")
    weeks = pending_weeks(listening.store())
    if not weeks:
        return dg.SkipReason("no digest is waiting for Slack")
    hour = context.scheduled_execution_time.strftime("%Y%m%d%H")
    return [dg.RunRequest(run_key=f"digest-slack-{week}-{hour}", partition_key=week_partition_key(week)) for week in weeks]
