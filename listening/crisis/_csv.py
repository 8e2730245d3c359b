"""The ``listening detect-spikes`` file contract: SERIES.csv in, ALARMS.csv out.

SERIES has columns ``timestamp,value`` (ISO-8601, any extra columns ignored);
ALARMS has one row per page with ``timestamp`` first, echoed as written in
SERIES so callers can join on it, then the bucket's ``value`` and learned
``baseline``, the evidence (``ratio``, ``zscore``, ``p_value`` at the time scale
``scale_minutes`` that fired) and the ``severity`` grade.
"""

from __future__ import annotations

import csv
import math
import statistics
from datetime import datetime
from pathlib import Path

from listening.crisis._detector import DetectorConfig, SpikeDetector
from listening.errors import InputError
from listening.textfile import read_csv
from listening.utc import parse_utc

__all__ = ["ALARM_COLUMNS", "detect_spikes_csv", "infer_bucket_seconds", "read_series"]

ALARM_COLUMNS = ("timestamp", "value", "baseline", "ratio", "zscore", "p_value", "severity", "scale_minutes")
_BUCKETS = (60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def read_series(path: Path) -> list[tuple[str, datetime, float]]:
    """Rows of (timestamp as written, UTC datetime, value), sorted by time.

    Raises :class:`InputError` naming the file, line and problem.
    """
    table = read_csv(path, ("timestamp", "value"), "a series CSV (timestamp,value)")
    ti, vi = table.columns["timestamp"], table.columns["value"]
    rows: list[tuple[str, datetime, float]] = []
    for line, row in table.rows():
        if len(row) <= max(ti, vi):
            raise InputError(f"{path}: line {line} (row {line - 1}): expected {table.width} columns, got {len(row)}")
        try:
            ts = parse_utc(row[ti])
        except ValueError as exc:
            raise InputError(f"{path}: line {line} (row {line - 1}): unparsable timestamp {row[ti]!r}") from exc
        try:
            value = float(row[vi])
        except ValueError as exc:
            raise InputError(f"{path}: line {line} (row {line - 1}): non-numeric value {row[vi]!r}") from exc
        if not math.isfinite(value) or value < 0:
            raise InputError(f"{path}: line {line} (row {line - 1}): value must be a finite count >= 0, got {row[vi]!r}")
        rows.append((row[ti].strip(), ts, value))
    rows.sort(key=lambda r: r[1])
    for (_, prev, _), (text, ts, _) in zip(rows, rows[1:]):
        if ts == prev:
            raise InputError(f"{path}: duplicate timestamp {text!r}; aggregate counts per bucket first")
    return rows


def infer_bucket_seconds(times: list[datetime]) -> int:
    """Bucket size as the median step, snapped to the nearest size that divides a day.

    >>> from datetime import timedelta
    >>> t = datetime(2024, 1, 1)
    >>> infer_bucket_seconds([t + timedelta(minutes=5 * i) for i in (0, 1, 2, 5, 6)])
    300
    """
    steps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    if not steps:
        return 300
    step = statistics.median(steps)
    return min(_BUCKETS, key=lambda b: abs(math.log(b / max(step, 1.0))))


def detect_spikes_csv(input_path: Path, output_path: Path, config: DetectorConfig | None = None) -> int:
    """Run the detector over SERIES.csv, write ALARMS.csv, return the number of alarms."""
    input_path, output_path = Path(input_path), Path(output_path)
    rows = read_series(input_path)
    if config is None:
        config = DetectorConfig(bucket_seconds=infer_bucket_seconds([r[1] for r in rows]))
    detector = SpikeDetector(config)
    alarms: list[tuple[str, ...]] = []
    for text, ts, value in rows:
        try:
            d = detector.update(ts, value)
        except ValueError as exc:
            raise InputError(f"{input_path}: timestamp {text!r}: {exc}") from exc
        if d.alarm:
            alarms.append((
                text, f"{d.value:g}", f"{d.baseline:.2f}", f"{d.ratio:.2f}",
                f"{d.zscore:.2f}", f"{d.p_value:.3g}", d.severity or "low", str(d.scale_minutes),
            ))
    try:
        with output_path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(ALARM_COLUMNS)
            writer.writerows(alarms)
    except OSError as exc:
        raise InputError(f"{output_path}: cannot write alarms ({exc.strerror or exc})") from exc
    return len(alarms)
