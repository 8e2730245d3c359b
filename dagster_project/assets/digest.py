"""The weekly competitor digest, one partition per week."""

import dagster as dg

from listening.digest import deliver_digest, embedded_markdown, partition_to_week, weekly_digest, write_digest
from dagster_project.resources import ListeningResource, ModelResource, SlackResource
from listening.tables import keyed
from dagster_project.tables import table

weekly = dg.WeeklyPartitionsDefinition(start_date="2025-01-06", day_offset=1)


@dg.asset(group_name="digest", deps=["scored_mentions", "crisis_alerts", "reach_changes"], partitions_def=weekly, kinds={"python", "html"},
          description="Weekly competitor digest: what changed, share of voice (mentions and reach), sentiment trend, "
          "themes with quoted posts, competitors' own posts and campaigns, reach changes, our crises; HTML + Markdown files under "
          "$LISTENING_HOME/digests (the same document `listening digest` writes), posted to Slack once per week when Slack "
          "is configured (a failed post stays pending and is retried by the next run, never failing the asset). A week that "
          "ended before the store's first mention fails with that reason.")
def weekly_competitor_digest(context: dg.AssetExecutionContext, listening: ListeningResource, model: ModelResource,
                             slack: SlackResource) -> dg.MaterializeResult:
    week = partition_to_week(context.partition_key)
    store = listening.store()
    digest = weekly_digest(store, listening.config(), week, model.model_id())
    files = write_digest(digest)
    posted = deliver_digest(store, digest, files.html, slack.env())
    log = context.log.warning if posted.status == "pending" else context.log.info
    log(f"digest {week}: {files.html}; Slack: {posted.describe()}")
    figures = digest.key_figures()
    return dg.MaterializeResult(metadata={
        "week": dg.MetadataValue.text(week),
        "window": dg.MetadataValue.text(f"{digest.start} – {digest.end}"),
        "mentions": dg.MetadataValue.int(figures["mentions"]),
        "per_brand": table(keyed({"share of voice": figures["share_of_voice"], "reach share": figures["reach_share"],
                                  "net sentiment": figures["net_sentiment"]}, "brand")),
        "crises": dg.MetadataValue.int(figures["crises"]),
        "competitor_posts": dg.MetadataValue.int(figures["competitor_posts"]),
        "html": dg.MetadataValue.path(str(files.html)),
        "markdown": dg.MetadataValue.path(str(files.markdown)),
        "slack": dg.MetadataValue.text(posted.describe()),
        "digest": dg.MetadataValue.md(embedded_markdown(digest)),
    })
