"""The store's tables: what the pipeline keeps, and the indexes its queries rely on.

Every time is a timezone-aware UTC ``DateTime``; a table's primary key is what makes its upserts idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

UtcDateTime = sa.DateTime(timezone=True)

mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("native_id", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("canonical_url", sa.Text, nullable=False),
    sa.Column("title_key", sa.String(32), nullable=False),
    sa.Column("text_hash", sa.String(32), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=False),
    sa.Column("fetched_at", UtcDateTime, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("author_followers", sa.BigInteger),
    sa.Column("brand", sa.String(64), nullable=False),
    sa.Column("brands", sa.Text, nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("is_own", sa.Boolean, nullable=False),
    sa.Column("likes", sa.BigInteger),
    sa.Column("reposts", sa.BigInteger),
    sa.Column("replies", sa.BigInteger),
    sa.Column("views", sa.BigInteger),
    sa.Column("score", sa.BigInteger),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Index("ix_mentions_brand_published", "brand", "published_at"),
    sa.Index("ix_mentions_published", "published_at"),
    sa.Index("ix_mentions_canonical_url", "canonical_url"),
    sa.Index("ix_mentions_title_key", "title_key"),
    sa.Index("ix_mentions_text_hash", "text_hash"),
    sa.Index("ix_mentions_fetched", "fetched_at"),
)

scores = sa.Table(
    "scores",
    metadata,
    sa.Column("text_hash", sa.String(32), primary_key=True),
    sa.Column("model_id", sa.String(128), primary_key=True),
    sa.Column("sentiment", sa.String(16), nullable=False),
    sa.Column("p_negative", sa.Float, nullable=False),
    sa.Column("p_neutral", sa.Float, nullable=False),
    sa.Column("p_positive", sa.Float, nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("embedding", sa.LargeBinary),
    sa.Column("scored_at", UtcDateTime, nullable=False),
)

# What each scored text wants from the brand, written with its score (same key, same model id):
# comma-separated sorted labels from listening.nlp.intent, or "other".
intents = sa.Table(
    "intents",
    metadata,
    sa.Column("text_hash", sa.String(32), primary_key=True),
    sa.Column("model_id", sa.String(128), primary_key=True),
    sa.Column("intents", sa.Text, nullable=False),
    sa.Column("scored_at", UtcDateTime, nullable=False),
)

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("watermark", UtcDateTime),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("backlog", sa.Text),  # JSON [after, until]: a window a stopped-early run left unread
)

skipped_items = sa.Table(
    "skipped_items",
    metadata,
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.String(32), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("first_seen", UtcDateTime, nullable=False),
    sa.Column("last_seen", UtcDateTime, nullable=False),
)

engagement_snapshots = sa.Table(
    "engagement_snapshots",
    metadata,
    sa.Column("post_id", sa.Text, primary_key=True),
    sa.Column("observed_at", UtcDateTime, primary_key=True),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("posted_at", UtcDateTime, nullable=False),
    sa.Column("likes", sa.BigInteger),
    sa.Column("reposts", sa.BigInteger),
    sa.Column("replies", sa.BigInteger),
    sa.Column("views", sa.BigInteger),
    sa.Column("followers", sa.BigInteger),
)

reach_changes = sa.Table(
    "reach_changes",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("account", sa.Text, primary_key=True),
    sa.Column("changed_at", UtcDateTime, primary_key=True),
    sa.Column("direction", sa.String(8), primary_key=True),
    sa.Column("brand", sa.String(64)),
    sa.Column("magnitude", sa.Float, nullable=False),
    sa.Column("attribution", sa.String(16), nullable=False),
    sa.Column("ci_low", sa.Float, nullable=False),
    sa.Column("ci_high", sa.Float, nullable=False),
    sa.Column("detected_at", UtcDateTime, nullable=False),
    sa.Column("posts_after", sa.Integer, nullable=False),
)

reach_notices = sa.Table(
    "reach_notices",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("attribution", sa.String(16), nullable=False),
    sa.Column("posted_at", UtcDateTime, nullable=False),
    sa.Column("slack_ts", sa.Text),
    sa.Column("slack_channel", sa.Text),
)

brand_hourly = sa.Table(
    "brand_hourly",
    metadata,
    sa.Column("brand", sa.String(64), primary_key=True),
    sa.Column("hour", UtcDateTime, primary_key=True),
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("lang", sa.String(8), primary_key=True),
    sa.Column("mentions", sa.Integer, nullable=False),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("brand", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("resolved_at", UtcDateTime),
    sa.Column("window_start", UtcDateTime, nullable=False),
    sa.Column("window_end", UtcDateTime, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("slack_ts", sa.Text),
    sa.Column("slack_channel", sa.Text),
    sa.Column("delivered_state", sa.String(16)),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_at", UtcDateTime),
)

detector_state = sa.Table(
    "detector_state",
    metadata,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# One row per digest week posted to Slack: claimed before posting so overlapping runs post once,
# and the message ts is kept so a retry after a failed file upload does not post the message again.
digest_posts = sa.Table(
    "digest_posts",
    metadata,
    sa.Column("week", sa.String(16), primary_key=True),
    sa.Column("channel", sa.Text),
    sa.Column("ts", sa.Text),
    sa.Column("file_id", sa.Text),
    sa.Column("posted_at", UtcDateTime),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_at", UtcDateTime),
)

# How far retention has pruned each kind of data: brand_hourly hours before the ``mentions`` mark are
# frozen (their mentions are gone), so rebuilding them from what is left would erase real counts.
retention_marks = sa.Table(
    "retention_marks",
    metadata,
    sa.Column("what", sa.String(32), primary_key=True),
    sa.Column("before", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# The last outcome of each source task (success or the redacted error), so a check can say why a task
# has not succeeded lately; one row per task, overwritten every run.
task_health = sa.Table(
    "task_health",
    metadata,
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("attempted_at", UtcDateTime, nullable=False),
    sa.Column("succeeded_at", UtcDateTime),
    sa.Column("error", sa.Text),
    sa.Column("failing_since", UtcDateTime),
)

# The last state of each operator check that was announced, so Slack hears once per change.
check_states = sa.Table(
    "check_states",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("state", sa.String(64), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False),
)

# The engagement inbox (listening.inbox). A thread is read from a root post: a brand's own post (its replies are
# the items) or a post that addresses the brand (the post is the item). Rows are never deleted by a re-read:
# a thread or reply that vanished is marked, so nothing is lost and nothing answered becomes open again.
threads = sa.Table(
    "threads",
    metadata,
    sa.Column("root_id", sa.String(32), primary_key=True),  # the root's mentions.id
    sa.Column("brand", sa.String(64), nullable=False),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # "own" (the brand's post) or "addressed"
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # ok | gone | failed | skipped
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("checked_at", UtcDateTime, nullable=False),
    sa.Column("gone_at", UtcDateTime),
)

thread_items = sa.Table(
    "thread_items",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # hash of platform + native id
    sa.Column("root_id", sa.String(32), nullable=False),
    sa.Column("brand", sa.String(64), nullable=False),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("native_id", sa.Text, nullable=False),
    sa.Column("parent_native_id", sa.Text),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("author_followers", sa.BigInteger),
    sa.Column("by_brand", sa.Boolean, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("text_hash", sa.String(32), nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=False),
    sa.Column("fetched_at", UtcDateTime, nullable=False),
    sa.Column("answered_at", UtcDateTime),  # the brand's first reply below it; once set, never cleared
    sa.Column("answered_by", sa.Text),
    sa.Column("deleted_at", UtcDateTime),  # when a re-read found it deleted (its row and text are kept)
    sa.Index("ix_thread_items_brand_published", "brand", "published_at"),
    sa.Index("ix_thread_items_root", "root_id"),
    sa.Index("ix_thread_items_text_hash", "text_hash"),
)

# What people did by hand: done (with a note), snoozed until, assigned to. Re-reading threads never touches it.
inbox_states = sa.Table(
    "inbox_states",
    metadata,
    sa.Column("item_id", sa.String(32), primary_key=True),
    sa.Column("done_at", UtcDateTime),
    sa.Column("note", sa.Text),
    sa.Column("snoozed_until", UtcDateTime),
    sa.Column("assignee", sa.Text),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# Inbox messages sent to Slack (a reminder per item, a summary per day), claimed before posting: each once.
inbox_notices = sa.Table(
    "inbox_notices",
    metadata,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("posted_at", UtcDateTime, nullable=False),
    sa.Column("slack_ts", sa.Text),
    sa.Column("slack_channel", sa.Text),
)
