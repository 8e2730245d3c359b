"""Inbox messages in Slack: a grouped reminder for items about to breach the SLA, and a morning summary.

Same client, escaping and idempotency as crisis alerts and reach notices: each reminder key
(``due:<item id>``) and each summary key (``summary:<local date>``) is claimed in ``inbox_notices``
before posting, so overlapping runs post it once; a failed post releases its claims for the next run.
An item is reminded once: when it is due (it breaches within ``inbox.remind_hours``) and was not
reminded before. Only the own brand's inbox is posted; competitors' threads feed the KPIs only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from listening.config import ListeningConfig
from listening.errors import DeliveryError
from listening.inbox._inbox import InboxItem
from listening.inbox._sla import waiting
from listening.slack import SlackClient, context, escape, header, link, section, truncate
from listening.store import Store, inbox_notices

log = logging.getLogger(__name__)

#: Items shown in one message (the rest are counted); Slack's 50-block limit leaves room for these.
SHOWN = 20
TEXT_CHARS = 200


@dataclass
class NoticeReport:
    """What a reminder run found and posted."""

    due: list[InboxItem] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    already: int = 0
    summary: str = ""  # the summary key posted now, "" when none
    failed: list[str] = field(default_factory=list)


def _line(item: InboxItem, tz: str) -> str:
    from zoneinfo import ZoneInfo

    due = item.deadline.astimezone(ZoneInfo(tz)).strftime("%a %H:%M")
    who = escape(item.author or "?")
    head = (f"*{escape(item.intent_label)}* · {escape(item.platform)} · {who} · waiting {waiting(item.waited)} · "
            f"SLA {escape(item.state)} ({due}) · {link(item.url, 'open')} · `{item.id[:10]}`")
    return head + "\n> " + truncate(escape(" ".join(item.text.split())), TEXT_CHARS)


def _blocks(title: str, shown: Sequence[InboxItem], total: int, tz: str, footer: str) -> list[dict]:
    shown = shown[:SHOWN]
    blocks = [header(title)] + [section(_line(it, tz)) for it in shown]
    more = f"{total - len(shown)} more in `listening inbox`. " if total > len(shown) else ""
    blocks.append(context(more + footer))
    return blocks


def _claim(store: Store, keys: Sequence[str], kind: str, now: datetime) -> list[str]:
    claimed = []
    with store.transaction() as conn:
        for key in keys:
            if store.insert_new(conn, inbox_notices, {"key": key, "kind": kind, "posted_at": now}):
                claimed.append(key)
    return claimed


def _post(store: Store, slack: SlackClient, keys: list[str], text: str, blocks: list[dict]) -> bool:
    try:
        result = slack.post(text, blocks)
    except DeliveryError as exc:
        log.warning("inbox notice not posted (released for the next run): %s", exc)
        with store.transaction() as conn:
            conn.execute(sa.delete(inbox_notices).where(inbox_notices.c.key.in_(keys)))
        return False
    with store.transaction() as conn:
        conn.execute(sa.update(inbox_notices).where(inbox_notices.c.key.in_(keys))
                     .values(slack_ts=result.ts or None, slack_channel=result.channel or None))
    return True


def send_reminders(store: Store, slack: SlackClient, config: ListeningConfig, found: Sequence[InboxItem], *,
                   now: datetime) -> NoticeReport:
    """Post one message for the own brand's items that became due since the last run (each item once)."""
    own = config.own_brand
    report = NoticeReport(due=[it for it in found if it.state == "due" and own is not None and it.brand == own.key])
    by_key = {f"due:{it.id}": it for it in report.due}
    claimed = _claim(store, list(by_key), "reminder", now)
    report.already = len(by_key) - len(claimed)
    if not claimed:
        return report
    items = [by_key[k] for k in claimed]
    hours = f"{config.inbox.remind_hours:g}"
    title = f"{len(items)} inbox item{'s' if len(items) != 1 else ''} will breach the {config.inbox.sla_hours:g} h SLA within {hours} h"
    blocks = _blocks(title, items, len(items), config.project.timezone,
                     "Close one with `listening inbox done ID`, or snooze/assign it.")
    if _post(store, slack, claimed, title, blocks):
        report.reminded = [it.id for it in items]
    else:
        report.failed = claimed
    return report


def summary_key(config: ListeningConfig, now: datetime) -> str | None:
    """The key of today's summary once the local morning hour has come, else None."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(config.project.timezone))
    return f"summary:{local.date().isoformat()}" if local.hour >= config.inbox.summary_hour else None


def send_summary(store: Store, slack: SlackClient, config: ListeningConfig, found: Sequence[InboxItem], *,
                 now: datetime, report: NoticeReport) -> None:
    """Post the morning summary of the own brand's open inbox, once per local day."""
    key = summary_key(config, now)
    if key is None or not _claim(store, [key], "summary", now):
        return
    own = config.own_brand
    open_items = [it for it in found if it.open and own is not None and it.brand == own.key]
    breached = sum(it.state == "breached" for it in open_items)
    due = sum(it.state == "due" for it in open_items)
    title = f"Inbox this morning: {len(open_items)} open, {breached} past the SLA, {due} due within {config.inbox.remind_hours:g} h"
    blocks = _blocks(title, open_items[:5], len(open_items), config.project.timezone,
                     "Highest priority first. The whole list: `listening inbox`.")
    if _post(store, slack, [key], title, blocks):
        report.summary = key
    else:
        report.failed.append(key)
