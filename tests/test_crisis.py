"""Behaviour of the spike detector and the detect-spikes file contract."""

from __future__ import annotations

import csv
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from listening.crisis import ALARM_COLUMNS, DetectorConfig, SpikeDetector, detect_spikes_csv
from listening.errors import InputError

T0 = datetime(2024, 3, 4, tzinfo=timezone.utc)
STEP = timedelta(minutes=5)


def rhythmic(days: int, level: float, seed: int = 1) -> np.ndarray:
    """Overdispersed counts with a daily rhythm, like a brand's 5-minute mention volume."""
    rng = np.random.default_rng(seed)
    t = np.arange(days * 288)
    mu = level * (1 + 0.6 * np.cos(2 * np.pi * (t / 288 - 0.6)))
    return rng.poisson(mu * rng.gamma(20, 1 / 20, t.size)).astype(float)


def feed(values, start: int = 0, det: SpikeDetector | None = None, skip=()) -> list:
    det = det or SpikeDetector()
    return [det.update(T0 + i * STEP, v) for i, v in enumerate(values) if i >= start and i not in skip]


def write_series(path: Path, values, step: timedelta = STEP, fmt: str = "%Y-%m-%d %H:%M:%S") -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "value"])
        for i, v in enumerate(values):
            w.writerow([(T0 + i * step).strftime(fmt), int(v)])
    return path


def test_sustained_surge_pages_once():
    values = rhythmic(6, 40)
    values[1500:1560] *= 3
    decisions = feed(values)
    alarms = [i for i, d in enumerate(decisions) if d.alarm]
    assert len(alarms) == 1 and 1500 <= alarms[0] <= 1504
    assert decisions[alarms[0]].severity in ("medium", "high", "critical")
    resolved = [i for i, d in enumerate(decisions) if d.resolved]
    assert len(resolved) == 1 and resolved[0] > 1560


def test_small_count_blip_is_not_a_crisis():
    values = np.ones(4 * 288)
    values[900:903] = 3
    assert not any(d.alarm for d in feed(values))


def test_single_bucket_outlier_does_not_page_but_extreme_jump_does():
    values = rhythmic(5, 40, seed=3)
    values[1200] *= 3
    assert not any(d.alarm for d in feed(values))
    values[1300] = 2000
    assert [i for i, d in enumerate(feed(values)) if d.alarm] == [1300]


def test_no_pages_during_warm_up():
    values = rhythmic(2, 40)
    values[100:130] *= 5
    assert not any(d.alarm for d in feed(values[:200]))


def test_growing_prefixes_give_identical_decisions():
    values = rhythmic(4, 25, seed=5)
    values[800:830] *= 4
    full = feed(values)
    for n in (300, 801, 815, len(values) - 1):
        assert feed(values[:n]) == full[:n]


def test_state_round_trips_through_json_mid_series():
    values = rhythmic(4, 25, seed=6)
    values[900:940] *= 4
    full = feed(values)
    det = SpikeDetector()
    first = [det.update(T0 + i * STEP, v) for i, v in enumerate(values[:850])]
    restored = SpikeDetector.from_state(json.loads(json.dumps(det.to_state(), allow_nan=False)))
    rest = [restored.update(T0 + i * STEP, v) for i, v in enumerate(values[850:], start=850)]
    assert first + rest == full


def test_gaps_are_tolerated_and_do_not_page():
    values = rhythmic(4, 30, seed=8)
    decisions = feed(values, skip=set(range(600, 700)))
    assert len(decisions) == len(values) - 100
    assert not any(d.alarm for d in decisions)


def test_collection_outage_of_zeros_does_not_page_on_recovery():
    values = rhythmic(5, 30, seed=9)
    values[700:1000] = 0
    decisions = feed(values)
    assert not any(d.alarm for d in decisions)
    assert decisions[1100].baseline > 10


def test_level_shift_pages_once_then_settles():
    values = rhythmic(8, 20, seed=10)
    values[1200:] *= 3
    alarms = [i for i, d in enumerate(feed(values)) if d.alarm]
    assert len(alarms) == 1 and alarms[0] < 1210


def test_timestamps_must_increase():
    det = SpikeDetector()
    det.update(T0, 1)
    with pytest.raises(ValueError, match="increase"):
        det.update(T0, 2)


def test_csv_contract_infers_15_minute_buckets(tmp_path):
    rng = np.random.default_rng(2)
    values = rng.poisson(50, 96 * 5).astype(float)
    values[400:408] = 400
    src = write_series(tmp_path / "s.csv", values, step=timedelta(minutes=15), fmt="%Y-%m-%dT%H:%M:%SZ")
    out = tmp_path / "alarms.csv"
    assert detect_spikes_csv(src, out) == 1
    rows = list(csv.DictReader(out.open()))
    assert tuple(rows[0]) == ALARM_COLUMNS
    assert rows[0]["timestamp"] in {(T0 + i * timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in (400, 401)}
    assert float(rows[0]["ratio"]) > 3 and rows[0]["severity"] in ("high", "critical")


def test_csv_with_no_alarms_writes_header_only(tmp_path):
    src = write_series(tmp_path / "s.csv", rhythmic(3, 10))
    out = tmp_path / "a.csv"
    assert detect_spikes_csv(src, out) == 0
    assert out.read_text().strip() == ",".join(ALARM_COLUMNS)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        pytest.param("time,value\n2024-01-01 00:00:00,1\n", "missing column(s) timestamp", id="missing-column"),
        pytest.param("timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,lots\n", "line 3 (row 2): non-numeric", id="non-numeric"),
        pytest.param("timestamp,value\n2024-01-01 00:00:00,1\nyesterday,4\n", "line 3 (row 2): unparsable timestamp", id="bad-time"),
        pytest.param("timestamp,value\n2024-01-01 00:00:00,-1\n", "line 2 (row 1): value must be", id="negative"),
        pytest.param("timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:00:00,2\n", "duplicate timestamp", id="duplicate"),
    ],
)
def test_bad_input_names_file_line_and_problem(tmp_path, body, needle):
    src = tmp_path / "bad.csv"
    src.write_text(body)
    with pytest.raises(InputError, match="bad.csv") as info:
        detect_spikes_csv(src, tmp_path / "out.csv")
    assert needle in str(info.value)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="nope.csv"):
        detect_spikes_csv(tmp_path / "nope.csv", tmp_path / "out.csv")


def test_config_rejects_bucket_that_does_not_divide_a_day():
    with pytest.raises(ValueError):
        DetectorConfig(bucket_seconds=7 * 60)


def test_p_value_is_a_probability():
    d = feed(rhythmic(2, 20))[-1]
    assert 0.0 <= d.p_value <= 1.0 and math.isfinite(d.zscore)


def test_state_is_a_snapshot_and_foreign_state_is_refused():
    det = SpikeDetector()
    feed(rhythmic(2, 10), det=det)
    snap = det.to_state()
    before = json.dumps(snap)
    det.update(T0 + 600 * STEP, 50)
    assert json.dumps(snap) == before
    with pytest.raises(ValueError):
        SpikeDetector.from_state({**snap, "version": 99})
    with pytest.raises(ValueError):
        SpikeDetector.from_state({**snap, "state": {**snap["state"], "_evil": 1}})


def test_cli_on_fixture_pages_once_inside_the_labelled_surge(tmp_path, capsys):
    from listening.cli import main

    out = tmp_path / "alarms.csv"
    fixture = Path(__file__).parent / "fixtures" / "crisis" / "surge_5min.csv"
    assert main(["detect-spikes", "--input", str(fixture), "--output", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 1 and "2025-03-06T03:00:00Z" <= rows[0]["timestamp"] < "2025-03-06T03:30:00Z"
    assert rows[0]["severity"] == "medium" and float(rows[0]["ratio"]) > 2
    assert "1 alert(s)" in capsys.readouterr().out
