"""Partitions: daily windows (UTC) so any day can be rebuilt or backfilled."""

import dagster as dg

daily = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1)
