"""The ``listening reach-changes`` file contract: SNAPSHOTS.csv in, CHANGES.csv out.

SNAPSHOTS has columns ``platform, account, post_id, posted_at, observed_at``
(ISO-8601, UTC unless an offset is given), ``likes, reposts, replies, views``
(empty where unknown) and ``followers``; extra columns are ignored.  CHANGES
starts with ``platform,account,changed_at,direction,magnitude,attribution``
then ``ci_low,ci_high,detected_at,posts_after``; one row per detected change.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from listening.errors import InputError
from listening.reach._api import detect_reach_changes
from listening.reach._prepare import SNAPSHOT_COLUMNS, to_frame
from listening.reach._types import CHANGE_COLUMNS, ReachChange, ReachConfig
from listening.textfile import read_csv
from listening.utc import parse_utc

__all__ = ["format_change", "read_snapshots", "reach_changes_csv"]

_COUNTS = ("likes", "reposts", "replies", "views", "followers")
_MAX_SKEW_HOURS = 1.0


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_snapshots(path: Path) -> pl.DataFrame:
    """Parse SNAPSHOTS.csv into the snapshot schema.

    Raises :class:`InputError` naming the file, line and problem: a missing
    column, an empty id, an unparsable time, a negative or non-numeric count, a
    snapshot taken before its post, or the same post observed twice at once.
    """
    path = Path(path)
    table = read_csv(path, SNAPSHOT_COLUMNS, "a snapshots CSV")
    idx = table.columns
    rows: list[dict[str, object]] = []
    seen: dict[tuple[str, str, datetime], int] = {}
    for line, row in table.rows():
        where = f"{path}: line {line}"
        if len(row) < table.width:
            raise InputError(f"{where}: expected {table.width} columns, got {len(row)}")
        rec: dict[str, object] = {}
        for c in ("platform", "account", "post_id"):
            rec[c] = row[idx[c]].strip()
            if not rec[c]:
                raise InputError(f"{where}: empty {c}")
        for c in ("posted_at", "observed_at"):
            try:
                rec[c] = parse_utc(row[idx[c]])
            except ValueError as exc:
                raise InputError(f"{where}: unparsable {c} {row[idx[c]]!r}; use ISO-8601 like 2026-01-31T09:00:00Z") from exc
        for c in _COUNTS:
            cell = row[idx[c]].strip()
            if not cell:
                rec[c] = None
                continue
            try:
                value = float(cell)
            except ValueError as exc:
                raise InputError(f"{where}: non-numeric {c} {cell!r}") from exc
            if not math.isfinite(value) or value < 0:
                raise InputError(f"{where}: {c} must be a finite count >= 0, got {cell!r}")
            rec[c] = value
        posted, observed = rec["posted_at"], rec["observed_at"]
        assert isinstance(posted, datetime) and isinstance(observed, datetime)
        if (posted - observed).total_seconds() > _MAX_SKEW_HOURS * 3600:
            raise InputError(f"{where}: observed_at {row[idx['observed_at']]!r} is before posted_at {row[idx['posted_at']]!r}")
        key = (str(rec["platform"]), str(rec["post_id"]), observed)
        if key in seen:
            raise InputError(f"{where}: post {rec['post_id']!r} already observed at {row[idx['observed_at']].strip()!r} on line {seen[key]}")
        seen[key] = line
        rows.append(rec)
    if not rows:
        return to_frame([])
    return to_frame(pl.DataFrame(rows, schema_overrides={c: pl.Float64 for c in _COUNTS}, infer_schema_length=None))


def format_change(change: ReachChange) -> tuple[str, ...]:
    """One CHANGES.csv row, columns in :data:`CHANGE_COLUMNS` order."""
    return (
        change.platform, change.account, _iso(change.changed_at), change.direction,
        f"{change.magnitude:.3f}", change.attribution, f"{change.ci_low:.3f}", f"{change.ci_high:.3f}",
        _iso(change.detected_at), str(change.posts_after),
    )


def reach_changes_csv(input_path: Path, output_path: Path, config: ReachConfig | None = None) -> int:
    """Run the reach detector over SNAPSHOTS.csv, write CHANGES.csv, return the number of changes."""
    input_path, output_path = Path(input_path), Path(output_path)
    changes = detect_reach_changes(read_snapshots(input_path), config)
    try:
        with output_path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(CHANGE_COLUMNS)
            writer.writerows(format_change(c) for c in changes)
    except OSError as exc:
        raise InputError(f"{output_path}: cannot write changes ({exc.strerror or exc})") from exc
    return len(changes)
