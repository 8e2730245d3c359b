"""The store's schema history as Alembic revisions (``versions/``), applied by ``listening db upgrade`` and on every open.

How a store reaches head (:func:`listening.store.upgrade_store`):

1. A store whose version table (``listening_schema_version``; Dagster's storage owns ``alembic_version``)
   already says head and that has every table of ``_schema.py`` is left alone.
2. A store made before migrations existed (tables, no version table) is checked against the
   baseline (``0001``): tables, nullable columns and indexes that older releases lacked are added,
   anything else that differs is refused with a clear error; then it is stamped ``0001``.
3. Every revision after the current one runs, in one transaction (PostgreSQL: under an advisory lock;
   SQLite: ``BEGIN IMMEDIATE``), so processes opening the same store at once upgrade it once.
4. ``metadata.create_all`` then creates tables of ``_schema.py`` that no revision creates yet.

Adding to the schema:

- **A new table** needs only its ``sa.Table`` in ``_schema.py``: step 4 creates it on fresh and old
  stores alike. A revision is needed once the table changes *after* it shipped (a column, an index):
  that revision must tolerate the table being absent (an old store gets the table, already in its new
  shape, from step 4, after the revisions ran), e.g. ``if has_table("t") and not has_column("t", "c")``.
- **A new column or index on an existing table**: change ``_schema.py`` and add a revision
  ``versions/NNNN_what.py`` (next number, ``revision = "NNNN"``, ``down_revision`` = the previous one;
  copy ``0002_cursor_backlog.py``). Guard it with :func:`has_column` if some stores may already have it.
  ``tests/test_migrations.py`` fails while ``_schema.py`` and the revisions disagree.
- Never edit a revision that has shipped; a revision describes the schema it was written against,
  so it spells its tables out instead of importing ``_schema.py``.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import op

#: The Alembic script directory (``versions/`` below it); used programmatically, no ``alembic.ini``.
SCRIPT_LOCATION = Path(__file__).resolve().parent


def has_table(table: str) -> bool:
    """Whether the store being migrated has ``table`` (for revisions that must tolerate its absence)."""
    return sa.inspect(op.get_bind()).has_table(table)


def has_column(table: str, column: str) -> bool:
    """Whether ``table`` exists and already has ``column``."""
    inspector = sa.inspect(op.get_bind())
    return inspector.has_table(table) and column in {c["name"] for c in inspector.get_columns(table)}
