"""The store's engine and queries: opening (SQLite or PostgreSQL), transactions, upserts, claims."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from listening.errors import StoreError
from listening.home import listening_home
from listening.mention import Mention
from listening.store._migrate import Upgrade, upgrade_store
from listening.store._schema import cursors, engagement_snapshots, mentions
from listening.utc import as_utc

def database_url(home: Path | None = None) -> str:
    """``LISTENING_DATABASE_URL`` or the zero-setup SQLite file."""
    url = os.environ.get("LISTENING_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{(home or listening_home()).resolve() / 'listening.db'}"


def redact_url(url: str) -> str:
    """A database URL safe to print: the password is masked.

    >>> redact_url("postgresql://app:s3cret@db:5432/listen")
    'postgresql://app:***@db:5432/listen'
    """
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL must still never leak
        return "<unparsable database URL>"


_MENTIONS_LOCK = 0x6C697374656E  # "listen": the advisory lock id of mention writes


class Store:
    """Engine plus the pipeline's queries. Create with :meth:`open`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True) -> "Store":
        """Open the store at ``url`` (default :func:`database_url`); ``create`` brings its schema to head first."""
        url = url or database_url()
        safe = redact_url(url)
        try:
            if url.startswith("sqlite:///"):
                path = Path(url.removeprefix("sqlite:///"))
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot create the store folder {path.parent}: {exc.strerror}") from None
                if not os.access(path.parent, os.W_OK):
                    raise StoreError(f"the store folder {path.parent} is not writable; set LISTENING_HOME to a writable folder")
                engine = sa.create_engine(url, connect_args={"timeout": 30})
                sa.event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = sa.create_engine(url, pool_pre_ping=True)
            store = cls(engine)
            if create:
                upgrade_store(engine)
            return store
        except StoreError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store at {safe}: {exc.__class__.__name__}: {_first_line(exc)}") from None
        except Exception as exc:  # noqa: BLE001 - driver import/URL errors: map once, never leak the URL
            raise StoreError(f"cannot open the store at {safe}: {exc.__class__.__name__}") from None

    def upgrade(self) -> Upgrade:
        """Bring the schema to head now (:meth:`open` does it too); says what it did."""
        try:
            return upgrade_store(self.engine)
        except SQLAlchemyError as exc:
            safe = self.engine.url.render_as_string(hide_password=True)
            raise StoreError(f"cannot upgrade the store at {safe}: {exc.__class__.__name__}: {_first_line(exc)}") from None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store write failed: {exc.__class__.__name__}: {_first_line(exc)}") from exc

    def upsert(self, conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *, update: Sequence[str] = (),
               where: Any = None) -> None:
        """Insert rows; on a primary-key clash update ``update`` columns (or keep the old row).

        ``where`` (a function of the incoming row's columns, ``excluded``) limits which clashes update,
        so the database itself refuses, e.g., an older version over a newer one.
        """
        if not rows:
            return
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            raise StoreError(f"upserts are implemented for sqlite and postgresql, not {self.dialect}")
        keys = [c.name for c in table.primary_key.columns]
        rows = [storable(row) for row in rows]
        stmt = insert(table)
        if update:
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update},
                                              where=where(stmt.excluded) if where is not None else None)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        conn.execute(stmt, list(rows))  # executemany: one cached statement, batched by SQLAlchemy

    def insert_new(self, conn: Connection, table: sa.Table, row: dict[str, Any]) -> bool:
        """Insert one row unless its primary key exists; True if this call inserted it (a claim)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            raise StoreError(f"claims are implemented for sqlite and postgresql, not {self.dialect}")
        keys = list(table.primary_key.columns)
        stmt = insert(table).values(storable(row)).on_conflict_do_nothing(index_elements=[c.name for c in keys])
        return conn.execute(stmt.returning(keys[0])).first() is not None

    # -- mentions ---------------------------------------------------------

    def lock_mentions(self, conn: Connection) -> None:
        """Hold the store's mention-writing lock until ``conn``'s transaction ends.

        Ingest steps for different sources run at once (multiprocess executor, pods); without this,
        two of them could both look up a headline, both find it new and both store it. Taken first,
        it makes look-up and insert one step: the second waits, then sees the first one's rows.
        SQLite: a write that changes nothing takes the database's write lock (waiting up to its busy
        timeout); PostgreSQL: a transaction-scoped advisory lock.
        """
        if self.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MENTIONS_LOCK})
        else:
            conn.execute(sa.update(mentions).where(sa.false()).values(id=mentions.c.id))

    def known_dedupe_keys(self, conn: Connection, canonical_urls: Iterable[str], title_keys: Iterable[str]) -> tuple[set[str], set[str]]:
        """Canonical URLs and title keys already stored (for cross-run de-duplication).

        Empty keys are left out: posts have no title key, and looking up "" would return every stored post.
        """
        urls, titles = list(set(canonical_urls) - {""}), list(set(title_keys) - {""})
        found_urls: set[str] = set()
        found_titles: set[str] = set()
        for start in range(0, max(len(urls), len(titles)), 500):
            if urls[start : start + 500]:
                q = sa.select(mentions.c.canonical_url).where(mentions.c.canonical_url.in_(urls[start : start + 500]))
                found_urls.update(conn.execute(q).scalars())
            if titles[start : start + 500]:
                q = sa.select(mentions.c.title_key).where(mentions.c.title_key.in_(titles[start : start + 500]))
                found_titles.update(conn.execute(q).scalars())
        return found_urls, found_titles

    # -- engagement snapshots --------------------------------------------

    def last_observed(self, conn: Connection, post_ids: Sequence[str]) -> dict[str, datetime]:
        """The latest kept look per post id, for the posts that have one."""
        ids, found = list(set(post_ids)), {}
        c = engagement_snapshots.c
        for start in range(0, len(ids), 500):
            q = (sa.select(c.post_id, sa.func.max(c.observed_at)).where(c.post_id.in_(ids[start:start + 500]))
                 .group_by(c.post_id))
            found.update({pid: as_utc(at) for pid, at in conn.execute(q)})
        return found

    def snapshots(self) -> list[dict[str, Any]]:
        """Every kept look, oldest first, times in UTC (the reach model's input)."""
        c = engagement_snapshots.c
        q = sa.select(engagement_snapshots).order_by(c.observed_at, c.platform, c.account, c.post_id)
        with self.engine.connect() as conn:
            return [{**r, "posted_at": as_utc(r["posted_at"]), "observed_at": as_utc(r["observed_at"])}
                    for r in conn.execute(q).mappings()]

    def refresh_statistics(self) -> None:
        """Give SQLite's query planner current table statistics; PostgreSQL's autovacuum keeps its own.

        SQLite never gathers them by itself, and without them it joined a week of mentions to their scores
        by scanning all of ``scores`` (3 s instead of 0.5 s at 1M stored). ``analysis_limit`` samples each
        index, so this costs milliseconds at any size.
        """
        if self.dialect == "sqlite":
            with self.transaction() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("ANALYZE")

    def count(self, table: sa.Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def read_cursor(self, source: str, key: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(cursors).where(cursors.c.source == source, cursors.c.key == key)).mappings().first()
        if row is None:
            return None
        return {**row, "watermark": as_utc(row["watermark"])}

    def mention_frame_rows(self, *, brand: str | None = None, source: str | None = None, lang: str | None = None,
                           since: datetime | None = None, until: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Mentions newest first, filtered like the CLI's ``mentions`` command."""
        q = sa.select(mentions).order_by(mentions.c.published_at.desc(), mentions.c.id)
        if brand:
            q = q.where(mentions.c.brand == brand)
        if source:
            q = q.where(mentions.c.source == source)
        if lang:
            q = q.where(mentions.c.lang == lang)
        if since:
            q = q.where(mentions.c.published_at >= since)
        if until:
            q = q.where(mentions.c.published_at < until)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [{**r, "published_at": as_utc(r["published_at"]), "fetched_at": as_utc(r["fetched_at"])} for r in conn.execute(q).mappings()]


def mention_row(m: Mention, *, canonical_url: str, title_key: str, text_hash: str, brands: Sequence[str]) -> dict[str, Any]:
    """Flatten a Mention into a ``mentions`` row.

    Fields are read directly: ``asdict`` would deep-copy the raw payload only to drop it (80% of write time).
    """
    row = {f.name: getattr(m, f.name) for f in fields(m) if f.name != "raw"}
    row.update(
        id=m.id,
        canonical_url=canonical_url,
        title_key=title_key,
        text_hash=text_hash,
        brands=",".join(brands),
        raw=json.dumps(m.raw, ensure_ascii=False, default=str),
        published_at=as_utc(m.published_at),
        fetched_at=as_utc(m.fetched_at),
    )
    return row


def storable(row: dict[str, Any]) -> dict[str, Any]:
    r"""The row with U+0000 in every string replaced by U+FFFD, on every backend.

    PostgreSQL text cannot hold NUL, and one such character would fail the whole
    task's transaction (and every retry after it), so a single hostile post could
    block a source for good. Replacing it on SQLite too keeps both stores holding
    the same text; the original survives in ``mentions.raw`` as the JSON escape
    ``\u0000``.

    >>> storable({"text": "a\x00b", "n": 1})
    {'text': 'a\ufffdb', 'n': 1}
    """
    if not any(isinstance(v, str) and "\x00" in v for v in row.values()):
        return row
    return {k: v.replace("\x00", "\ufffd") if isinstance(v, str) else v for k, v in row.items()}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0][:300] if text.strip() else exc.__class__.__name__
