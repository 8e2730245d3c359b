"""The engagement inbox's tables: threads read, their items, manual states and Slack notices (issue 21).

Spelled out here, not imported from ``_schema.py`` (a revision keeps describing the schema it was written
against). A store that already has a table (created on open by a build before this revision) keeps it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from listening.store.migrations import has_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)
NAMES = ("threads", "thread_items", "inbox_states", "inbox_notices")


def tables() -> sa.MetaData:
    """The four tables as this revision creates them."""
    metadata = sa.MetaData()
    sa.Table(
        "threads",
        metadata,
        sa.Column("root_id", sa.String(32), primary_key=True),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("checked_at", UtcDateTime, nullable=False),
        sa.Column("gone_at", UtcDateTime),
    )
    sa.Table(
        "thread_items",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
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
        sa.Column("answered_at", UtcDateTime),
        sa.Column("answered_by", sa.Text),
        sa.Column("deleted_at", UtcDateTime),
        sa.Index("ix_thread_items_brand_published", "brand", "published_at"),
        sa.Index("ix_thread_items_root", "root_id"),
        sa.Index("ix_thread_items_text_hash", "text_hash"),
    )
    sa.Table(
        "inbox_states",
        metadata,
        sa.Column("item_id", sa.String(32), primary_key=True),
        sa.Column("done_at", UtcDateTime),
        sa.Column("note", sa.Text),
        sa.Column("snoozed_until", UtcDateTime),
        sa.Column("assignee", sa.Text),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    sa.Table(
        "inbox_notices",
        metadata,
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("posted_at", UtcDateTime, nullable=False),
        sa.Column("slack_ts", sa.Text),
        sa.Column("slack_channel", sa.Text),
    )
    return metadata


def upgrade() -> None:
    bind = op.get_bind()
    for table in tables().sorted_tables:
        if not has_table(table.name):
            table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(tables().sorted_tables):
        table.drop(bind, checkfirst=True)
