"""Crisis alert lifecycle (open -> updated -> resolved), its explanation, and delivery.

Pure logic first: :class:`AlertLifecycle` takes a brand's per-bucket stats,
feeds the negative count to :class:`~listening.crisis.SpikeDetector`, and keeps
one :class:`Alert` per surge episode (key ``brand:episode-start-iso``).  State
lives behind the narrow :class:`AlertRepository` interface
(:class:`MemoryRepository`, or :class:`SqlRepository` over the store's
``alerts`` and ``detector_state`` tables), and :func:`deliver` posts each alert
state to Slack exactly once: a new thread when opened, thread replies for
updates and resolution, retried on the next run if Slack was unreachable.
Every surface leads with the episode's peak (:mod:`._text` words it for the
terminal and the UI), and :func:`grade_episode` is the one severity rule.
"""

from listening.alerts._delivery import ALERT_EVENT, deliver, render
from listening.alerts._lifecycle import AlertLifecycle
from listening.alerts._model import Alert, AlertExplanation
from listening.alerts._repository import (
    AlertRepository, Claim, MemoryRepository, SqlRepository, alert_from_row, new_owner, owner_is_dead,
)
from listening.alerts._severity import grade_episode
from listening.alerts._terms import alert_terms
from listening.alerts._text import alerts_table, describe_markdown, duration_text, headline, sparkline, utc_text
from listening.crisis import BucketStats, Post

__all__ = [
    "ALERT_EVENT", "Alert", "AlertExplanation", "AlertLifecycle", "AlertRepository", "BucketStats", "Claim",
    "MemoryRepository", "Post", "SqlRepository", "alert_from_row", "alert_terms", "alerts_table", "deliver",
    "describe_markdown", "duration_text", "grade_episode", "headline", "new_owner", "owner_is_dead", "render",
    "sparkline", "utc_text",
]
