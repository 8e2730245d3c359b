"""Weeks of account re-polls against the replay, so the demo's reach model has a history.

In production the ingest schedule re-reads the tracked accounts every 10 minutes
and the reach model sees weeks of looks at every post. A demo has minutes, so it
walks the replay's clock instead: the account feeds are fetched every ``every``
from the start of the recording up to now, through the same connectors and the
same ingest code as a scheduled run, with each fetch dated at its walked time.
The look times are fixed relative to the replay's epoch (the same all week), so
running the demo twice writes nothing new.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from listening.config import REPLAY_VAR, load_config
from listening.ingest import run_ingest
from listening.pipeline import DEMO_CONFIG, REPLAY_PORT, http_client, now as pipeline_now
from listening.replay.server import ReplayServer, floor_minute
from listening.sources.plan import plan_tasks
from listening.store import Store

__all__ = ["RepollReport", "replay_repolls"]


@dataclass(frozen=True, slots=True)
class RepollReport:
    """What the walk did: fetch rounds, tracked accounts, snapshots kept, new posts, failed fetches."""

    rounds: int
    accounts: int
    snapshots: int
    new_posts: int
    failed: int
    start: datetime
    end: datetime


def replay_repolls(store: Store, *, now: datetime | None = None, every: timedelta = timedelta(hours=6)) -> RepollReport:
    """Fetch the demo's tracked accounts at every ``every`` of the recording up to ``now``; store as a run would."""
    end = floor_minute(now or pipeline_now())
    clock = [end]
    pinned = os.environ.get("LISTENING_REPLAY_EPOCH")
    epoch = datetime.fromisoformat(pinned) if pinned else None
    try:
        server = ReplayServer(clock=lambda: clock[0], port=REPLAY_PORT, epoch=epoch)
    except OSError:
        server = ReplayServer(clock=lambda: clock[0], epoch=epoch)
    replay = server.replay
    replay.pinned = True  # the clock walks back through the recording: keep today's mapping
    start = replay.epoch + timedelta(seconds=replay.labels["recorded_from_offset_s"])
    previous = os.environ.get(REPLAY_VAR)
    rounds = snapshots = new = failed = 0
    with server:
        os.environ[REPLAY_VAR] = server.url
        try:
            config = load_config(DEMO_CONFIG)
            tasks = [t for t in plan_tasks(config) if t.account]
            with http_client(config) as client:
                at = start
                while at < end:
                    clock[0] = at
                    report = run_ingest(config, store, client, tasks=tasks, now=lambda: at)
                    rounds += 1
                    snapshots += sum(t.snapshots for t in report.tasks)
                    new += report.new
                    failed += len(report.failed)
                    at += every
        finally:
            if previous is None:
                os.environ.pop(REPLAY_VAR, None)
            else:
                os.environ[REPLAY_VAR] = previous
    return RepollReport(rounds, len(tasks), snapshots, new, failed, start, end)
