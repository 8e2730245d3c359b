"""The evaluation harness is deterministic and scores by the paging rules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "bench" / "crisis_eval.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("crisis_eval", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_series_are_seeded(bench):
    a = bench.make_series(np.random.default_rng(3), "a", 12)
    b = bench.make_series(np.random.default_rng(3), "a", 12)
    assert np.array_equal(a.values, b.values) and a.windows == b.windows
    assert a.values.min() >= 0 and len(a.windows) >= 1


def test_score_counts_each_window_once_and_every_outside_alert(bench):
    s = bench.Series("t", np.arange(288 * 30), np.zeros(288 * 30), [(100, 200), (500, 600)], [100, 500], 1.0)
    r = bench.score([s], [[110, 120, 300, 650]])
    assert (r["hits"], r["false"]) == (1, 2)
    assert r["recall"] == 0.5 and r["precision"] == pytest.approx(1 / 3)
    assert r["median_delay_min"] == 50 and r["false_per_30d"] == pytest.approx(2.0)
