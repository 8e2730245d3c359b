"""Asset checks for what an operator must hear about, and the sensor that posts failed runs.

Thin: each check reads the store, calls one function of :mod:`listening.checks`, lets
:func:`listening.checks.announce` tell Slack once per change of state, and returns the outcome.
A failed check does not fail the run (Dagster), so the Slack message is sent here.
"""

import os

import dagster as dg

from listening.checks import (
    CheckOutcome, alerts_delivered, announce, mentions_scored, native_ids_unique, run_failure_message, tasks_not_silent,
    tasks_succeeded,
)
from listening.enrich import FETCH_LAG
from listening.sources.plan import SOURCE_KINDS, plan_tasks
from listening.store import Store
from dagster_project.resources import ClockResource, ListeningResource, ModelResource, SlackResource


def _result(check: str, outcome: CheckOutcome, store: Store, slack: SlackResource, clock: ClockResource,
            severity: dg.AssetCheckSeverity) -> dg.AssetCheckResult:
    client = slack.client()
    ui_url = os.environ.get("LISTENING_UI_URL", "").strip()
    if client is None:
        posted = announce(store, check, outcome, now=clock.now(), post=None)
    else:
        with client:
            posted = announce(store, check, outcome, now=clock.now(), post=client.post, ui_url=ui_url)
    table = dg.MetadataValue.table(
        records=[dg.TableRecord({k: str(v) for k, v in row.items()}) for row in outcome.rows[:200]],
        schema=dg.TableSchema(columns=[dg.TableColumn(k, "string") for k in (outcome.rows[0] if outcome.rows else {})]),
    )
    return dg.AssetCheckResult(passed=outcome.passed, severity=severity, description=outcome.summary, metadata={
        "summary": dg.MetadataValue.text(outcome.summary),
        "failing": dg.MetadataValue.int(len(outcome.failing)),
        "details": table,
        "slack": dg.MetadataValue.text("posted this change" if posted else ("no change to post" if client else "not configured")),
    })


def _source_checks(kind: str) -> list[dg.AssetChecksDefinition]:
    asset = f"{kind}_mentions"

    def tasks(listening: ListeningResource) -> list[tuple[str, str]]:
        return [(t.source, t.key) for t in plan_tasks(listening.config()) if t.source == kind]

    @dg.asset_check(asset=asset, name="tasks_succeeded", blocking=False,
                    description=f"Every {kind} task of the config succeeded in the last hour, or says why (its last error).")
    def succeeded(listening: ListeningResource, slack: SlackResource, clock: ClockResource) -> dg.AssetCheckResult:
        store = listening.store()
        outcome = tasks_succeeded(store, tasks(listening), now=clock.now())
        return _result(f"{asset}.tasks_succeeded", outcome, store, slack, clock, dg.AssetCheckSeverity.ERROR)

    @dg.asset_check(asset=asset, name="tasks_not_silent",
                    description=f"No {kind} task went longer without a new item than its own history allows "
                    "(3 × the 90th percentile of its gaps over 90 days, at least 24 h).")
    def not_silent(listening: ListeningResource, slack: SlackResource, clock: ClockResource) -> dg.AssetCheckResult:
        store = listening.store()
        outcome = tasks_not_silent(store, tasks(listening), now=clock.now())
        return _result(f"{asset}.tasks_not_silent", outcome, store, slack, clock, dg.AssetCheckSeverity.WARN)

    return [succeeded, not_silent]


@dg.asset_check(asset="scored_mentions", name="mentions_scored",
                description=f"Every mention fetched more than {FETCH_LAG} ago has a score by the current model.")
def scored_check(listening: ListeningResource, model: ModelResource, slack: SlackResource,
                 clock: ClockResource) -> dg.AssetCheckResult:
    store = listening.store()
    outcome = mentions_scored(store, model.model_id(), now=clock.now(), lookback=FETCH_LAG)
    return _result("scored_mentions.mentions_scored", outcome, store, slack, clock, dg.AssetCheckSeverity.ERROR)


@dg.asset_check(asset="mentions", name="native_ids_unique",
                description="No (source, native id) is stored twice.")
def unique_check(listening: ListeningResource, slack: SlackResource, clock: ClockResource) -> dg.AssetCheckResult:
    store = listening.store()
    return _result("mentions.native_ids_unique", native_ids_unique(store), store, slack, clock,
                   dg.AssetCheckSeverity.ERROR)


@dg.asset_check(asset="crisis_alerts", name="alerts_delivered",
                description="Every own-brand alert state older than 30 minutes reached Slack (when configured).")
def delivered_check(listening: ListeningResource, slack: SlackResource, clock: ClockResource) -> dg.AssetCheckResult:
    store = listening.store()
    own = [b.key for b in listening.config().brands if b.own]
    outcome = alerts_delivered(store, own, now=clock.now(), slack=slack.configured())
    return _result("crisis_alerts.alerts_delivered", outcome, store, slack, clock, dg.AssetCheckSeverity.ERROR)


asset_checks = [*(c for kind in SOURCE_KINDS for c in _source_checks(kind)), scored_check, unique_check, delivered_check]


def _root_cause(error) -> str:
    """The step's own exception, not Dagster's wrapper around it."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


@dg.run_failure_sensor(name="post_failed_runs", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Posts each failed run to Slack once (the sensor's cursor moves past it either way).")
def post_failed_runs(context: dg.RunFailureSensorContext, slack: SlackResource) -> None:
    client = slack.client()
    if client is None:
        context.log.info("Slack is not configured; failed run %s is not posted", context.dagster_run.run_id)
        return
    steps = [f"{e.step_key}: {_root_cause(e.event_specific_data.error)}" for e in context.get_step_failure_events()
             if e.event_specific_data is not None and e.event_specific_data.error is not None]
    text, blocks = run_failure_message(context.dagster_run.job_name, context.dagster_run.run_id,
                                       "\n".join([context.failure_event.message or "", *steps]),
                                       os.environ.get("LISTENING_UI_URL", "").strip())
    with client:
        client.post(text, blocks)
