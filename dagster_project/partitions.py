"""Partitions: daily windows (UTC) so any day can be rebuilt or backfilled, and brand × day for scoring."""

import dagster as dg

daily = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1)

# Brand keys as stored on mentions; the `mentions` asset adds a key the first time a brand has mentions,
# so a brand added to the config needs no code change or reload.
brands = dg.DynamicPartitionsDefinition(name="brand")

brand_day = dg.MultiPartitionsDefinition({"brand": brands, "date": daily})
