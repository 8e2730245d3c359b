"""The engagement inbox: threads read, reminders and the morning summary, responsiveness KPIs (docs/inbox.md)."""

import base64

import dagster as dg

from listening.digest import last_complete_week
from listening.inbox import (NoticeReport, items, kpis_chart_png, kpis_table, read_conversations, score_items, select,
                             send_reminders, send_summary, weekly_kpis)
from listening.inbox.cli import row
from listening.tables import records_table
from dagster_project.resources import ClockResource, ListeningResource, ModelResource, SlackResource
from dagster_project.tables import table

SHOWN = 20


@dg.asset(group_name="inbox", deps=["mentions", "scored_mentions"], kinds={"python", "sql", "pytorch"},
          description="Reads the threads of the last inbox.thread_days of the brands' own posts and of posts that address "
          "them (Mastodon, Bluesky, Hacker News, Reddit) through the shared HTTP client; stores their items, marks an "
          "item answered when one of the brand's handles replied below it, and scores new replies' sentiment and "
          "intents. A thread that is gone or fails is reported on its own; nothing stored is deleted or reopened.")
def conversations(context: dg.AssetExecutionContext, listening: ListeningResource, model: ModelResource,
                  clock: ClockResource) -> dg.MaterializeResult:
    with listening.session() as s:
        report = read_conversations(s.config, s.store, s.client, now=clock.now())
        scored = score_items(s.store, model.scorer())
    for line in report.problems():
        context.log.warning(line)
    return dg.MaterializeResult(metadata={
        "threads_read": dg.MetadataValue.int(report.count("ok")),
        "threads_gone": dg.MetadataValue.int(report.count("gone")),
        "threads_failed": dg.MetadataValue.int(report.count("failed")),
        "threads_skipped": dg.MetadataValue.int(report.count("skipped")),
        "items_seen": dg.MetadataValue.int(report.items),
        "new_answers": dg.MetadataValue.int(report.new_answers),
        "newly_scored": dg.MetadataValue.int(scored),
        "problems": dg.MetadataValue.md("\n".join(f"- {line}" for line in report.problems()) or "none"),
    })


@dg.asset(group_name="inbox", deps=["conversations"], kinds={"slack", "sql"},
          description="The own brand's open inbox by priority; a Slack reminder (grouped, once per item) for items that "
          "breach the SLA within inbox.remind_hours, and a morning summary once a day, when Slack is configured.")
def inbox_reminders(context: dg.AssetExecutionContext, listening: ListeningResource, slack: SlackResource,
                    model: ModelResource, clock: ClockResource) -> dg.MaterializeResult:
    config, store, at = listening.config(), listening.store(), clock.now()
    found = items(store, config, model.model_id(), now=at)
    report = NoticeReport()
    client = slack.client() if config.inbox.slack else None
    if client is None:
        context.log.info("Slack is not configured (or inbox.slack is off): the inbox is kept in the store")
    else:
        with client:
            report = send_reminders(store, client, config, found, now=at)
            send_summary(store, client, config, found, now=at, report=report)
    open_items = select(found, "open")
    return dg.MaterializeResult(metadata={
        "open": dg.MetadataValue.int(len(open_items)),
        "due_soon": dg.MetadataValue.int(sum(it.state == "due" for it in open_items)),
        "breached": dg.MetadataValue.int(sum(it.state == "breached" for it in open_items)),
        "reminded_now": dg.MetadataValue.int(len(report.reminded)),
        "summary_posted": dg.MetadataValue.text(report.summary or "no"),
        "slack": dg.MetadataValue.text("configured" if client else "not configured"),
        "top_open": table(records_table([row(it, config.project.timezone) for it in open_items[:SHOWN]]))
        if open_items else dg.MetadataValue.text("the inbox is empty"),
    })


@dg.asset(group_name="inbox", deps=["conversations"], kinds={"python", "sql"},
          description="Responsiveness of the last complete week per brand, own and competitors: items needing an answer, "
          "share answered in public, median and p90 hours to the first answer, SLA breaches (table and chart).")
def responsiveness_kpis(listening: ListeningResource, model: ModelResource, clock: ClockResource) -> dg.MaterializeResult:
    config, store, at = listening.config(), listening.store(), clock.now()
    week = last_complete_week(at)
    rows = weekly_kpis(store, config, model.model_id(), week, now=at)
    names = {b.key: b.name for b in config.brands}
    png = kpis_chart_png(rows, names)
    own = next((k for k in rows if k.own), None)
    return dg.MaterializeResult(metadata={
        "week": dg.MetadataValue.text(week),
        "kpis": table(records_table(kpis_table(rows, names))),
        "chart": dg.MetadataValue.md(f"![responsiveness](data:image/png;base64,{base64.b64encode(png).decode()})"),
        "own_needing_answer": dg.MetadataValue.int(own.needing if own else 0),
        "own_answered_share": dg.MetadataValue.float(own.answered_share if own and own.answered_share is not None else 0.0),
        "own_median_hours": dg.MetadataValue.float(own.median_hours if own and own.median_hours is not None else 0.0),
        "own_sla_breaches": dg.MetadataValue.int(own.breaches if own else 0),
    })
