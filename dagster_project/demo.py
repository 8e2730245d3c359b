"""`listening demo` runs this: the main job, the timeseries backfill and last week's digest, on the embedded default.

Runs go into the Dagster instance at $DAGSTER_HOME, so the UI shows them afterwards.
"""


import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)

from dagster_project.definitions import defs  # noqa: E402 - after the warning filter
from dagster_project.partitions import daily  # noqa: E402
from listening.digest import last_complete_week, week_partition_key  # noqa: E402
from listening.pipeline import now, open_store  # noqa: E402
from listening.replay.repolls import replay_repolls  # noqa: E402

REPLAY_DAYS = 22


def _timed(label: str, run: Callable[[], dg.ExecuteInProcessResult]) -> bool:
    started = time.monotonic()
    print(f"[demo] {label}…", file=sys.stderr, flush=True)
    result = run()
    print(f"[demo] {label}: {'ok' if result.success else 'FAILED'} in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)
    return result.success


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-scoring", action="store_true", help="leave out the sentiment model")
    args = parser.parse_args(argv)
    instance = dg.DagsterInstance.get()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

    if not os.environ.get("LISTENING_CONFIG"):
        started = time.monotonic()
        print("[demo] account re-polls: the replay's weeks of 6-hourly looks at the brands' Mastodon and Bluesky "
              "accounts…", file=sys.stderr, flush=True)
        walk = replay_repolls(open_store())
        print(f"[demo] account re-polls: {walk.rounds} rounds x {walk.accounts} accounts, {walk.snapshots} engagement "
              f"snapshots in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)

    cycle = defs.resolve_job_def("listening_cycle")
    selection = None
    if args.no_scoring:
        selection = [k for k in cycle.asset_layer.executable_asset_keys if k.path[-1] != "scored_mentions"]
    if not _timed("job listening_cycle: ingest the replay, score, detect, alert",
                  lambda: cycle.execute_in_process(run_config=quiet, instance=instance, asset_selection=selection)):
        return 1

    if args.no_scoring:
        print("[demo] inbox left out: it scores the replies' intents", file=sys.stderr, flush=True)
    elif not _timed("job inbox_refresh: read the brands' threads, inbox, reminders, responsiveness KPIs",
                    lambda: defs.resolve_job_def("inbox_refresh").execute_in_process(run_config=quiet, instance=instance)):
        return 1

    today = datetime.now(timezone.utc).date()
    keys = daily.get_partition_keys_in_range(dg.PartitionKeyRange((today - timedelta(days=REPLAY_DAYS)).isoformat(), today.isoformat()))
    tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
    timeseries = defs.resolve_job_def("timeseries_refresh")
    if not _timed(f"job timeseries_refresh: backfill brand_timeseries for {len(keys)} days",
                  lambda: timeseries.execute_in_process(run_config=quiet, instance=instance, tags=tags)):
        return 1

    if args.no_scoring:
        print("[demo] weekly digest left out: it reads sentiment and topics", file=sys.stderr, flush=True)
        return 0
    week = last_complete_week(now())
    digest = defs.resolve_job_def("weekly_digest")
    if not _timed(f"job weekly_digest: competitor digest for {week}, the last complete week",
                  lambda: digest.execute_in_process(run_config=quiet, instance=instance, partition_key=week_partition_key(week))):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
