"""SLA arithmetic with business hours across a weekend and DST changes, and config validation of the inbox."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from listening.config import BusinessHours, load_config
from listening.errors import ConfigError
from listening.inbox import Sla

UTC = timezone.utc
NY, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
OFFICE = BusinessHours(days=["mon", "tue", "wed", "thu", "fri"], start="09:00", end="18:00")


def test_wall_clock_sla_is_plain_hours_even_across_dst() -> None:
    sla = Sla(24, business=None, tz=NY)
    start = datetime(2026, 3, 7, 12, tzinfo=UTC)  # Saturday; clocks spring forward on Sunday 8 March
    assert sla.deadline(start) == start + timedelta(hours=24)
    assert sla.elapsed(start, start + timedelta(hours=30)) == timedelta(hours=30)


def test_business_hours_skip_the_weekend_and_follow_the_spring_dst_change() -> None:
    sla = Sla(4, business=OFFICE, tz=NY)
    friday_4pm = datetime(2026, 3, 6, 16, tzinfo=NY)  # EST (UTC-5): 2 business hours left on Friday
    deadline = sla.deadline(friday_4pm)
    assert deadline == datetime(2026, 3, 9, 11, tzinfo=NY)  # Monday 11:00, now EDT
    assert deadline.astimezone(UTC) == datetime(2026, 3, 9, 15, tzinfo=UTC)  # 15:00 UTC, not 16:00 as in winter
    assert sla.elapsed(friday_4pm, datetime(2026, 3, 9, 9, tzinfo=NY)) == timedelta(hours=2)
    assert sla.elapsed(friday_4pm, deadline) == timedelta(hours=4)
    saturday = datetime(2026, 3, 7, 10, tzinfo=NY)
    assert sla.deadline(saturday) == datetime(2026, 3, 9, 13, tzinfo=NY)
    after_hours = datetime(2026, 3, 6, 20, 30, tzinfo=NY)
    assert sla.deadline(after_hours).astimezone(UTC) == datetime(2026, 3, 9, 17, tzinfo=UTC)


def test_business_hours_across_the_autumn_dst_change() -> None:
    sla = Sla(3, business=OFFICE, tz=BERLIN)
    friday_5pm = datetime(2026, 10, 23, 17, tzinfo=BERLIN)  # CEST, UTC+2; clocks fall back on Sunday 25 October
    deadline = sla.deadline(friday_5pm)
    assert deadline == datetime(2026, 10, 26, 11, tzinfo=BERLIN)
    assert deadline.astimezone(UTC) == datetime(2026, 10, 26, 10, tzinfo=UTC)  # CET, UTC+1
    assert deadline - friday_5pm.astimezone(UTC) == timedelta(days=2, hours=19)  # 67 wall hours for 3 business hours


def test_sla_states_and_a_long_sla_over_several_weeks() -> None:
    sla = Sla(24, remind=timedelta(hours=4), business=OFFICE, tz=NY)
    start = datetime(2026, 3, 2, 9, tzinfo=NY)  # Monday 09:00: 24 business hours = Mon, Tue, Wed 09:00-15:00
    assert sla.deadline(start) == datetime(2026, 3, 4, 15, tzinfo=NY)
    assert sla.state(start, datetime(2026, 3, 4, 10, tzinfo=NY)) == "ok"
    assert sla.state(start, datetime(2026, 3, 4, 11, tzinfo=NY)) == "due"
    assert sla.state(start, datetime(2026, 3, 4, 15, tzinfo=NY)) == "breached"
    weekend_only = Sla(20, business=BusinessHours(days=["sat"], start="10:00", end="20:00"), tz=NY)
    assert weekend_only.deadline(start) == datetime(2026, 3, 14, 20, tzinfo=NY)


@pytest.mark.parametrize("block, problem", [
    ("    handles: {twitter: [acme]}", "brands[acme].handles: unknown platform(s) ['twitter']"),
    ("    handles: {mastodon: ['acme team']}", "brands[acme].handles: mastodon handle 'acme team' is not a handle"),
    ("inbox: {business_hours: {start: '9am'}}", "inbox.business_hours.start: '9am' is not a time of day"),
    ("inbox: {business_hours: {start: '18:00', end: '09:00'}}", "inbox.business_hours: start 18:00 is not before end 09:00"),
    ("inbox: {business_hours: {days: [monday]}}", "inbox.business_hours.days[0]: Input should be 'mon'"),
    ("inbox: {sla_hours: 0}", "inbox.sla_hours: Input should be greater than 0"),
])
def test_bad_inbox_config_is_one_clear_line(tmp_path: Path, block: str, problem: str) -> None:
    path = tmp_path / "c.yaml"
    brand = "brands:\n  - key: acme\n    name: Acme\n"
    path.write_text(brand + block + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message, message


def test_handles_default_to_the_tracked_accounts(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("brands:\n  - key: acme\n    name: Acme\n    handles: {bluesky: ['@Acme.Help.bsky.social']}\n"
                    "    sources:\n      accounts: [{platform: bluesky, handle: acme.bsky.social}]\n", encoding="utf-8")
    brand = load_config(path).brands[0]
    assert brand.own_handles("bluesky") == {"acme.bsky.social", "acme.help.bsky.social"}
    assert load_config(path).inbox.sla_hours == 24 and load_config(path).inbox.remind_hours == 4


def test_config_check_names_file_field_and_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from listening.cli import main

    path = tmp_path / "c.yaml"
    path.write_text("brands:\n  - key: acme\n    name: Acme\n    own: true\n    handles: {threads: [acme]}\n"
                    "inbox: {business_hours: {end: '25:00'}}\n", encoding="utf-8")
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2, err
    assert err[0].startswith(f"listening config: error: {path}: brands[acme].handles: unknown platform(s) ['threads']")
    assert err[1] == f"{path}: inbox.business_hours.end: '25:00' is not a time of day; write HH:MM, e.g. 09:00 or 18:30"
