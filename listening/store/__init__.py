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
    cursors,
    detector_state,
    digest_posts,
    engagement_snapshots,
    intents,
    mentions,
    metadata,
    reach_changes,
    reach_notices,
    retention_marks,
    scores,
    skipped_items,
)
from listening.store._browse import REACH_COLUMNS, SENTIMENTS, MentionFilter, browse_mentions
from listening.store._store import Store, database_url, listening_home, mention_row, redact_url, storable

__all__ = [
    "MentionFilter",
    "REACH_COLUMNS",
    "SENTIMENTS",
    "Store",
    "UtcDateTime",
    "alerts",
    "brand_hourly",
    "browse_mentions",
    "cursors",
    "database_url",
    "detector_state",
    "digest_posts",
    "engagement_snapshots",
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
]
