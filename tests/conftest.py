"""Shared fixtures: fresh stores (SQLite file and the local PostgreSQL server), the replay server.

The suite's clock rule: **no test reads the real clock for anything that decides its outcome.**
The product's one clock (``listening.utc.now``, read by the replay, every ingest run, the CLI's
relative times and every Dagster asset) is frozen at :data:`NOW` for the whole session; recorded
fixtures are served or dated relative to it, and a test that needs another instant pins it itself
(``monkeypatch.setenv("LISTENING_REPLAY_NOW", ...)`` or ``now=``). The guard:
``FAKETIME=+400d ./scripts/test`` runs the suite with the system clock a year ahead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

#: The suite's "now": a Wednesday, one day after the recorded Bluesky and Reddit fixtures.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
os.environ["LISTENING_REPLAY_NOW"] = NOW.isoformat()

PG_ADMIN_URL = os.environ.get("LISTENING_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh $LISTENING_HOME; the SQLite store lives in it."""
    monkeypatch.setenv("LISTENING_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LISTENING_DATABASE_URL", raising=False)
    monkeypatch.delenv("LISTENING_CONFIG", raising=False)
    return tmp_path / "home"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A brand-new database on the local PostgreSQL server, dropped afterwards."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"listening_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"the PostgreSQL server at {PG_ADMIN_URL} is required for this test: {exc}")
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, home: Path) -> str:
    """Each store test runs on a fresh SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{home / 'listening.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="module")
def client():
    """One fast-failing HTTP client per connector test module (tiny timeouts and backoff, no politeness pause)."""
    from listening.http import HttpClient, HttpPolicy, Politeness, Retry, Timeouts

    policy = HttpPolicy(timeout=Timeouts(connect=2, read=5), retry=Retry(attempts=2, backoff=0.01),
                        politeness=Politeness(min_interval_s=0))
    with HttpClient(policy) as c:
        yield c
