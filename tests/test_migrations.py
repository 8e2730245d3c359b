"""Schema migrations on a real SQLite file and a real PostgreSQL database: old stores reach head with every row."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from listening.cli import main
from listening.errors import StoreError
from listening.store import VERSION_TABLE, Store, current_revision, head_revision, metadata, upgrade_store
from listening.utc import as_utc

FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def first_release_store(url: str) -> sa.Engine:
    """An empty store exactly as the first release with a store (commit 21d1696) made it."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    ddl = (FIXTURES / f"store_21d1696.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    ddl = "\n".join(line for line in ddl.splitlines() if not line.startswith("--"))
    with engine.begin() as conn:
        for statement in filter(None, (s.strip() for s in ddl.split(";"))):
            conn.exec_driver_sql(statement)
    return engine


def value(column: sa.Column, table: str, i: int) -> Any:
    """A distinct, type-correct value for row ``i`` of a reflected column."""
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return T0 + timedelta(hours=i, minutes=len(column.name))
    if isinstance(kind, sa.Boolean):
        return i % 2 == 0
    if isinstance(kind, sa.Integer):
        return 1000 * i + len(column.name)
    if isinstance(kind, sa.Float):
        return i + 0.25
    if isinstance(kind, sa.LargeBinary):
        return bytes([i, 1, 2, 3])
    text = f"{i}·한국어·{table}.{column.name}"
    return text[: kind.length] if getattr(kind, "length", None) else text


def fill(engine: sa.Engine, n: int = 3) -> dict[str, list[dict[str, Any]]]:
    """``n`` rows in every table of the old store; returns what was written."""
    old = sa.MetaData()
    old.reflect(engine)
    written: dict[str, list[dict[str, Any]]] = {}
    with engine.begin() as conn:
        for table in old.sorted_tables:
            rows = [{c.name: value(c, table.name, i) for c in table.columns} for i in range(n)]
            conn.execute(table.insert(), rows)
            written[table.name] = rows
    return written


def read_back(store: Store, written: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The same tables and columns read from the upgraded store, times in UTC."""
    found = {}
    with store.engine.connect() as conn:
        for name, rows in written.items():
            table = metadata.tables[name]
            columns = [table.c[c] for c in rows[0]]
            got = conn.execute(sa.select(*columns).order_by(*table.primary_key.columns)).mappings()
            found[name] = [{k: as_utc(v) if isinstance(v, datetime) else v for k, v in r.items()} for r in got]
    return found


def schema_diff(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}), metadata)


def test_a_first_release_store_upgrades_to_head_and_keeps_every_row(store_url: str) -> None:
    old = first_release_store(store_url)
    written = fill(old)
    old.dispose()
    assert sum(len(rows) for rows in written.values()) == 8 * 3, "every table of the first release holds rows"

    store = Store.open(store_url)

    assert current_revision(store.engine) == head_revision()
    expected = {name: sorted(rows, key=lambda r: [str(r[c.name]) for c in metadata.tables[name].primary_key.columns])
                for name, rows in written.items()}
    assert read_back(store, written) == expected
    assert schema_diff(store) == [], "the upgraded store has exactly the schema of _schema.py"
    first = written["cursors"][0]
    cursor = store.read_cursor(first["source"], first["key"])
    assert cursor is not None and cursor["backlog"] is None and cursor["etag"] == first["etag"]


def test_a_fresh_store_runs_every_revision_and_matches_the_schema(store_url: str) -> None:
    store = Store.open(store_url, create=False)
    done = upgrade_store(store.engine)
    assert (done.before, done.after, done.applied, done.adopted) == (None, head_revision(), ("0001", "0002", "0003"), False)
    assert schema_diff(store) == []
    again = upgrade_store(store.engine)
    assert not again.changed and again.before == head_revision()


def test_a_store_made_by_the_release_before_migrations_is_stamped_and_kept(store_url: str) -> None:
    """Today's tables without a version table: recognised as the baseline plus ``backlog``, nothing redone."""
    Store.open(store_url, create=False).engine.dispose()  # makes the SQLite folder
    engine = sa.create_engine(store_url)
    metadata.create_all(engine)
    row = {"source": "hackernews", "key": "acme", "updated_at": T0, "backlog": '["2026-11-19T00:00:00+00:00", null]'}
    with engine.begin() as conn:
        conn.execute(metadata.tables["cursors"].insert(), [row])
    engine.dispose()

    store = Store.open(store_url, create=False)
    done = upgrade_store(store.engine)

    assert done.adopted and done.before is None and done.applied == ("0002", "0003")
    assert store.read_cursor("hackernews", "acme")["backlog"] == row["backlog"]
    assert schema_diff(store) == []


def test_a_table_no_revision_creates_yet_is_created_on_open(store_url: str) -> None:
    """New tables in _schema.py need no revision: a store at head that lacks one gets it when opened."""
    store = Store.open(store_url)
    with store.transaction() as conn:
        conn.execute(sa.text("DROP TABLE retention_marks"))
    done = upgrade_store(store.engine)
    assert done.created == ("retention_marks",) and done.applied == ()
    assert schema_diff(store) == []


def test_a_store_upgraded_by_a_newer_release_is_refused_clearly(store_url: str) -> None:
    store = Store.open(store_url)
    with store.transaction() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
        conn.execute(sa.text("DROP TABLE retention_marks"))
    with pytest.raises(StoreError, match="schema revision 9999, which this version of listening does not know"):
        Store.open(store_url)


def test_a_store_missing_a_required_column_is_not_guessed(home: Path) -> None:
    url = f"sqlite:///{home / 'odd.db'}"
    home.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE mentions (id VARCHAR(32) PRIMARY KEY)")
    with pytest.raises(StoreError, match="table mentions has no column source"):
        Store.open(url)
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["mentions"], "a refused upgrade leaves nothing half-done"


def test_db_upgrade_command_reports_what_it_did(store_url: str, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    first_release_store(store_url).dispose()
    monkeypatch.setenv("LISTENING_DATABASE_URL", store_url)

    assert main(["db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert f"made before migrations; stamped 0001, applied 0002, 0003, now at {head_revision()}" in out

    assert main(["db", "upgrade"]) == 0
    assert f"already at {head_revision()}" in capsys.readouterr().out


def test_db_upgrade_on_an_unreachable_database_is_one_line_without_the_password(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LISTENING_DATABASE_URL", "postgresql+psycopg://app:s3cret@127.0.0.1:1/listen")

    assert main(["db", "upgrade"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("listening db: error: cannot upgrade the store at postgresql+psycopg://app:***@127.0.0.1:1/listen")
    assert "s3cret" not in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
