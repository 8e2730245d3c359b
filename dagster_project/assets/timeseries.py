"""Per brand x hour mention counts by source and language, one daily partition at a time."""


import dagster as dg
import polars as pl

from listening.timeseries import rebuild_window
from dagster_project.partitions import daily
from dagster_project.resources import ListeningResource


@dg.asset(group_name="analytics", deps=["mentions"], partitions_def=daily, kinds={"polars", "sql"},
          backfill_policy=dg.BackfillPolicy.single_run(),
          description="Mentions per brand x hour, split by source and language (table brand_hourly).")
def brand_timeseries(context: dg.AssetExecutionContext, listening: ListeningResource) -> dg.MaterializeResult:
    window = context.partition_time_window
    counts = rebuild_window(listening.store(), window.start, window.end)
    per_brand = counts.group_by("brand").agg(pl.col("mentions").sum()).sort("brand")
    busiest = counts.sort("mentions", descending=True).head(1).to_dicts()
    return dg.MaterializeResult(metadata={
        "window": dg.MetadataValue.text(f"{window.start:%Y-%m-%d %H:%M} – {window.end:%Y-%m-%d %H:%M} UTC"),
        "rows": dg.MetadataValue.int(counts.height),
        "mentions": dg.MetadataValue.int(int(counts["mentions"].sum())),
        "per_brand": dg.MetadataValue.json({r["brand"]: int(r["mentions"]) for r in per_brand.to_dicts()}),
        "busiest_hour": dg.MetadataValue.json({k: str(v) for k, v in busiest[0].items()} if busiest else {}),
    })
