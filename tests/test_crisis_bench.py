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


def test_real_series_load_with_windows_in_buckets(bench, tmp_path):
    rows = ["timestamp,value"] + [f"2015-03-01 00:{m:02d}:53,{m}" for m in range(0, 60, 5)]
    (tmp_path / "Twitter_volume_X.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "windows.json").write_text(
        '{"realTweets/Twitter_volume_X.csv": [["2015-03-01 00:10:53.000000", "2015-03-01 00:20:53.000000"]]}')
    [s] = bench.load_real(tmp_path, bench.Series)
    assert s.name == "X" and s.windows == [(2, 5)] and s.values[3] == 15 and s.origin.minute == 0
    r = bench.score([s], [[1, 2, 4, 5]])
    assert (r["hits"], r["false"]) == (1, 2)


def test_thinning_is_seeded_and_keeps_a_share(bench):
    s = bench.Series("t", np.arange(1000), np.full(1000, 100.0), [], [], 100.0)
    a, b = bench.thin([s], 0.25, 7)[0], bench.thin([s], 0.25, 7)[0]
    assert np.array_equal(a.values, b.values) and 23 < a.values.mean() < 27


def test_leave_one_out_chooses_on_the_others_only(bench):
    series = [bench.Series(n, np.arange(288 * 30), np.zeros(288 * 30), [(100, 200)], [100], 1.0) for n in "abc"]
    grid = [{"p": 0}, {"p": 1}]

    def run(s, params):  # p=1 finds every window but pages falsely three times on "a"
        return ([150] + ([5000, 6000, 7000] if s.name == "a" else [])) if params["p"] else []

    folds = bench.leave_one_out(series, grid, run, bench.score)
    assert [f[1]["p"] for f in folds] == [1, 0, 0]  # p=1 stays within 1 false page / 30 days only without "a"
    assert (folds[0][2]["hits"], folds[0][2]["false"]) == (1, 3)


def test_real_like_noise_is_seeded_and_bursty(bench):
    a = bench.make_series(np.random.default_rng(5), "a", 20, bench.RealNoise())
    b = bench.make_series(np.random.default_rng(5), "a", 20, bench.RealNoise())
    legacy = bench.make_series(np.random.default_rng(5), "a", 20)
    assert np.array_equal(a.values, b.values)
    assert bench.noise_stats(a)["bursts/day"] > bench.noise_stats(legacy)["bursts/day"]


def test_ordinary_surges_counts_rises_outside_windows_once_per_episode(bench):
    n = 288 * 30
    values, expected = np.full(n, 2.0), np.full(n, 2.0)
    values[3000:3003] = 12  # x6 over 15 minutes, outside every window
    values[3010:3013] = 12  # the same episode (under 3 h later)
    values[6000:6003] = 40  # x20, inside the window
    values[8000:8003] = 3   # x1.5: ordinary
    s = bench.Series("t", np.arange(n), values, [(5990, 6100)], [5990], 2.0)
    got = bench.ordinary_surges(s, expected, (5, 10))
    assert got[5][:2] == (1, 1) and got[10][:2] == (0, 1)
    assert got[5][2] == pytest.approx(23)
    cold = expected.copy()
    cold[:3100] = np.nan  # before the detector is warm nothing is judged
    assert bench.ordinary_surges(s, cold, (5,))[5][:2] == (0, 1)
