"""``listening inbox`` (list, done, snooze, assign) and ``listening kpis``: the inbox from the terminal.

Both read the config (``--config``, ``$LISTENING_CONFIG``, else the demo's) for the brands, their handles
and the SLA, and the store for the items; intents are the configured model's (``$LISTENING_MODEL``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from datetime import datetime
from typing import Any

from listening.config import ListeningConfig, load_config
from listening.errors import InputError
from listening.inbox._inbox import STATES, InboxItem, assign, items, mark_done, select, snooze
from listening.inbox._kpis import kpis_table, weekly_kpis
from listening.inbox._priority import NEEDS_ANSWER
from listening.inbox._sla import waiting
from listening.render import clean, fit
from listening.utc import now

COLUMNS = ("id", "priority", "intent", "waiting", "sla", "due", "brand", "platform", "author", "assignee", "text", "link")


def load_inbox_config(path: str | None = None) -> ListeningConfig:
    """The config at ``path`` / $LISTENING_CONFIG, else the demo's (its replay URL is not needed to list the inbox)."""
    from listening.pipeline import DEMO_CONFIG

    path = path or os.environ.get("LISTENING_CONFIG")
    return load_config(path) if path else load_config(DEMO_CONFIG, unset={"REPLAY_URL": "http://127.0.0.1:0"})


def _config(args: argparse.Namespace) -> ListeningConfig:
    return load_inbox_config(getattr(args, "config", None))


def model_id() -> str:
    """The id of the model whose intents the inbox reads ($LISTENING_MODEL, else the bundled one)."""
    from listening.nlp.scoring import model_id_of

    return model_id_of(os.environ.get("LISTENING_MODEL") or None)


def _store():  # type: ignore[no-untyped-def]
    from listening.pipeline import open_store

    return open_store()


def _until(value: str) -> datetime:
    from listening.cli import _duration, _parse_time

    ahead = _duration(value)  # a duration from now: snooze for 4h
    return now() + ahead if ahead is not None else _parse_time(value)


def row(item: InboxItem, tz: str) -> dict[str, Any]:
    """One item as the listing and the exports show it."""
    from zoneinfo import ZoneInfo

    return {"id": item.id[:10], "priority": item.priority, "intent": item.intent_label, "waiting": waiting(item.waited),
            "sla": item.state, "due": item.deadline.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M"), "brand": item.brand,
            "platform": item.platform, "author": item.author, "assignee": item.assignee, "text": " ".join(item.text.split()),
            "link": item.url}


def cmd_inbox(args: argparse.Namespace) -> int:
    action = getattr(args, "inbox_command", None)
    store = _store()
    at = now()
    if action == "done":
        item = mark_done(store, args.id, now=at, note=args.note or "")
        print(f"{item[:10]} done" + (f" ({args.note})" if args.note else "") + "; it stays closed whatever later reads find")
        return 0
    if action == "snooze":
        item = snooze(store, args.id, until=args.until, now=at)
        print(f"{item[:10]} snoozed until {args.until.isoformat(timespec='minutes')}")
        return 0
    if action == "assign":
        item = assign(store, args.id, to=args.to, now=at)
        print(f"{item[:10]} assigned to {args.to.strip()}")
        return 0
    config = _config(args)
    if args.intent and args.intent not in NEEDS_ANSWER:
        raise InputError(f"--intent {args.intent!r}: the inbox holds {', '.join(sorted(NEEDS_ANSWER))}")
    found = select(items(store, config, model_id(), now=at, brand=args.brand), args.state, intent=args.intent,
                   platform=args.platform, assignee=args.assignee)
    shown = found[: args.limit] if args.limit else found
    rows = [row(it, config.project.timezone) for it in shown]
    if args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({**r, "id": it.id} for r, it in zip(rows, shown))
        return 0
    if args.format == "jsonl":
        for r, it in zip(rows, shown):
            print(json.dumps({**r, "id": it.id, "published_at": it.published_at.isoformat(),
                              "deadline": it.deadline.isoformat()}, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no {args.state} inbox items (run `listening demo`, or the conversations asset, to read threads)", file=sys.stderr)
        return 0
    print(_table(rows, args.width))
    more = len(found) - len(shown)
    print(f"{len(found)} {args.state} item(s)" + (f", {more} not shown (--limit)" if more > 0 else "")
          + "; * = intent from surface cues, not scored yet. Close one: listening inbox done ID [--note TEXT]")
    return 0


#: Terminal columns a post needs to be read beside the fixed columns; with less it gets a line of its own.
MIN_TEXT = 60


def _table(rows: list[dict[str, Any]], width: int) -> str:
    """Fixed columns, then the post's words and its link. At the default width the fixed columns leave a post
    about 20 columns ("My sensor has been …"), too few to decide on an answer, so the words then take a line
    of their own under the row; CJK characters count as two columns."""
    cols = [c for c in COLUMNS if c not in ("text", "link", "brand")]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    head = "  ".join(c.upper().ljust(widths[c]) for c in cols)
    inline = width - len(head) - 2 >= MIN_TEXT
    indent = len(head) + 2 if inline else 4
    lines = [f"{head}  TEXT / LINK" if inline else f"{head}\n{' ' * indent}TEXT / LINK"]
    for r in rows:
        fixed = "  ".join(clean(str(r[c]), widths[c]).ljust(widths[c]) for c in cols)
        text = fit(clean(r["text"], 2000), max(width - indent, 20)).rstrip()
        lines += [f"{fixed}  {text}"] if inline else [fixed.rstrip(), " " * indent + text]
        lines.append(" " * indent + clean(r["link"], 300))
    return "\n".join(lines)


def cmd_kpis(args: argparse.Namespace) -> int:
    from listening.digest import last_complete_week

    config = _config(args)
    week = args.week or last_complete_week(now())
    rows = weekly_kpis(_store(), config, model_id(), week, now=now())
    if args.format == "jsonl":
        for k in rows:
            print(json.dumps(k.as_row(), ensure_ascii=False))
        return 0
    table = kpis_table(rows, {b.key: b.name for b in config.brands})
    if args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
        return 0
    print(f"Responsiveness {week} (SLA {config.inbox.sla_hours:g} h" +
          (", business hours" if config.inbox.business_hours else "") + "; time to first public answer)")
    widths = {c: max(len(c), *(len(str(r[c])) for r in table)) for c in table[0]}
    print("  ".join(c.ljust(widths[c]) for c in table[0]))
    for r in table:
        print("  ".join(clean(str(v), 60).ljust(widths[c]) for c, v in r.items()))
    return 0


def register(sub: Any) -> None:
    """Add ``inbox`` and ``kpis`` to the ``listening`` command."""
    p = sub.add_parser("inbox", help="the own brand's open questions, complaints and requests, highest priority first",
                       description="Lists the items that need an answer (question, complaint or request; not by the brand; "
                       "not answered in the thread, not closed by hand), highest priority first (docs/inbox.md): intent, "
                       "time waited, SLA state (ok, due: breaches within inbox.remind_hours, breached) with the deadline "
                       "in project.timezone, author and link. `done`, `snooze` and `assign` change one item by the id "
                       "shown (a prefix of at least 4 characters).")
    p.add_argument("--config", help="listening config YAML (default: $LISTENING_CONFIG, else the demo's)")
    p.add_argument("--brand", help="brand key (default: the own brand); a competitor's items are listed for comparison")
    p.add_argument("--state", choices=STATES, default="open", help="open (default: ok + due + breached), due, breached, "
                   "snoozed, done, answered or all")
    p.add_argument("--intent", help="only items with this intent: question, complaint or request")
    p.add_argument("--platform", help="only this platform: mastodon, bluesky, hackernews, reddit")
    p.add_argument("--assignee", help="only items assigned to this name")
    p.add_argument("--format", choices=["table", "csv", "jsonl"], default="table", help="output format (default table)")
    p.add_argument("--limit", type=int, default=50, help="rows to show (default 50; 0: all)")
    p.add_argument("--width", type=int, default=140, help="table width in columns (default 140)")
    p.set_defaults(func=cmd_inbox)
    actions = p.add_subparsers(dest="inbox_command", metavar="ACTION")
    a = actions.add_parser("done", help="close an item by hand (it never reopens)")
    a.add_argument("id")
    a.add_argument("--note", help="why, e.g. 'answered by e-mail'")
    a.set_defaults(func=cmd_inbox)
    a = actions.add_parser("snooze", help="hide an item until a time (the SLA clock keeps running)")
    a.add_argument("id")
    a.add_argument("--until", required=True, type=_until, help="ISO-8601 time, or a duration from now such as 4h or 2d")
    a.set_defaults(func=cmd_inbox)
    a = actions.add_parser("assign", help="name who answers an item")
    a.add_argument("id")
    a.add_argument("--to", required=True, metavar="NAME")
    a.set_defaults(func=cmd_inbox)

    p = sub.add_parser("kpis", help="responsiveness per brand for one ISO week: own brand and competitors",
                       description="Per brand (own first, then each competitor, from their public threads): items needing "
                       "an answer, the share answered in the thread, median and 90th-percentile hours to the first answer, "
                       "and SLA breaches, for items published in the week (project.timezone).")
    p.add_argument("--week", metavar="YYYY-Www", help="ISO week (default: the last complete week)")
    p.add_argument("--config", help="listening config YAML (default: $LISTENING_CONFIG, else the demo's)")
    p.add_argument("--format", choices=["table", "csv", "jsonl"], default="table")
    p.set_defaults(func=cmd_kpis)


__all__ = ["load_inbox_config", "model_id", "register", "row"]
