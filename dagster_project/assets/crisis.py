"""Crisis detection over each brand's scored stream, and the alerts it raises."""

import os

import dagster as dg

from listening.alerts import SqlRepository, alerts_table, deliver, describe_markdown, headline
from listening.render import clean, md_escape, safe_link
from listening.watch import watch
from dagster_project.resources import ClockResource, ListeningResource, ModelResource, SlackResource
from listening.tables import keyed
from dagster_project.tables import table

#: Alerts whose whole explanation the `crisis_alerts` metadata shows (open ones first, then the newest).
DETAILED = 5


def _md(text: str) -> str:
    return md_escape(clean(text, 300))


def _md_link(url: str, label: str) -> str:
    target = safe_link(url)
    return f"[{label}]({target})" if target else label


@dg.asset(group_name="crisis", deps=["scored_mentions"], kinds={"python", "sql"},
          description="Feeds the completed buckets (alerting.bucket_minutes, 5 by default) of every brand's negative mentions to "
          "its detector (learned daily/weekly rhythm, count statistics, a bar calibrated on the brand's own recent days) and "
          "opens, updates or resolves alert episodes.")
def crisis_signals(listening: ListeningResource, model: ModelResource, clock: ClockResource) -> dg.MaterializeResult:
    config, store = listening.config(), listening.store()
    report = watch(config, store, model.model_id(), now=clock.now())
    return dg.MaterializeResult(metadata={
        "buckets_fed": table(keyed({"buckets fed": report.buckets_fed}, "brand")),
        "alert_changes": dg.MetadataValue.int(len(report.changed)),
        "detector_resets": dg.MetadataValue.json(report.detector_resets),
        "changes": dg.MetadataValue.md("\n".join(f"- {_md(headline(a))}" for a in report.changed) or "none"),
    })


@dg.asset(group_name="crisis", deps=["crisis_signals"], kinds={"slack", "sql"},
          description="Posts own-brand alerts to Slack (one thread per episode: opened, updates, resolved), each state "
          "exactly once; with or without Slack, the metadata shows every recent alert's whole explanation (peak, "
          "duration, total, languages, sources, terms, linked posts), as `listening alerts show KEY` does.")
def crisis_alerts(context: dg.AssetExecutionContext, listening: ListeningResource,
                  slack: SlackResource) -> dg.MaterializeResult:
    config, store = listening.config(), listening.store()
    repo = SqlRepository(store)
    client = slack.client()
    posted: list[tuple[str, str]] = []
    if client is not None:
        with client:
            posted = deliver(repo, client, brands={b.key for b in config.brands if b.own},
                             ui_url=os.environ.get("LISTENING_UI_URL", "").strip())
    else:
        context.log.info("Slack is not configured (LISTENING_SLACK_WEBHOOK_URL or LISTENING_SLACK_BOT_TOKEN); alerts are kept in the store")
    recent = repo.recent(limit=20)
    detailed = sorted(recent, key=lambda a: a.state == "resolved")[:DETAILED]
    return dg.MaterializeResult(metadata={
        "open_alerts": dg.MetadataValue.int(sum(a.state != "resolved" for a in recent)),
        "posted_now": dg.MetadataValue.int(len(posted)),
        "slack": dg.MetadataValue.text("configured" if client else "not configured"),
        "recent_alerts": dg.MetadataValue.md("```\n" + alerts_table(recent, escape=lambda s: clean(s, 60)) + "\n```" if recent else "none"),
        "alert_details": dg.MetadataValue.md("\n\n".join(describe_markdown(a, escape=_md, link=_md_link) for a in detailed) or "none"),
    })
