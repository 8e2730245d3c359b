"""The one SQL store: tables and the few queries the pipeline needs.

SQLite file under ``$LISTENING_HOME`` by default, PostgreSQL (or anything
SQLAlchemy speaks) when ``LISTENING_DATABASE_URL`` is set. Every write is an
upsert inside a transaction, so re-running any stage changes nothing the second
time.
"""

from listening.store._schema import (
    UtcDateTime,
    alerts,
    brand_hourly,
    check_states,
    cursors,
    detector_state,
    digest_posts,
    engagement_snapshots,
    inbox_notices,
    inbox_states,
    intents,
    mentions,
    metadata,
    reach_changes,
    reach_notices,
    retention_marks,
    scores,
    skipped_items,
    task_health,
    thread_items,
    threads,
)
from listening.store._browse import REACH_COLUMNS, SENTIMENTS, MentionFilter, browse_mentions
from listening.store._migrate import VERSION_TABLE, Upgrade, current_revision, head_revision, upgrade_store
from listening.store._store import Store, database_url, listening_home, mention_row, redact_url, storable

__all__ = [
    "MentionFilter",
    "REACH_COLUMNS",
    "SENTIMENTS",
    "Upgrade",
    "VERSION_TABLE",
    "Store",
    "UtcDateTime",
    "alerts",
    "brand_hourly",
    "browse_mentions",
    "current_revision",
    "check_states",
    "cursors",
    "database_url",
    "detector_state",
    "digest_posts",
    "engagement_snapshots",
    "head_revision",
    "inbox_notices",
    "inbox_states",
    "intents",
    "listening_home",
    "mention_row",
    "mentions",
    "metadata",
    "reach_changes",
    "reach_notices",
    "redact_url",
    "retention_marks",
    "scores",
    "skipped_items",
    "storable",
    "upgrade_store",
    "task_health",
    "thread_items",
    "threads",
]
