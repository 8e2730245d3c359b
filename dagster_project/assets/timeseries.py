"""Per brand x hour mention counts by source and language, one daily partition at a time."""

import base64

import dagster as dg

from listening.hourly import brand_summary, hourly_table, hourly_with_sentiment, volume_chart_png
from listening.timeseries import rebuild_window
from dagster_project.partitions import daily
from dagster_project.resources import ListeningResource
from dagster_project.tables import table

TABLE_HOURS = 24


@dg.asset(group_name="analytics", deps=["mentions", "scored_mentions"], partitions_def=daily, kinds={"polars", "sql"},
          backfill_policy=dg.BackfillPolicy.single_run(),
          description="Mentions per brand x hour, split by source and language (table brand_hourly), with the "
          "negative share of the scored ones: a chart per brand and a per-hour table.")
def brand_timeseries(context: dg.AssetExecutionContext, listening: ListeningResource) -> dg.MaterializeResult:
    window = context.partition_time_window
    store = listening.store()
    counts = rebuild_window(store, window.start, window.end)
    view = hourly_with_sentiment(store, counts, window.start, window.end)
    png = base64.b64encode(volume_chart_png(view, window.start, window.end)).decode()
    return dg.MaterializeResult(metadata={
        "window": dg.MetadataValue.text(f"{window.start:%Y-%m-%d %H:%M} – {window.end:%Y-%m-%d %H:%M} UTC"),
        "rows": dg.MetadataValue.int(counts.height),
        "mentions": dg.MetadataValue.int(int(counts["mentions"].sum())),
        "per_brand": table(brand_summary(view)),
        "hourly_chart": dg.MetadataValue.md(f"Mentions per hour, the negative ones in red:\n\n"
                                            f"![mentions per hour per brand](data:image/png;base64,{png})"),
        f"hourly (last {TABLE_HOURS} h)": table(hourly_table(view, hours=TABLE_HOURS)),
    })
