"""Fetch the tasks of different hosts at once, so one slow host does not hold the others.

Each host's tasks run one after another in one worker (on top of the HTTP client's per-host
politeness), so no source sees more load than a sequential run gave it. Only fetching runs in
workers: results come back to the caller's thread, which alone writes to the store.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from listening.sources.plan import SourceTask

T = TypeVar("T")

#: Hosts fetched at the same time; more only adds threads waiting on the network.
MAX_HOSTS = 8


def fetch_by_host(tasks: Sequence[SourceTask], fetch: Callable[[int], T],
                  max_hosts: int = MAX_HOSTS) -> Iterator[tuple[int, Future[T]]]:
    """Run ``fetch(i)`` for each task index, hosts in parallel; yield ``(i, finished future)`` as each ends.

    A fetch's exception stays in its future (``result()`` re-raises it in the caller's thread).
    Closing the iterator early lets fetches in flight finish but starts no new one.
    """
    by_host: dict[str, list[int]] = {}
    for i, task in enumerate(tasks):
        by_host.setdefault(task.host, []).append(i)
    finished: queue.Queue[tuple[int, Future[T]]] = queue.Queue()
    stop = threading.Event()

    def run(indexes: list[int]) -> None:
        for i in indexes:
            if stop.is_set():
                return
            future: Future[T] = Future()
            try:
                future.set_result(fetch(i))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, raised there
                future.set_exception(exc)
            finished.put((i, future))

    if not tasks:
        return
    with ThreadPoolExecutor(max_workers=min(max_hosts, len(by_host)), thread_name_prefix="fetch") as pool:
        try:
            for indexes in by_host.values():
                pool.submit(run, indexes)
            for _ in range(len(tasks)):
                yield finished.get()
        finally:
            stop.set()
