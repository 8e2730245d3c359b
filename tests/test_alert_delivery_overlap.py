"""Overlapping runs deliver each alert state once: the database decides who posts, not luck."""

from __future__ import annotations

import threading

from listening.alerts import SqlRepository, deliver
from listening.slack import SlackClient, SlackConfig
from listening.store import Store
from tests.slack_server import BOT_TOKEN, SlackServer
from tests.test_alerts import run, stream


def test_two_overlapping_deliveries_post_each_state_once(store_url: str) -> None:
    store = Store.open(store_url)
    repo = SqlRepository(store)
    changed = run(repo, stream()[:455])
    assert [a.state for a in changed] == ["open"]
    with SlackServer() as slack:
        config = SlackConfig(bot_token=BOT_TOKEN, channel="#alerts", base_url=slack.api_url)
        barrier = threading.Barrier(4)
        results: list[list] = []

        def one_run() -> None:
            barrier.wait()
            with SlackClient(config) as client:
                results.append(deliver(SqlRepository(Store.open(store_url)), client))

        threads = [threading.Thread(target=one_run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(len(r) for r in results) == [0, 0, 0, 1]
        assert len(slack.messages()) == 1

        run(repo, stream()[455:])
        with SlackClient(config) as client:
            labels = [label for _, label in deliver(repo, client)]
            assert deliver(repo, client) == []
    assert labels == ["resolved"]
    root, reply = slack.messages()
    assert reply["thread_ts"] and not root.get("thread_ts")
