"""Project-wide settings: time zone and contact, alerting, the inbox's SLA, retention."""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from listening.config._base import _Strict

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HEADER_SAFE = re.compile(r"[ -~]*")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")


class Project(_Strict):
    name: str = "listening"
    contact: str = Field(default="", description="e-mail or URL sent in the User-Agent so sources can reach you")
    timezone: str = "UTC"
    digest_language: Literal["en", "ko", "ja"] = "en"
    week_start: Literal["monday", "sunday"] = "monday"

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not an IANA time zone; use a name like Asia/Seoul, Asia/Tokyo, "
                             "America/New_York or UTC") from None
        return name

    @field_validator("contact")
    @classmethod
    def _fits_a_header(cls, contact: str) -> str:
        if not _HEADER_SAFE.fullmatch(contact):
            bad = next(c for c in contact if not _HEADER_SAFE.fullmatch(c))
            raise ValueError(f"contains {bad!r}; it is sent in every request's User-Agent header, which takes "
                             "printable ASCII on one line (e.g. ops@example.com or https://example.com/contact)")
        return contact


class SlackSettings(_Strict):
    enabled: bool = False
    channel: str = "#brand-alerts"
    mode: Literal["webhook", "bot"] = "webhook"


class Alerting(_Strict):
    bucket_minutes: Literal[5, 10, 15, 30, 60] = 5
    slack: SlackSettings = Field(default_factory=SlackSettings)


class BusinessHours(_Strict):
    """When the SLA clock runs, in ``project.timezone``: weekdays and a daily window (HH:MM, end exclusive)."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    start: str = "09:00"
    end: str = "18:00"

    @field_validator("start", "end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _CLOCK.fullmatch(value):
            raise ValueError(f"{value!r} is not a time of day; write HH:MM, e.g. 09:00 or 18:30")
        return value

    @model_validator(mode="after")
    def _a_window(self) -> "BusinessHours":
        if not self.days:
            raise ValueError("days is empty: the SLA clock would never run; name at least one day")
        if self.start >= self.end:
            raise ValueError(f"start {self.start} is not before end {self.end}; a window crossing midnight is not supported")
        return self


class InboxSettings(_Strict):
    """The engagement inbox: answer deadline, reminders and how far back threads are read (docs/inbox.md)."""

    sla_hours: float = Field(default=24, gt=0, le=24 * 30, description="answer within this many (business) hours")
    remind_hours: float = Field(default=4, gt=0, le=24 * 7, description="remind this long before an item breaches")
    business_hours: BusinessHours | None = Field(default=None, description="unset: the SLA clock runs around the clock")
    thread_days: int = Field(default=7, ge=1, le=90, description="threads of posts this recent are (re-)read")
    summary_hour: int = Field(default=9, ge=0, le=23, description="local hour of the daily summary")
    slack: bool = Field(default=True, description="post reminders and the summary when Slack is configured")


class Retention(_Strict):
    """How long collected data is kept, in days of publication age; unset keeps it forever.

    Raw payloads are the bulkiest and most personal part of a mention, so they
    can go earlier than the mention itself. Aggregates (hourly counts, alerts,
    reach changes, digests) are never pruned.
    """

    raw_days: int | None = Field(default=None, ge=1, description="clear mentions' raw payloads older than this")
    mention_days: int | None = Field(default=None, ge=1, description="delete mentions (and their scores) older than this")

    @model_validator(mode="after")
    def _raw_goes_first(self) -> "Retention":
        if self.raw_days and self.mention_days and self.raw_days > self.mention_days:
            raise ValueError("raw_days cannot exceed mention_days (a deleted mention has no raw payload to keep)")
        return self
