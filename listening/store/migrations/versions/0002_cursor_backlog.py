"""``cursors.backlog``: the window a stopped-early run left unread (JSON ``[after, until]``), read on the next run.

Stores opened by the release that introduced it already have the column (it was added on open then),
so the column is added only where it is missing.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from listening.store.migrations import has_column

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not has_column("cursors", "backlog"):
        op.add_column("cursors", sa.Column("backlog", sa.Text))


def downgrade() -> None:
    op.drop_column("cursors", "backlog")
