"""Bringing a store to the schema head before first use: Alembic revisions, configured in code (no ``alembic.ini``).

See :mod:`listening.store.migrations` for the steps and for how to add a revision.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from listening.errors import StoreError
from listening.store._schema import metadata
from listening.store.migrations import SCRIPT_LOCATION

BASELINE = "0001"
#: Not Alembic's default ``alembic_version``: Dagster's PostgreSQL storage keeps its own revisions there,
#: and an instance and a store may share one database.
VERSION_TABLE = "listening_schema_version"
_MIGRATION_LOCK = 0x6C697374656F  # the advisory lock id of schema upgrades (PostgreSQL)


@dataclass(frozen=True)
class Upgrade:
    """What bringing a store to head did: the revision found, the revisions applied, the tables created."""

    before: str | None
    after: str
    applied: tuple[str, ...] = ()
    adopted: bool = False
    created: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.adopted or self.created)


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory(str(SCRIPT_LOCATION))


def head_revision() -> str:
    """The newest revision this code knows."""
    head = _script().get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


def current_revision(engine: Engine) -> str | None:
    """The store's recorded revision; None for a fresh store or one made before migrations existed."""
    with engine.connect() as conn:
        return _context(conn).get_current_revision()


def upgrade_store(engine: Engine, *, attempts: int = 5) -> Upgrade:
    """Bring the store behind ``engine`` to head; cheap (two reads) when it is there already.

    Retries when another process is creating the same fresh store at that moment (SQLite reports
    "database is locked" while the file is new; the second pass then finds it at head).
    """
    head = head_revision()
    for attempt in range(attempts):
        try:
            with engine.connect() as conn:
                before = _context(conn).get_current_revision()
                missing = {t.name for t in metadata.sorted_tables} - set(sa.inspect(conn).get_table_names())
            if before == head and not missing:
                return Upgrade(before=head, after=head)
            with _exclusive(engine) as conn:
                return _upgrade(conn, head)
        except SQLAlchemyError as exc:
            text = str(exc).lower()
            racing = any(sign in text for sign in ("already exists", "duplicate", "database is locked"))
            if attempt == attempts - 1 or not racing:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _upgrade(conn: Connection, head: str) -> Upgrade:
    script, applied = _script(), []

    def steps(rev: Any, _context: MigrationContext) -> list[Any]:
        planned = script._upgrade_revs(head, rev)  # what `alembic upgrade head` runs
        applied.extend(step.revision.revision for step in planned)
        return planned

    ctx = _context(conn, fn=steps)
    before = ctx.get_current_revision()
    if before is not None and before not in {s.revision for s in script.walk_revisions()}:
        raise StoreError(f"the store is at schema revision {before}, which this version of listening does not know "
                         "(a newer release upgraded it); run that release, or restore a backup taken before the upgrade")
    present = set(sa.inspect(conn).get_table_names())
    adopted = before is None and bool(present & set(_baseline().tables))
    if adopted:
        _adopt(conn, ctx)
    with Operations.context(ctx):
        ctx.run_migrations()
    missing = [t.name for t in metadata.sorted_tables if not sa.inspect(conn).has_table(t.name)]
    metadata.create_all(conn, tables=[metadata.tables[name] for name in missing])
    return Upgrade(before=before, after=head, applied=tuple(applied), adopted=adopted, created=tuple(missing))


def _context(conn: Connection, **opts: Any) -> MigrationContext:
    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, **opts})


def _baseline() -> sa.MetaData:
    revision = _script().get_revision(BASELINE)
    assert revision is not None and revision.module is not None
    return revision.module.baseline()


def _adopt(conn: Connection, ctx: MigrationContext) -> None:
    """Bring a store made before migrations existed to the baseline, then stamp it.

    Releases before the baseline lacked some tables, nullable columns and indexes, and added them
    when a store was opened (or never did: ``alerts.claimed_*``); those are added here. A missing
    required column is no listening release's store, so it is refused rather than guessed.
    """
    inspector, ops = sa.inspect(conn), Operations(ctx)
    for table in _baseline().sorted_tables:
        if not inspector.has_table(table.name):
            table.create(conn)
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            if column.primary_key or not column.nullable:
                raise StoreError(f"the store's table {table.name} has no column {column.name}, which every listening "
                                 "release had; it is not a listening store this version can upgrade")
            ops.add_column(table.name, column._copy())
        indexes = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
            if index.name not in indexes:
                index.create(conn)
    ctx.stamp(_script(), BASELINE)


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """One transaction that only one process at a time holds, DDL included.

    PostgreSQL: transactional DDL under an advisory lock. SQLite: the driver normally runs DDL outside
    any transaction, so a short-lived engine takes the write lock up front (``BEGIN IMMEDIATE``) and
    the whole upgrade commits or rolls back as one.
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            yield conn
        return
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):  # a memory store has one user
        with engine.begin() as conn:
            yield conn
        return
    exclusive = sa.create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 30, "isolation_level": None})
    sa.event.listen(exclusive, "connect", _sqlite_connect)
    sa.event.listen(exclusive, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    try:
        with exclusive.begin() as conn:
            yield conn
    finally:
        exclusive.dispose()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()
