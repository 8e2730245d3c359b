"""Jobs: the short cycle (ingest -> score -> detect -> alert) and the partitioned analytics."""

import dagster as dg

cycle_job = dg.define_asset_job(
    "listening_cycle",
    selection=dg.AssetSelection.groups("ingest", "mentions", "crisis"),
    description="The main job: fetch every source, store mentions, score them, detect crises and alert.",
)

timeseries_job = dg.define_asset_job(
    "timeseries_refresh",
    selection=dg.AssetSelection.assets("brand_timeseries"),
    description="Per brand x hour counts for one day (partitioned; backfill any range).",
)
