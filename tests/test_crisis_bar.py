"""The calibrated page bar: a surge must beat what the series itself did on its recent normal days."""

from __future__ import annotations

import json

import numpy as np
import pytest

from listening.crisis import DetectorConfig, SpikeDetector
from tests.test_crisis import STEP, T0, feed, rhythmic

NO_BAR = DetectorConfig(page_margin=-1e9, bar_alone_days=0)  # the count model alone, as before the bar


def bursty(days: int, seed: int = 3) -> np.ndarray:
    """A brand stream whose normal life holds two 15-minute x5 bursts a day (retweet storms)."""
    rng = np.random.default_rng(seed)
    values = rhythmic(days, 40, seed)
    for day in range(days):
        for at in rng.choice(np.arange(day * 288 + 12, day * 288 + 270), size=2, replace=False):
            values[at : at + 3] *= 5
    return values


def alarms(values, config: DetectorConfig | None = None) -> list[int]:
    return [i for i, d in enumerate(feed(values, det=SpikeDetector(config))) if d.alarm]


def expected(level: float, t: np.ndarray) -> np.ndarray:
    return level * (1 + 0.6 * np.cos(2 * np.pi * (t / 288 - 0.6)))


def test_bursts_the_series_has_every_day_rarely_page_after_the_first_days():
    values = bursty(12)
    assert len([a for a in alarms(values, NO_BAR) if a >= 4 * 288]) >= 8
    assert len([a for a in alarms(values) if a >= 4 * 288]) <= 1


def test_a_surge_bigger_than_the_usual_bursts_still_pages_promptly():
    values = bursty(12)
    start = 10 * 288 + 150
    values[start : start + 24] = np.round(expected(40, np.arange(start, start + 24)) * 12)
    assert any(start <= a <= start + 3 for a in alarms(values))


def test_a_5x_surge_for_15_minutes_pages_within_20_minutes():
    values = rhythmic(6, 20)
    values[1500:1503] = np.round(expected(20, np.arange(1500, 1503)) * 5)
    pages = alarms(values)
    assert len(pages) == 1 and 1500 <= pages[0] <= 1503


def test_state_saved_before_the_bar_resumes_and_learns_the_bar():
    det = SpikeDetector()
    feed(rhythmic(3, 20), det=det)
    saved = det.to_state()
    old = {**saved, "version": 1, "state": {k: v for k, v in saved["state"].items()
                                            if k not in ("_calib", "_day_max", "_calib_day", "_recent")}}
    resumed = SpikeDetector.from_state(json.loads(json.dumps(old, allow_nan=False)))
    later = rhythmic(5, 20, seed=4)
    decisions = [resumed.update(T0 + i * STEP, later[i]) for i in range(3 * 288, 5 * 288)]
    assert not any(d.alarm for d in decisions) and len(resumed.to_state()["state"]["_calib"]) >= 1


def test_bar_settings_that_cannot_work_are_refused():
    with pytest.raises(ValueError, match="pseudo_count"):
        DetectorConfig(pseudo_count=0)
    with pytest.raises(ValueError, match="calibration_days"):
        DetectorConfig(calibration_days=0)
