"""Slack hears about a check once per change of state, and about a failed run once."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from listening.checks._invariants import CheckOutcome
from listening.errors import DeliveryError
from listening.http import redact_text, redact_url
from listening.render import clean
from listening.slack import context, escape, header, link, section, truncate
from listening.store import Store, check_states

log = logging.getLogger(__name__)

#: Any scheme, so a database URL's password in an exception is masked too.
_ANY_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+")

Post = Callable[[str, list[dict[str, Any]]], Any]


def state_of(outcome: CheckOutcome) -> str:
    """``pass``, or ``fail:`` and a digest of the failing subjects: a new failing task is a new state.

    >>> state_of(CheckOutcome("x", True, "")), state_of(CheckOutcome("x", False, "", ("b", "a")))
    ('pass', 'fail:7e18f73731')
    """
    if outcome.passed:
        return "pass"
    return "fail:" + hashlib.sha256("\n".join(sorted(outcome.failing)).encode()).hexdigest()[:10]


def check_message(check: str, outcome: CheckOutcome, ui_url: str = "") -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks for a check that changed state."""
    verdict = "passes again" if outcome.passed else "FAILED"
    text = f"Check {check} {verdict}: {clean(outcome.summary, 500)}"
    blocks = [header(f"Check {check} {verdict}"), section(escape(clean(outcome.summary, 2500)))]
    if ui_url:
        blocks.append(context(link(ui_url.rstrip("/") + "/asset-groups", "checks in the UI") + " · see docs/operations.md (Checks)"))
    return truncate(text, 3000), blocks


def announce(store: Store, check: str, outcome: CheckOutcome, *, now: datetime, post: Post | None,
             ui_url: str = "") -> bool:
    """Record the check's state; when it changed, post once (``post`` is ``SlackClient.post``, ``None``: no Slack).

    The first evaluation posts only a failure. The state is claimed before posting (compare-and-set), so
    overlapping runs post once; a post Slack refuses gives the claim back and the next evaluation retries.
    Returns whether this call posted.
    """
    new = state_of(outcome)
    row = {"name": check, "state": new, "summary": outcome.summary[:2000], "changed_at": now}
    t = check_states
    with store.transaction() as conn:
        old = conn.execute(sa.select(t.c.state).where(t.c.name == check)).scalar()
        if old == new or (old is None and outcome.passed):
            if old is None:
                store.insert_new(conn, t, row)
            return False
        if old is None:
            claimed = store.insert_new(conn, t, row)
        else:
            claimed = conn.execute(sa.update(t).where(t.c.name == check, t.c.state == old)
                                   .values(state=new, summary=row["summary"], changed_at=now)).rowcount == 1
    if not claimed or post is None:
        return False
    try:
        post(*check_message(check, outcome, ui_url))
    except DeliveryError as exc:
        with store.transaction() as conn:
            mine = sa.and_(t.c.name == check, t.c.state == new)
            if old is None:
                conn.execute(sa.delete(t).where(mine))
            else:
                conn.execute(sa.update(t).where(mine).values(state=old))
        log.warning("check %s changed state but Slack did not take the message; the next evaluation retries: %s",
                    check, exc)
        return False
    return True


def run_failure_message(job: str, run_id: str, error: str, ui_url: str = "") -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks for a failed Dagster run (the error redacted: exceptions can quote URLs)."""
    what = f"Run of {job} failed"
    error = redact_text(_ANY_URL.sub(lambda m: redact_url(m.group()), error))
    blocks = [header(what), section(escape(clean(error or "no error message", 2500)))]
    notes = [f"run `{escape(run_id)}`"]
    if ui_url:
        notes.append(link(f"{ui_url.rstrip('/')}/runs/{run_id}", "run in the UI"))
    blocks.append(context(" · ".join(notes)))
    return truncate(f"{what} (run {run_id}): {clean(error, 500)}", 3000), blocks
