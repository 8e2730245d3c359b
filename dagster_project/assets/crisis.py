"""Crisis detection over each brand's scored stream, and the alerts it raises."""

import sqlalchemy as sa

import dagster as dg

from listening.alerts import SqlRepository, deliver
from listening.nlp.scoring import get_scorer
from listening.pipeline import now
from listening.render import md_escape
from listening.slack import SlackClient
from listening.store import alerts
from listening.watch import watch
from dagster_project.resources import ListeningResource


@dg.asset(group_name="crisis", deps=["scored_mentions"], kinds={"python", "sql"},
          description="Feeds the completed 5–15 minute buckets of every brand's negative mentions to its detector "
          "(learned daily/weekly rhythm, count statistics, sustained-rise rule) and opens, updates or resolves alert episodes.")
def crisis_signals(listening: ListeningResource) -> dg.MaterializeResult:
    config, store = listening.config(), listening.store()
    report = watch(config, store, get_scorer().model_id, now=now())
    return dg.MaterializeResult(metadata={
        "buckets_fed": dg.MetadataValue.json(report.buckets_fed),
        "alert_changes": dg.MetadataValue.int(len(report.changed)),
        "changes": dg.MetadataValue.md("\n".join(f"- **{a.brand}** {a.state} ({a.severity}) `{a.key}`" for a in report.changed) or "none"),
    })


@dg.asset(group_name="crisis", deps=["crisis_signals"], kinds={"slack", "sql"},
          description="Posts own-brand alerts to Slack (one thread per episode: opened, updates, resolved), each state "
          "exactly once; without Slack configured, alerts stay in the store and are listed here.")
def crisis_alerts(context: dg.AssetExecutionContext, listening: ListeningResource) -> dg.MaterializeResult:
    config, store = listening.config(), listening.store()
    slack = SlackClient.from_env()
    posted: list[tuple[str, str]] = []
    if slack is not None:
        with slack:
            posted = deliver(SqlRepository(store), slack, brands={b.key for b in config.brands if b.own})
    else:
        context.log.info("Slack is not configured (LISTENING_SLACK_WEBHOOK_URL or LISTENING_SLACK_BOT_TOKEN); alerts are kept in the store")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(alerts).order_by(alerts.c.window_start.desc()).limit(20)).mappings().all()
    lines = ["| brand | state | severity | since (UTC) | last bucket | posted to Slack |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {md_escape(r['brand'])} | {r['state']} | {r['severity']} | {r['window_start']:%Y-%m-%d %H:%M} "
                     f"| {r['window_end']:%Y-%m-%d %H:%M} | {r['delivered_state'] or '—'} |")
    return dg.MaterializeResult(metadata={
        "open_alerts": dg.MetadataValue.int(sum(r["state"] != "resolved" for r in rows)),
        "posted_now": dg.MetadataValue.int(len(posted)),
        "slack": dg.MetadataValue.text("configured" if slack else "not configured"),
        "recent_alerts": dg.MetadataValue.md("\n".join(lines)),
    })
