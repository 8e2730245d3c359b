"""The reach stage of the pipeline: engagement snapshots from the store in; changes, chart and notices out.

The detector runs over every kept snapshot each time (it is causal, so a
re-run repeats every earlier decision), and the ``reach_changes`` table is
replaced by its answer, so it always mirrors the current model. Slack notices
are claimed in ``reach_notices`` before posting, so each is posted once even
when two runs overlap; a failed post releases its claim for the next run.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from listening.config import ListeningConfig
from listening.errors import DeliveryError
from listening.reach._api import analyse_reach
from listening.reach._chart import reach_chart_png
from listening.reach._notice import PLATFORM_NAMES, ReachNotice, notice_message, plan_notices
from listening.reach._types import ReachChange, ReachConfig
from listening.render import md_escape
from listening.slack import SlackClient
from listening.store import Store, listening_home, reach_changes, reach_notices

__all__ = ["NOTICE_WINDOW", "ReachReport", "account_brands", "changes_markdown", "stored_changes", "track_reach"]

log = logging.getLogger(__name__)

#: Changes first decided longer ago than this are not posted (a first run over months of history stays quiet).
NOTICE_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class ReachReport:
    """One reach run: what was read, what the model found, what was posted."""

    snapshots: int
    accounts: int
    posts: int
    changes: list[ReachChange]
    brands: dict[tuple[str, str], str]
    chart_png: bytes
    chart_path: Path
    notices: list[ReachNotice] = field(default_factory=list)
    posted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def chart_markdown(self) -> str:
        """The chart as a Markdown image with a data URI (shown inline by the Dagster UI)."""
        return f"![reach changes](data:image/png;base64,{base64.b64encode(self.chart_png).decode()})"

    def as_rows(self) -> list[dict[str, Any]]:
        """The changes as JSON-friendly dicts, with each account's brand."""
        return [{**_iso(asdict(c)), "brand": self.brands.get((c.platform, c.account), "")} for c in self.changes]


def account_brands(config: ListeningConfig) -> dict[tuple[str, str], str]:
    """(platform, account label) -> brand key, for every tracked account in the config."""
    return {(a.platform, a.label): b.key for b in config.brands for a in b.sources.accounts}


def track_reach(store: Store, config: ListeningConfig, *, now: datetime, slack: SlackClient | None = None,
                out_dir: Path | None = None, reach_config: ReachConfig | None = None) -> ReachReport:
    """Detect reach changes from the stored snapshots, store them, draw the chart, post new notices."""
    snapshots = store.snapshots()
    series, changes = analyse_reach(snapshots, reach_config)
    brands = account_brands(config)
    _replace_changes(store, changes, brands)
    png = reach_chart_png(series, changes)
    out = out_dir or listening_home() / "reach"
    out.mkdir(parents=True, exist_ok=True)
    chart = out / "reach-changes.png"
    chart.write_bytes(png)
    own = {b.key for b in config.brands if b.own}
    notices = plan_notices(changes, brands, own, since=now - NOTICE_WINDOW)
    posted: list[str] = []
    failed: list[str] = []
    if slack is not None:
        names = {b.key: b.name for b in config.brands}
        for notice in notices:
            outcome = _deliver(store, slack, notice, names, now)
            if outcome is True:
                posted.append(notice.key)
            elif outcome is False:
                failed.append(notice.key)
    accounts = series.select("platform", "account").unique().height
    return ReachReport(len(snapshots), accounts, series.height, changes, brands, png, chart, notices, posted, failed)


def stored_changes(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Stored changes a week [start, end) should report, oldest first (for the digest).

    A change belongs to the week it began in and to the week it was confirmed in: one that began
    late last week but was confirmed this week is this week's news too.
    """
    c = reach_changes.c
    began = (c.changed_at >= start) & (c.changed_at < end)
    decided = (c.detected_at >= start) & (c.detected_at < end)
    q = sa.select(reach_changes).where(began | decided).order_by(c.changed_at, c.account)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def changes_markdown(changes: Sequence[ReachChange], brands: Mapping[tuple[str, str], str]) -> str:
    """A Markdown table of changes for the UI, newest decision first."""
    if not changes:
        return "No reach change detected."
    lines = ["| platform | account | brand | since (UTC) | change | 95 % CI | attribution | decided (UTC) | posts |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in sorted(changes, key=lambda c: (c.detected_at, c.platform, c.account), reverse=True):
        lines.append(
            f"| {PLATFORM_NAMES.get(c.platform, md_escape(c.platform))} | {md_escape(c.account)} "
            f"| {md_escape(brands.get((c.platform, c.account), ''))} | {c.changed_at:%Y-%m-%d %H:%M} "
            f"| **{c.magnitude:+.0%}** {c.direction} | {c.ci_low:+.0%} … {c.ci_high:+.0%} | **{c.attribution}** "
            f"| {c.detected_at:%Y-%m-%d %H:%M} | {c.posts_after} |")
    return "\n".join(lines)


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _replace_changes(store: Store, changes: Sequence[ReachChange], brands: Mapping[tuple[str, str], str]) -> None:
    rows = [{**asdict(c), "brand": brands.get((c.platform, c.account))} for c in changes]
    unique = list({(r["platform"], r["account"], r["changed_at"], r["direction"]): r for r in rows}.values())
    with store.transaction() as conn:
        conn.execute(sa.delete(reach_changes))
        store.upsert(conn, reach_changes, unique)


def _deliver(store: Store, slack: SlackClient, notice: ReachNotice, names: Mapping[str, str], now: datetime) -> bool | None:
    """Post one notice unless another run already did: True posted, False failed, None already posted."""
    claim = {"key": notice.key, "platform": notice.platform, "attribution": notice.attribution, "posted_at": now,
             "slack_ts": None, "slack_channel": None}
    with store.transaction() as conn:
        if not store.insert_new(conn, reach_notices, claim):
            return None
    text, blocks = notice_message(notice, names)
    try:
        result = slack.post(text, blocks)
    except DeliveryError as exc:
        log.warning("reach notice %s not posted (will retry next run): %s", notice.key, exc)
        with store.transaction() as conn:
            conn.execute(sa.delete(reach_notices).where(reach_notices.c.key == notice.key))
        return False
    with store.transaction() as conn:
        conn.execute(sa.update(reach_notices).where(reach_notices.c.key == notice.key)
                     .values(slack_ts=result.ts or None, slack_channel=result.channel or None))
    return True
