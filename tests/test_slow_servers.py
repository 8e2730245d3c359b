"""A server that trickles its response never holds a fetch past the request deadline, nor other hosts' sources."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

from listening.config import load_config
from listening.http import HttpClient, Politeness, Retry, Timeouts
from listening.ingest import run_ingest
from listening.sources.parallel import fetch_by_host
from listening.sources.plan import SourceTask
from listening.store import Store, mentions
from tests.fault_server import FaultServer, fault_server, fixture, trickle_headers  # noqa: F401

POLICY = {
    "politeness": Politeness(max_concurrency_per_host=4, min_interval_s=0),
    "retry": Retry(attempts=3, backoff=0.01, max_backoff=0.05),
    "timeout": Timeouts(connect=2.0, read=5.0, total=2.0),
}


def test_a_feed_trickling_its_headers_fails_at_the_deadline_and_the_next_feed_is_fetched(
    home: Path, tmp_path: Path, fault_server: FaultServer
) -> None:
    fault_server.route("/slow.xml", trickle_headers(interval=1.0))  # one header byte a second, forever
    fault_server.route("/good.xml", fixture("blog_rss2.xml"))
    config_file = tmp_path / "c.yaml"
    config_file.write_text(f"""
brands:
  - key: acme
    name: Acme
    sources:
      feeds:
        - {{url: "{fault_server.url('/slow.xml')}"}}
        - {{url: "{fault_server.url('/good.xml')}"}}
""")
    store = Store.open()
    started = time.monotonic()
    with HttpClient.for_contact("t@example.com", **POLICY) as client:
        slow, good = run_ingest(load_config(config_file), store, client).tasks
    assert time.monotonic() - started < 10, "without the deadline the slow feed would hold the run for ever"
    assert "response not complete after 2s" in slow.error and "Timeouts.total" in slow.error
    assert len(fault_server.hits("/slow.xml")) == 1, "a trickling server is not asked again"
    assert good.new > 0 and not good.error
    assert store.count(mentions) == good.new


def test_a_slow_host_does_not_hold_the_feeds_of_other_hosts(home: Path, tmp_path: Path, fault_server: FaultServer) -> None:
    """The slow feed is first in the config, yet the other host's feeds are stored while it trickles."""
    fault_server.route("/slow.xml", trickle_headers(interval=0.5))
    fault_server.route("/a.xml", fixture("blog_rss2.xml"))
    fault_server.route("/b.xml", fixture("github_releases.atom"))
    slow_url = fault_server.url("/slow.xml").replace("127.0.0.1", "localhost")  # another host, same server
    config_file = tmp_path / "c.yaml"
    config_file.write_text(f"""
brands:
  - key: acme
    name: Acme
    sources:
      feeds:
        - {{url: "{slow_url}"}}
        - {{url: "{fault_server.url('/a.xml')}"}}
        - {{url: "{fault_server.url('/b.xml')}"}}
""")
    stored: list[tuple[str, bool]] = []
    with HttpClient.for_contact("t@example.com", **POLICY) as client:
        report = run_ingest(load_config(config_file), Store.open(), client,
                            on_task=lambda t: stored.append((t.key, threading.current_thread() is threading.main_thread())))
    slow, a, b = report.tasks
    assert [key for key, _ in stored] == [a.key, b.key, slow.key], "the other host's feeds did not wait for the slow one"
    assert all(in_main for _, in_main in stored), "results are stored by the calling thread only"
    assert "Timeouts.total" in slow.error and a.new > 0 and b.new > 0


def test_each_host_gets_one_request_at_a_time_while_hosts_run_together() -> None:
    active: dict[str, int] = {}
    peak: dict[str, int] = {}
    overall: list[int] = []
    lock = threading.Lock()
    tasks = [SourceTask(SimpleNamespace(url=f"https://{host}.example/{n}.xml", source="rss", key=f"{host}{n}"), "acme", True)
             for host in ("one", "two", "three") for n in range(3)]

    def fetch(i: int) -> str:
        host = tasks[i].host
        with lock:
            active[host] = active.get(host, 0) + 1
            peak[host] = max(peak.get(host, 0), active[host])
            overall.append(sum(active.values()))
        time.sleep(0.05)
        with lock:
            active[host] -= 1
        return tasks[i].connector.key

    results = {i: future.result() for i, future in fetch_by_host(tasks, fetch)}
    assert results == {i: t.connector.key for i, t in enumerate(tasks)}
    assert peak == {"one.example": 1, "two.example": 1, "three.example": 1}
    assert max(overall) > 1
