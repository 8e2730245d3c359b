"""Reach model: age normalisation, causal change detection, platform/account attribution."""

from __future__ import annotations

import importlib.util
import math
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest

from listening.reach import (
    ReachConfig,
    detect_reach_changes,
    engagement_rate_series,
    mature_posts,
    reach_chart_png,
    to_frame,
)

_SIM = Path(__file__).resolve().parents[1] / "bench" / "reach_sim.py"
T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sim():
    spec = importlib.util.spec_from_file_location("reach_sim", _SIM)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _quarter(sim, events):
    rows, truths = sim.simulate(1, days=45, accounts=3, scenario="quiet", platforms=("mastodon",), events=events)
    return pl.DataFrame(rows, infer_schema_length=None), truths


@pytest.fixture(scope="module")
def platform_drop(sim):
    return _quarter(sim, (("mastodon", None, 28.0, -0.5),))


def _snap(post: str, hours: float, likes: float | None, followers: float | None = 1000.0, **extra) -> dict:
    return {"platform": "mastodon", "account": "acme", "post_id": post, "posted_at": T0,
            "observed_at": T0 + timedelta(hours=hours), "likes": likes, "followers": followers, **extra}


def test_post_matures_at_first_look_past_reference_age_with_log_log_interpolation():
    rows = [_snap("p", 6, 9), _snap("p", 72, 99), _snap("young", 6, 5)]
    posts = mature_posts(to_frame(rows), ReachConfig(reference_hours=24.0))
    assert posts["post_id"].to_list() == ["p"]
    frac = math.log(24 / 6) / math.log(72 / 6)
    expected = math.expm1(math.log(10) + frac * (math.log(100) - math.log(10)))
    assert posts["engagement"][0] == pytest.approx(expected)
    assert posts["matured_at"][0] == T0 + timedelta(hours=72)


def test_views_count_only_where_no_interaction_is_known_and_followers_carry_forward():
    rows = [
        {**_snap("v", 24, None, followers=2000.0), "platform": "youtube", "views": 500.0},
        {**_snap("w", 24, None, followers=None), "platform": "youtube", "post_id": "w", "views": 1000.0},
    ]
    posts = mature_posts(to_frame(rows), ReachConfig(view_weight=0.02, reference_hours=24.0)).sort("post_id")
    assert posts["engagement"].to_list() == pytest.approx([10.0, 20.0])
    assert posts["followers"].to_list() == [2000.0, 2000.0]


def test_platform_wide_drop_is_found_and_attributed_platform(platform_drop):
    frame, truths = platform_drop
    at = truths[0].changed_at
    hits = [c for c in detect_reach_changes(frame) if c.direction == "down" and abs(c.changed_at - at) <= timedelta(days=4)]
    assert {c.account for c in hits} == {"ma-own", "ma-rival1", "ma-rival2"}
    assert all(c.attribution == "platform" for c in hits)
    assert all(c.detected_at - at <= timedelta(days=4) for c in hits)
    assert all(c.ci_low <= c.magnitude <= c.ci_high and -0.8 < c.magnitude < -0.2 for c in hits)


def test_single_account_drop_is_attributed_account(sim):
    frame, truths = _quarter(sim, (("mastodon", "ma-own", 28.0, -0.6),))
    changes = detect_reach_changes(frame)
    assert [(c.account, c.direction, c.attribution) for c in changes] == [("ma-own", "down", "account")]
    assert abs(changes[0].changed_at - truths[0].changed_at) <= timedelta(days=4)


def test_no_change_gives_no_rows(sim):
    frame, _ = _quarter(sim, ())
    assert detect_reach_changes(frame) == []


def test_growing_prefixes_give_identical_decisions(platform_drop):
    frame, _ = platform_drop
    full = detect_reach_changes(frame)
    assert full
    for cut in (T0 + timedelta(days=d) for d in (20, 29, 30.5, 33)):
        prefix = detect_reach_changes(frame.filter(pl.col("observed_at") <= cut))
        assert prefix == [c for c in full if c.detected_at <= cut], cut


def test_frame_and_dicts_give_the_same_changes(platform_drop):
    frame, _ = platform_drop
    assert detect_reach_changes(frame.to_dicts()) == detect_reach_changes(frame)


def test_rate_series_and_chart(platform_drop):
    frame, _ = platform_drop
    series = engagement_rate_series(frame)
    assert series.columns == ["platform", "account", "post_id", "posted_at", "matured_at", "rate", "baseline", "z"]
    first = series.filter(pl.col("account") == "ma-own").head(ReachConfig().warmup_posts)
    assert first["baseline"].null_count() == len(first)
    assert series["baseline"].drop_nulls().min() > 0
    png = reach_chart_png(series, detect_reach_changes(frame))
    assert png.startswith(b"\x89PNG") and len(png) < 200_000


def test_chart_of_nothing_is_still_an_image():
    assert reach_chart_png(engagement_rate_series([_snap("p", 24, 3)]), []).startswith(b"\x89PNG")


def test_no_snapshots_no_changes_and_missing_columns_are_input_errors():
    from listening.errors import InputError

    assert detect_reach_changes([]) == []
    assert engagement_rate_series(pl.DataFrame()).height == 0
    with pytest.raises(InputError, match="lack column"):
        detect_reach_changes([{"platform": "x", "account": "a"}])


def test_simulator_is_seeded_and_its_csv_reads_back(sim, tmp_path):
    from listening.reach import read_snapshots

    a, truths = sim.simulate(5, days=12, accounts=2, scenario="mixed", platforms=("bluesky", "youtube"))
    b, _ = sim.simulate(5, days=12, accounts=2, scenario="mixed", platforms=("bluesky", "youtube"))
    assert a == b and {t.kind for t in truths} == {"platform", "account"}
    path = tmp_path / "snapshots.csv"
    sim.write_snapshots_csv(path, seed=5, days=12, accounts=2, platforms=("bluesky", "youtube"))
    frame = read_snapshots(path)
    assert frame.height == len(a)
    youtube = frame.filter(pl.col("platform") == "youtube")
    assert youtube["replies"].null_count() == youtube.height and youtube["views"].null_count() == 0
