"""Algorithm-driven reach changes of the tracked own and competitor accounts."""

import dagster as dg

from listening.reach import ReachConfig, changes_markdown, track_reach
from dagster_project.resources import ClockResource, ListeningResource, SlackResource
from listening.tables import records_table
from dagster_project.tables import table


@dg.asset(group_name="reach", deps=["mastodon_mentions", "bluesky_mentions"], kinds={"python", "sql", "slack"},
          description=f"Engagement per follower of every tracked account, normalised to a post age of "
          f"{ReachConfig().reference_hours:g} h (the reach model's reference age); durable "
          "changes found by change-point detection and attributed to the platform (competitors moved too: an "
          "algorithm change) or to the account (its own content). Table reach_changes; a Slack notice for "
          "platform-wide changes and own-account changes when Slack is configured.")
def reach_changes(context: dg.AssetExecutionContext, listening: ListeningResource, slack: SlackResource,
                  clock: ClockResource) -> dg.MaterializeResult:
    config, store = listening.config(), listening.store()
    client = slack.client()
    if client is None:
        context.log.info("Slack is not configured (LISTENING_SLACK_WEBHOOK_URL or LISTENING_SLACK_BOT_TOKEN); "
                         "reach changes are kept in the store")
        report = track_reach(store, config, now=clock.now())
    else:
        with client:
            report = track_reach(store, config, now=clock.now(), slack=client)
    for key in report.failed:
        context.log.warning("reach notice %s was not posted; the next run retries it", key)
    return dg.MaterializeResult(metadata={
        "changes": dg.MetadataValue.md(changes_markdown(report.changes, report.brands)),
        "platform_changes": dg.MetadataValue.int(sum(c.attribution == "platform" for c in report.changes)),
        "account_changes": dg.MetadataValue.int(sum(c.attribution == "account" for c in report.changes)),
        "chart": dg.MetadataValue.md(report.chart_markdown),
        "chart_file": dg.MetadataValue.path(str(report.chart_path)),
        "detected": table(records_table(report.as_rows())),
        "accounts": dg.MetadataValue.int(report.accounts),
        "posts_measured": dg.MetadataValue.int(report.posts),
        "snapshots": dg.MetadataValue.int(report.snapshots),
        "slack": dg.MetadataValue.text("configured" if client else "not configured"),
        "notices_posted": dg.MetadataValue.int(len(report.posted)),
    })
