"""Measuring tools for the benchmarks: wall time, throughput and peak memory per stage, and scratch stores."""

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class RssSampler:
    """Peak resident memory during a stage (ru_maxrss only ever grows, so it cannot tell stages apart)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    @contextmanager
    def watch(self) -> Iterator["RssSampler"]:
        self.peak = self._rss()
        self._stop.clear()
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.peak = max(self.peak, self._rss())


class Meter:
    """Wall time, throughput and peak RSS per stage."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, Any]] = {}
        self._rss = RssSampler()

    @contextmanager
    def stage(self, name: str, items: int = 0) -> Iterator[dict[str, Any]]:
        record: dict[str, Any] = {"items": items}
        with self._rss.watch() as rss:
            t0 = time.perf_counter()
            yield record
            record["wall_s"] = time.perf_counter() - t0
        record["peak_rss_mb"] = rss.peak / 2**20
        record["per_s"] = record["items"] / record["wall_s"] if record["wall_s"] and record["items"] else None
        self.stages[name] = record
        rate = f"{record['per_s']:>10,.0f}/s" if record["per_s"] else " " * 12
        print(f"  {name:<22} {record['items']:>9,} items {record['wall_s']:8.2f} s {rate}  peak RSS {record['peak_rss_mb']:6.0f} MB",
              flush=True)


@contextmanager
def fresh_store_url(tmp: Path, postgres: str | None, name: str) -> Iterator[str]:
    """A brand-new SQLite file, or a brand-new database on the PostgreSQL server (dropped afterwards)."""
    if not postgres:
        yield f"sqlite:///{tmp / (name + '.db')}"
        return
    import sqlalchemy as sa

    admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
    db = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    try:
        yield sa.make_url(postgres).set(database=db).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()
