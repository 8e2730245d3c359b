"""The weekly competitor digest, one partition per week."""

import dagster as dg

from listening.digest import build_digest, embedded_markdown, partition_to_week, write_digest
from listening.nlp.scoring import get_scorer
from dagster_project.resources import ListeningResource

weekly = dg.WeeklyPartitionsDefinition(start_date="2025-01-06", day_offset=1)


@dg.asset(group_name="digest", deps=["scored_mentions", "crisis_alerts"], partitions_def=weekly, kinds={"python", "html"},
          description="Weekly competitor digest: what changed, share of voice (mentions and reach), sentiment trend, "
          "themes with quoted posts, competitors' own posts and campaigns, our crises; HTML + Markdown files under "
          "$LISTENING_HOME/digests.")
def weekly_competitor_digest(context: dg.AssetExecutionContext, listening: ListeningResource) -> dg.MaterializeResult:
    week = partition_to_week(context.partition_key)
    digest = build_digest(listening.store(), listening.config(), week, get_scorer().model_id)
    files = write_digest(digest)
    figures = digest.key_figures()
    return dg.MaterializeResult(metadata={
        "week": dg.MetadataValue.text(week),
        "window": dg.MetadataValue.text(f"{digest.start} – {digest.end}"),
        "mentions": dg.MetadataValue.int(figures["mentions"]),
        "share_of_voice": dg.MetadataValue.json(figures["share_of_voice"]),
        "reach_share": dg.MetadataValue.json(figures["reach_share"]),
        "net_sentiment": dg.MetadataValue.json(figures["net_sentiment"]),
        "crises": dg.MetadataValue.int(figures["crises"]),
        "competitor_posts": dg.MetadataValue.int(figures["competitor_posts"]),
        "html": dg.MetadataValue.path(str(files.html)),
        "digest": dg.MetadataValue.md(embedded_markdown(digest)),
    })
