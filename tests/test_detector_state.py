"""Saved detector state across code and config changes: migrated or re-learned from history, never an exception."""

from __future__ import annotations

import copy
import logging
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from listening.alerts import AlertLifecycle, BucketStats, MemoryRepository
from listening.crisis import DetectorConfig

T0 = datetime(2024, 5, 6, tzinfo=timezone.utc)
QUARTER, HOUR = DetectorConfig(bucket_seconds=900), DetectorConfig(bucket_seconds=3600)
KEY = "crisis:acme"


def quarters(n: int, surges: tuple[tuple[int, int], ...] = ()) -> list[BucketStats]:
    """15-minute buckets of quiet negative chatter with surges (ranges of bucket indexes)."""
    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        neg = 45 if any(a <= i < b for a, b in surges) else int(rng.poisson(6))
        out.append(BucketStats(start=T0 + i * timedelta(minutes=15), negative=neg, total=neg + 60, languages={"en": neg},
                               sources={"rss": neg}, terms={"outage": neg}))
    return out


def hours(buckets: list[BucketStats]) -> list[BucketStats]:
    """The same stream in hourly buckets, as the bucketer gives it after ``bucket_minutes: 60``."""
    out = []
    for i in range(0, len(buckets) - 3, 4):
        part = buckets[i:i + 4]
        neg = sum(b.negative for b in part)
        out.append(BucketStats(start=part[0].start, negative=neg, total=sum(b.total for b in part), languages={"en": neg},
                               sources={"rss": neg}, terms={"outage": neg}))
    return out


def saved_after(n: int = 600, surges: tuple[tuple[int, int], ...] = ((450, 470),)) -> MemoryRepository:
    repo = MemoryRepository()
    changed = AlertLifecycle("acme", repo, QUARTER).observe_many(quarters(n, surges))
    assert [a.state for a in changed][:1] == ["open"], "the saved history holds a real episode"
    return repo


def test_a_bucket_minutes_change_re_learns_from_history_and_pages_only_new_surges(caplog: pytest.LogCaptureFixture) -> None:
    repo = saved_after()
    stream = hours(quarters(900, ((450, 470), (800, 830))))

    with caplog.at_level(logging.WARNING, logger="listening.alerts._lifecycle"):
        lifecycle = AlertLifecycle("acme", repo, HOUR)
        again = AlertLifecycle("acme", repo, HOUR)
    assert lifecycle.reset == "saved under another config: bucket_seconds 900 -> 3600"
    assert again.reset is None, "the discard is saved, so it is reported once"
    assert len([r for r in caplog.records if "discarded" in r.message]) == 1

    changed = again.observe_many(stream)

    assert repo.states[KEY]["detector"]["config"]["bucket_seconds"] == 3600
    assert {a.state for a in changed} >= {"open"}
    assert min(a.window_start for a in changed) >= T0 + 600 * timedelta(minutes=15), \
        "history the old detector judged (the first surge) is re-learned, not paged again"
    # The new surge is the same size as the re-learned one four days before: it must beat that day's maximum
    # plus a margin that day also widens (docs/crisis.md), so at hourly buckets it pages on its third hour.
    assert any(a.window_start <= T0 + 800 * timedelta(minutes=15) + timedelta(hours=2) <= a.window_end + timedelta(hours=3)
               for a in changed), "the re-learned detector pages the new surge"


def test_a_state_from_the_previous_code_version_is_migrated_not_discarded() -> None:
    repo = saved_after()
    state = repo.states[KEY]
    v1 = copy.deepcopy(state)
    v1["detector"]["version"] = 1
    for name in ("_calib", "_day_max", "_calib_day", "_recent", "_sustain"):
        del v1["detector"]["state"][name]
    repo.states[KEY] = v1

    lifecycle = AlertLifecycle("acme", repo, QUARTER)

    assert lifecycle.reset is None
    assert lifecycle.detector.last_timestamp == T0 + 599 * timedelta(minutes=15)
    lifecycle.observe_many(quarters(700, ((450, 470),))[600:])
    assert lifecycle.detector.last_timestamp == T0 + 699 * timedelta(minutes=15)


def test_a_state_saved_while_the_bar_read_a_near_copy_scale_resumes_where_it_stopped() -> None:
    """Version 3 at 5-minute buckets kept a bar entry for the capped 15-minute window beside the raw 15-minute
    sum; the migrated state is the one this code would have saved, so decisions go on unchanged."""
    from listening.crisis import SpikeDetector, restore_detector

    det = SpikeDetector(DetectorConfig(bucket_seconds=300))
    rng = np.random.default_rng(3)
    for i in range(12 * 24 * 10):
        det.update(T0 + i * timedelta(minutes=5), float(rng.poisson(60 if 2000 <= i < 2010 else 4)))
    now = det.to_state()
    assert len(now["state"]["_day_max"]) == 3 and len(now["state"]["_calib"]) >= 8

    def with_copy(row: list[float] | None) -> list[float] | None:
        return None if row is None else [row[0], -1.0, *row[1:]]

    v3 = copy.deepcopy(now)
    v3["version"] = 3
    for name in ("_day_max", "_peak", "_repeat"):
        v3["state"][name] = with_copy(v3["state"][name])
    for name in ("_recent", "_calib"):
        v3["state"][name] = [with_copy(r) for r in v3["state"][name]]

    restored, why = restore_detector(v3, DetectorConfig(bucket_seconds=300))

    assert why is None and restored is not None
    assert restored.to_state() == now


def _newer_version(state: dict) -> None:
    state["detector"]["version"] = 5


def _extra_field(state: dict) -> None:
    state["detector"]["state"]["_added_later"] = [0.0]


def _missing_field(state: dict) -> None:
    del state["detector"]["state"]["_phi"]


def _tuned_threshold(state: dict) -> None:
    state["detector"]["config"]["z_bucket"] = 2.5


def _garbage(state: dict) -> None:
    state["detector"] = "not a detector"


@pytest.mark.parametrize(("change", "reason"), [
    pytest.param(_newer_version, "state version 5 is not one this code reads (1, 2, 3, 4)", id="newer-version"),
    pytest.param(_extra_field, "state does not fit this code version", id="field-this-code-lacks"),
    pytest.param(_missing_field, "state does not fit this code version", id="field-missing"),
    pytest.param(_tuned_threshold, "saved under another config: z_bucket 2.5 -> 3.0", id="tuned-threshold"),
    pytest.param(_garbage, "unreadable state", id="unreadable"),
])
def test_a_state_this_code_cannot_use_is_discarded_and_re_learned(change, reason: str) -> None:
    repo = saved_after()
    change(repo.states[KEY])

    lifecycle = AlertLifecycle("acme", repo, QUARTER)

    assert lifecycle.reset is not None and lifecycle.reset.startswith(reason)
    assert lifecycle.detector.last_timestamp is None
    changed = lifecycle.observe_many(quarters(700, ((450, 470),)))
    assert changed == [], "the re-learned history was judged before: nothing is paged again"
    assert lifecycle.detector.last_timestamp == T0 + 699 * timedelta(minutes=15)


def test_an_episode_open_when_the_detector_is_discarded_resolves_after_re_learning() -> None:
    repo = MemoryRepository()
    opened = AlertLifecycle("acme", repo, QUARTER).observe_many(quarters(460, ((450, 470),)))
    assert opened[0].state == "open" and "resolved" not in {a.state for a in opened}
    _tuned_threshold(repo.states[KEY])

    lifecycle = AlertLifecycle("acme", repo, QUARTER)
    changed = lifecycle.observe_many(quarters(700, ((450, 470),)))

    assert [a.state for a in changed][-1:] == ["resolved"] and changed[-1].key == opened[0].key
    assert lifecycle.s["open"] is None


RESET_SQL = {  # docs/operations.md, "Resetting a detector"
    "sqlite": "UPDATE detector_state SET state = json_set(state, '$.detector', 'reset') WHERE key = 'crisis:acme'",
    "postgresql": "UPDATE detector_state SET state = jsonb_set(state::jsonb, '{detector}', '\"reset\"')::text "
                  "WHERE key = 'crisis:acme'",
}


def test_the_documented_reset_re_learns_without_paging_the_past(store_url: str) -> None:
    import sqlalchemy as sa

    from listening.alerts import SqlRepository
    from listening.store import Store

    store = Store.open(store_url)
    repo = SqlRepository(store)
    assert AlertLifecycle("acme", repo, QUARTER).observe_many(quarters(600, ((450, 470),)))
    with store.transaction() as conn:
        conn.execute(sa.text(RESET_SQL[store.dialect]))

    lifecycle = AlertLifecycle("acme", repo, QUARTER)

    assert lifecycle.reset == "reset by an operator" and lifecycle.detector.last_timestamp is None
    assert lifecycle.observe_many(quarters(700, ((450, 470),))) == []
    assert AlertLifecycle("acme", repo, QUARTER).reset is None


@pytest.mark.slow
def test_changing_alerting_bucket_minutes_between_cycles_is_reported_not_raised(home, tmp_path) -> None:
    """The crisis cycle itself (what ``crisis_signals`` runs) after ``alerting.bucket_minutes: 15 -> 60``."""
    from listening.config import load_config
    from listening.store import Store
    from listening.watch import watch
    from tests.test_crash_safety import CYCLES, MODEL, seed_scored_mentions

    store = Store.open()  # SQLite in ``home``; the state's round trip on PostgreSQL is the reset test's
    seed_scored_mentions(store)
    quarter, hourly = tmp_path / "quarter.yaml", tmp_path / "hourly.yaml"
    brands = "brands:\n  - {key: orbitly, name: Orbitly, own: true}\n"
    quarter.write_text(brands + "alerting: {bucket_minutes: 15}\n")
    hourly.write_text(brands + "alerting: {bucket_minutes: 60}\n")

    first = watch(load_config(quarter), store, MODEL, now=CYCLES[0])
    assert first.detector_resets == {} and first.buckets_fed["orbitly"] > 700

    changed = watch(load_config(hourly), store, MODEL, now=CYCLES[2])
    assert changed.detector_resets == {"orbitly": "saved under another config: bucket_seconds 900 -> 3600"}
    assert changed.buckets_fed["orbitly"] > 24 * 7, "the fresh detector re-learned from the stored history"
    assert [a.state for a in changed.changed][:1] == ["open"], "the surge after the change still pages"

    later = watch(load_config(hourly), store, MODEL, now=CYCLES[3])
    assert later.detector_resets == {}
