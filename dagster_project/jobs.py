"""Jobs: the short cycle (ingest -> score -> detect -> alert) and the partitioned analytics."""

import dagster as dg

cycle_job = dg.define_asset_job(
    "listening_cycle",
    selection=dg.AssetSelection.groups("ingest", "mentions", "crisis", "reach"),
    description="The main job: fetch every source, store mentions, score them, detect crises and alert, "
    "and track the accounts' reach.",
)

timeseries_job = dg.define_asset_job(
    "timeseries_refresh",
    selection=dg.AssetSelection.assets("brand_timeseries"),
    description="Per brand x hour counts for one day (partitioned; backfill any range).",
)

digest_job = dg.define_asset_job(
    "weekly_digest",
    selection=dg.AssetSelection.assets("weekly_competitor_digest"),
    description="The weekly competitor digest for one week (partitioned by week; files + Slack post).",
)

scoring_backfill_job = dg.define_asset_job(
    "scoring_backfill",
    selection=dg.AssetSelection.assets("brand_day_scores"),
    description="Score one brand × day of stored mentions (partitioned; backfill a range to score history in "
    "parallel, e.g. after switching models).",
)

inbox_job = dg.define_asset_job(
    "inbox_refresh",
    selection=dg.AssetSelection.groups("inbox"),
    description="Read the brands' threads, update the inbox (answered items, intents), remind Slack of items about "
    "to breach the SLA, and compute the responsiveness KPIs.",
)
