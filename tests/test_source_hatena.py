"""Hatena Bookmark: the recorded RDF search feed."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from listening.http import HttpClient
from listening.mention import Mention
from listening.sources.hatena import HatenaSearch
from tests.fault_server import FaultServer, fault_server, fixture  # noqa: F401

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def search(server: FaultServer) -> HatenaSearch:
    server.route("/q/acme", fixture("hatena_search_acme.rdf", "application/rss+xml; charset=utf-8"))
    return HatenaSearch("acme", base_url=server.base_url)


def test_search_feed_becomes_mentions(fault_server: FaultServer, client: HttpClient) -> None:
    result = search(fault_server).fetch(client, now=NOW)
    first, second = result.mentions
    assert first == Mention(
        source="hatena", native_id="https://zenn.example.dev/kei/articles/acme-cli-crash",
        url="https://zenn.example.dev/kei/articles/acme-cli-crash", title="Acme CLI 3.0 の同期クラッシュを回避する方法",
        text="Acme CLI 3.0 で sync が落ちる問題の回避策をまとめました。",
        published_at=datetime(2026, 11, 24, 23, 40, 12, tzinfo=UTC), fetched_at=NOW, lang="ja", query="acme",
        likes=112, score=112,
    )
    assert (second.published_at, second.likes) == (datetime(2026, 11, 24, 9, 5, tzinfo=UTC), 3)
    assert json.loads(json.dumps(first.raw))["hatena_bookmarkcount"] == "112"
    assert result.cursor.watermark == first.published_at


def test_search_sends_the_documented_parameters(fault_server: FaultServer, client: HttpClient) -> None:
    search(fault_server).fetch(client, now=NOW)
    sent = fault_server.hits("/q/acme")[0]
    assert {k: v[0] for k, v in sent.query.items()} == {"target": "text", "mode": "rss", "sort": "recent"}
