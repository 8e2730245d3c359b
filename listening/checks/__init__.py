"""Operator checks: the invariants that say a deployment quietly stopped working.

Plain functions over the store (no Dagster import): each returns a :class:`CheckOutcome`, and
:func:`announce` posts a check's change of state to Slack once. ``dagster_project/checks.py``
wraps them as asset checks; ``docs/operations.md`` (Checks) says what each means and what to do.
"""

from listening.checks._announce import announce, check_message, run_failure_message
from listening.checks._invariants import (
    CheckOutcome,
    Silence,
    alerts_delivered,
    mentions_scored,
    native_ids_unique,
    record_outcome,
    tasks_not_silent,
    tasks_succeeded,
)

__all__ = [
    "CheckOutcome",
    "Silence",
    "alerts_delivered",
    "announce",
    "check_message",
    "mentions_scored",
    "native_ids_unique",
    "record_outcome",
    "run_failure_message",
    "tasks_not_silent",
    "tasks_succeeded",
]
