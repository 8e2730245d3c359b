"""The ``listening reach-changes`` CSV contract: SNAPSHOTS.csv in, CHANGES.csv out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from listening.errors import InputError
from listening.reach import CHANGE_COLUMNS, reach_changes_csv

FIXTURE = Path(__file__).parent / "fixtures" / "reach" / "platform_drop.csv"
HEADER = "platform,account,post_id,posted_at,observed_at,likes,reposts,replies,views,followers"
GOOD = "mastodon,acme,1,2026-01-05T09:00:00Z,2026-01-06T09:10:00Z,10,2,1,,5000"


def test_contract_columns_come_first():
    assert CHANGE_COLUMNS[:6] == ("platform", "account", "changed_at", "direction", "magnitude", "attribution")


def test_end_to_end_on_simulated_platform_drop(tmp_path: Path):
    out = tmp_path / "changes.csv"
    n = reach_changes_csv(FIXTURE, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("platform,account,changed_at,direction,magnitude,attribution")
    rows = list(csv.DictReader(lines))
    assert len(rows) == n >= 3
    drop = [r for r in rows if r["direction"] == "down" and "2026-01-28" <= r["changed_at"] <= "2026-02-06"]
    assert {r["account"] for r in drop} == {"ma-own", "ma-rival1", "ma-rival2"}
    assert all(r["attribution"] == "platform" for r in drop)
    assert all(r["changed_at"].endswith("Z") and -1 < float(r["magnitude"]) < 0 for r in drop)


def test_header_only_input_writes_header_only(tmp_path: Path):
    src, out = tmp_path / "s.csv", tmp_path / "c.csv"
    src.write_text(HEADER + "\n" + GOOD + "\n", encoding="utf-8")
    assert reach_changes_csv(src, out) == 0
    assert out.read_text(encoding="utf-8").splitlines() == [",".join(CHANGE_COLUMNS)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param("platform,account,post_id\n", "line 1: missing column(s) posted_at", id="missing-column"),
        pytest.param(f"{HEADER}\n{GOOD}\nmastodon,acme,2,yesterday,2026-01-06T09:00:00Z,1,,,,5\n", "line 3: unparsable posted_at 'yesterday'", id="bad-time"),
        pytest.param(f"{HEADER}\nmastodon,acme,2,2026-01-05T09:00:00Z,2026-01-06T09:00:00Z,-4,,,,5\n", "line 2: likes must be a finite count >= 0", id="negative"),
        pytest.param(f"{HEADER}\nmastodon,acme,2,2026-01-05T09:00:00Z,2026-01-06T09:00:00Z,many,,,,5\n", "line 2: non-numeric likes 'many'", id="non-numeric"),
        pytest.param(f"{HEADER}\nmastodon,acme,2,2026-01-05T09:00:00Z,2026-01-04T09:00:00Z,1,,,,5\n", "line 2: observed_at '2026-01-04T09:00:00Z' is before posted_at", id="time-travel"),
        pytest.param(f"{HEADER}\n{GOOD}\n{GOOD}\n", "line 3: post '1' already observed at '2026-01-06T09:10:00Z' on line 2", id="duplicate"),
        pytest.param(f"{HEADER}\nmastodon,acme,2\n", "line 2: expected 10 columns, got 3", id="short-row"),
        pytest.param(f"{HEADER}\nmastodon,,2,2026-01-05T09:00:00Z,2026-01-06T09:00:00Z,1,,,,5\n", "line 2: empty account", id="empty-account"),
    ],
)
def test_bad_input_names_file_line_and_problem(tmp_path: Path, body: str, message: str):
    src = tmp_path / "snapshots.csv"
    src.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as info:
        reach_changes_csv(src, tmp_path / "out.csv")
    assert str(info.value).startswith(f"{src}: ") and message in str(info.value)


def test_missing_input_file(tmp_path: Path):
    with pytest.raises(InputError, match="file not found"):
        reach_changes_csv(tmp_path / "nope.csv", tmp_path / "out.csv")


def test_no_data_rows_is_not_an_error(tmp_path: Path):
    src, out = tmp_path / "s.csv", tmp_path / "c.csv"
    src.write_text(HEADER + "\n", encoding="utf-8")
    assert reach_changes_csv(src, out) == 0
    assert out.read_text(encoding="utf-8").splitlines() == [",".join(CHANGE_COLUMNS)]
