"""A server that trickles its response never holds a fetch past the request deadline."""

from __future__ import annotations

import time
from pathlib import Path

from listening.config import load_config
from listening.http import HttpClient, Politeness, Retry, Timeouts
from listening.ingest import run_ingest
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
