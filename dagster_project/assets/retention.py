"""Retention: the cycle's last step prunes raw payloads and old mentions, keeping aggregates."""

import dagster as dg

from listening.retention import apply_retention
from dagster_project.resources import ClockResource, ListeningResource


@dg.asset(group_name="mentions", deps=["crisis_signals"], kinds={"sql"},
          description="Applies `retention:` from the listening config: clears raw payloads older than `raw_days` and "
          "deletes mentions (and their scores and skipped-item records) older than `mention_days`. Hourly counts are "
          "completed first and kept, like alerts, reach changes and digests. Without a setting nothing is deleted. "
          "Then refreshes the store's query-planner statistics (SQLite).")
def data_retention(context: dg.AssetExecutionContext, listening: ListeningResource,
                   clock: ClockResource) -> dg.MaterializeResult:
    config, store = listening.config(), listening.store()
    report = apply_retention(store, config.retention, now=clock.now())
    store.refresh_statistics()
    if not (config.retention.raw_days or config.retention.mention_days):
        context.log.info("no retention configured (retention.raw_days / retention.mention_days): nothing is deleted")
    return dg.MaterializeResult(metadata={
        "raw_days": dg.MetadataValue.text(str(config.retention.raw_days or "keep")),
        "mention_days": dg.MetadataValue.text(str(config.retention.mention_days or "keep")),
        "raw_cleared": dg.MetadataValue.int(report.raw_cleared),
        "mentions_deleted": dg.MetadataValue.int(report.mentions_deleted),
        "scores_deleted": dg.MetadataValue.int(report.scores_deleted),
        "skipped_items_deleted": dg.MetadataValue.int(report.skipped_deleted),
        "hours_counted_before_deleting": dg.MetadataValue.int(report.hours_counted),
        "mentions_kept_from": dg.MetadataValue.text(f"{report.mentions_before:%Y-%m-%d %H:%M} UTC" if report.mentions_before else "all"),
    })
