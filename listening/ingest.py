"""Ingest: fetch every configured source, match brands, de-duplicate, store.

Each (source, query/feed) is one task with its own cursor. A task's mentions,
skipped-item reasons and new cursor are committed in one transaction, so a
crash never advances a cursor past data that was not stored, and one failing
source never stops the others.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from listening.config import ListeningConfig
from listening.checks._invariants import record_outcome
from listening.errors import ListeningError, StoreError
from listening.http import HttpClient, redact_text
from listening.language import detect_language
from listening.matching import normalize_text
from listening.mention import Mention
from listening.normalize import dedupe, keyed, own_words, text_hash, title_is_thread
from listening.sources.base import Backlog, Cursor, FetchResult
from listening.snapshots import snapshot_rows
from listening.sources.parallel import fetch_by_host
from listening.sources.plan import SourceTask, plan_tasks
from listening.store import Store, cursors, engagement_snapshots, mention_row, mentions, skipped_items
from listening.timeseries import pruned_before

logger = logging.getLogger(__name__)

ENGAGEMENT = ("likes", "reposts", "replies", "views", "score", "author_followers")


@dataclass
class TaskReport:
    source: str
    key: str
    brand: str | None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    unmatched: int = 0
    skipped: int = 0
    expired: int = 0  # already past the retention horizon: dropped, not stored
    snapshots: int = 0
    not_modified: bool = False
    error: str = ""


@dataclass
class IngestReport:
    tasks: list[TaskReport] = field(default_factory=list)
    new_by_brand: Counter[str] = field(default_factory=Counter)
    new_by_source: Counter[str] = field(default_factory=Counter)
    newest: list[Mention] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(t.new for t in self.tasks)

    @property
    def failed(self) -> list[TaskReport]:
        return [t for t in self.tasks if t.error]


def attribute(m: Mention, config: ListeningConfig, task: SourceTask) -> list[str]:
    """Brands a mention is about, the task's own brand first.

    A brand's own channel (blog, press room, YouTube) speaks for that brand even
    when a post does not name it; search results must match a brand query.
    """
    text = normalize_text(f"{m.title}\n{m.text}")
    found = [b.key for b in config.brands if b.matcher.matches(text)]
    if task.own_channel and task.brand:
        return [task.brand] + [k for k in found if k != task.brand]
    if task.brand in found:
        return [task.brand] + [k for k in found if k != task.brand]
    return found


def run_ingest(
    config: ListeningConfig,
    store: Store,
    client: HttpClient,
    *,
    sources: Sequence[str] | None = None,
    tasks: Iterable[SourceTask] | None = None,
    on_task: Callable[[TaskReport], None] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> IngestReport:
    """Fetch all (or the named kinds of) sources once and store what is new.

    ``now`` is also the connectors' fetch time, so a replay can walk the clock. Tasks of different
    hosts are fetched at once (:func:`fetch_by_host`); results are stored here, one task at a time,
    and ``report.tasks`` keeps the plan's order.
    """
    report = IngestReport()
    planned = [t for t in (tasks if tasks is not None else plan_tasks(config)) if not sources or t.source in sources]
    cursors_before = [_cursor(store, task) for task in planned]

    def fetch(i: int) -> tuple[datetime, FetchResult]:
        at = now()
        return at, planned[i].fetch(client, cursors_before[i], now=at)

    done: dict[int, TaskReport] = {}
    for i, fetched in fetch_by_host(planned, fetch):
        task = planned[i]
        task_report = TaskReport(task.source, task.key, task.brand)
        try:
            at, result = fetched.result()
            _store_result(config, store, task, result, task_report, report, at)
        except ListeningError as exc:
            task_report.error = redact_text(f"{exc.__class__.__name__}: {exc}")
            logger.warning("source %s %s failed: %s", task.source, task.key, task_report.error)
        except Exception as exc:  # noqa: BLE001 - one task's bug or hostile page never stops the other sources
            task_report.error = redact_text(f"{exc.__class__.__name__}: {str(exc)[:500]}")
            logger.warning("source %s %s failed unexpectedly: %s", task.source, task.key, task_report.error,
                           exc_info=logger.isEnabledFor(logging.DEBUG))
        try:
            record_outcome(store, task.source, task.key, now(), task_report.error)
        except StoreError as exc:  # the task's own outcome stands; only the check's view of it is late
            logger.warning("source %s %s: outcome not recorded: %s", task.source, task.key, exc)
        done[i] = task_report
        if on_task:
            on_task(task_report)
    report.tasks = [done[i] for i in sorted(done)]
    return report


def _cursor(store: Store, task: SourceTask) -> Cursor | None:
    row = store.read_cursor(task.source, task.key)
    if row is None:
        return None
    gap = json.loads(row["backlog"]) if row.get("backlog") else None
    return Cursor(etag=row["etag"], last_modified=row["last_modified"], watermark=row["watermark"],
                  backlog=Backlog.from_list(gap) if gap else None)


def _store_result(config: ListeningConfig, store: Store, task: SourceTask, result: FetchResult,
                  task_report: TaskReport, report: IngestReport, now: datetime) -> None:
    task_report.not_modified = result.not_modified
    task_report.fetched = len(result.mentions)
    task_report.skipped = len(result.skipped)
    candidates = []
    for m in result.mentions:
        brands = attribute(m, config, task)
        if not brands:
            task_report.unmatched += 1
            continue
        detected = detect_language(own_words(m.title, m.text, thread_title=title_is_thread(m.source, m.replies)))
        m = m.with_(brand=brands[0], is_own=task.is_own, query=task.key,
                    lang=detected if detected != "und" else (m.lang or detected))
        candidates.append((keyed(m), brands))
    horizon = pruned_before(store)
    if horizon is not None:
        live = [(k, b) for k, b in candidates if k.mention.published_at >= horizon]
        task_report.expired = len(candidates) - len(live)
        candidates = live
    brands_of = {k.mention.id: b for k, b in candidates}
    with store.transaction() as conn:
        store.lock_mentions(conn)  # other sources' steps may be storing the same stories right now
        ids = [k.mention.id for k, _ in candidates]
        existing = set()
        for start in range(0, len(ids), 500):
            existing.update(conn.execute(sa.select(mentions.c.id).where(mentions.c.id.in_(ids[start:start + 500]))).scalars())
        fresh = [k for k, _ in candidates if k.mention.id not in existing]
        known_urls, known_titles = store.known_dedupe_keys(conn, (k.canonical_url for k in fresh), (k.title_key for k in fresh))
        kept, task_report.duplicates = dedupe(fresh, known_urls, known_titles)
        updates = [k for k, _ in candidates if k.mention.id in existing]
        rows = [mention_row(k.mention, canonical_url=k.canonical_url, title_key=k.title_key,
                            text_hash=k.text_hash, brands=brands_of[k.mention.id]) for k in kept + updates]
        store.upsert(conn, mentions, rows, update=ENGAGEMENT)
        if task.account:
            last = store.last_observed(conn, [m.native_id for m in result.mentions])
            looks = snapshot_rows(result.mentions, task.source, task.account, last)
            store.upsert(conn, engagement_snapshots, looks)
            task_report.snapshots = len(looks)
        shown = [(s.reason, redact_text(s.detail)) for s in result.skipped]
        store.upsert(conn, skipped_items, [
            {"source": task.source, "key": task.key, "fingerprint": text_hash(reason, detail),
             "reason": reason, "detail": detail[:2000], "first_seen": now, "last_seen": now}
            for reason, detail in shown
        ], update=("last_seen",))
        store.upsert(conn, cursors, [{
            "source": task.source, "key": task.key, "etag": result.cursor.etag,
            "last_modified": result.cursor.last_modified, "watermark": result.cursor.watermark, "updated_at": now,
            "backlog": json.dumps(result.cursor.to_dict()["backlog"]) if result.cursor.backlog else None,
        }], update=("etag", "last_modified", "watermark", "updated_at", "backlog"))
    task_report.new = len(kept)
    task_report.updated = len(updates)
    for k in kept:
        report.new_by_brand[k.mention.brand] += 1
        report.new_by_source[k.mention.source] += 1
    report.newest = sorted(report.newest + [k.mention for k in kept], key=lambda m: m.published_at, reverse=True)[:20]
