"""The one Definitions object; workspace.yaml points here."""


import os

import dagster as dg

from dagster_project.assets.ingest import source_assets
from dagster_project.assets.crisis import crisis_alerts, crisis_signals
from dagster_project.assets.digest import weekly_competitor_digest
from dagster_project.assets.mentions import mentions
from dagster_project.assets.scoring import scored_mentions
from dagster_project.assets.timeseries import brand_timeseries
from dagster_project.jobs import cycle_job, timeseries_job
from dagster_project.resources import ListeningResource
from dagster_project.schedules import ingest_every_10_minutes, timeseries_hourly

defs = dg.Definitions(
    assets=[*source_assets, mentions, scored_mentions, crisis_signals, crisis_alerts, brand_timeseries, weekly_competitor_digest],
    jobs=[cycle_job, timeseries_job],
    schedules=[ingest_every_10_minutes, timeseries_hourly],
    resources={
        "listening": ListeningResource(
            config_path=os.environ.get("LISTENING_CONFIG", ""),
            database_url=os.environ.get("LISTENING_DATABASE_URL", ""),
        ),
    },
)
