"""Naver Search: recorded news/blog/cafe answers, credentials from env, secrets kept out of errors and logs."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import pytest

from listening.errors import ConfigError, FetchError, ParseError
from listening.http import HttpClient
from listening.mention import Mention
from listening.sources.base import Cursor
from listening.sources.naver import NaverSearch
from tests.fault_server import FaultServer, fault_server, fixture, ok, status  # noqa: F401

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
JSON = "application/json;charset=utf-8"
CLIENT_ID = "naverClientId123"
SECRET = "s3cr3tNaverValue"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENING_NAVER_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LISTENING_NAVER_CLIENT_SECRET", SECRET)


def naver(server: FaultServer, kind: str = "news", **kw) -> NaverSearch:
    server.route(f"/v1/search/{kind}.json", fixture(f"naver_{kind}_acme.json", JSON))
    return NaverSearch("acme", kind, base_url=server.base_url, **kw)


WATERMARK = Cursor(watermark=datetime(2026, 11, 19, tzinfo=UTC))


def test_news_items_become_mentions(fault_server: FaultServer, client: HttpClient) -> None:
    result = naver(fault_server).fetch(client, WATERMARK, now=NOW)
    first, second, third = result.mentions
    assert first == Mention(
        source="naver", native_id="https://www.itnews.example.kr/news/articleView.html?idxno=120345",
        url="https://www.itnews.example.kr/news/articleView.html?idxno=120345",
        title='Acme 클라우드 3.0 국내 출시"배포 3배 빨라"',
        text="Acme가 24일 클라우드 3.0을 국내에 출시했다. 회사 측은 배포 속도가 3배 빨라졌다고 밝혔다.",
        published_at=datetime(2026, 11, 24, 9, 5, tzinfo=UTC), fetched_at=NOW, lang="ko", query="acme",
    )
    assert second.native_id == "https://n.news.naver.com/mnews/article/002/0000123456?sid=105"  # no originallink
    assert (second.title, third.title) == ("[단독] Acme CLI 동기화 오류 잇따라…", "클라우드 요금 인상 러시·Acme도 동참")
    assert json.loads(json.dumps(first.raw))["title"].startswith("<b>Acme</b>")
    assert (result.cursor.watermark, result.requests) == (first.published_at, 1)


def test_requests_carry_parameters_and_credential_headers(fault_server: FaultServer, client: HttpClient) -> None:
    naver(fault_server).fetch(client, WATERMARK, now=NOW)
    sent = fault_server.hits("/v1/search/news.json")[0]
    assert {k: v[0] for k, v in sent.query.items()} == {"query": "acme", "display": "100", "start": "1",
                                                         "sort": "date"}
    assert (sent.headers["x-naver-client-id"], sent.headers["x-naver-client-secret"]) == (CLIENT_ID, SECRET)


def test_blog_postdate_is_a_korean_day(fault_server: FaultServer, client: HttpClient) -> None:
    (post,) = naver(fault_server, "blog").fetch(client, Cursor(watermark=datetime(2026, 11, 24, 12, tzinfo=UTC)),
                                                now=NOW).mentions
    assert (post.published_at, post.author) == (datetime(2026, 11, 23, 15, 0, tzinfo=UTC), "개발자 김씨")
    assert post.text == "배포가 빨라진 건 좋은데 CLI가 자주 멈춥니다. <후기>"


def test_cafe_items_without_date_use_fetched_at_and_keep_the_watermark(
    fault_server: FaultServer, client: HttpClient
) -> None:
    result = naver(fault_server, "cafearticle").fetch(client, WATERMARK, now=NOW)
    (post,) = result.mentions
    assert (post.published_at, post.author, result.cursor.watermark) == (NOW, "개발자 카페", WATERMARK.watermark)
    assert "no date" in post.raw["_listening_notes"][0] and result.requests == 1


def test_items_older_than_the_watermark_are_dropped_and_paging_stops(
    fault_server: FaultServer, client: HttpClient
) -> None:
    result = naver(fault_server, display=3).fetch(client, Cursor(watermark=datetime(2026, 11, 24, tzinfo=UTC)),
                                                  now=NOW)
    assert len(result.mentions) == 2 and len(fault_server.hits("/v1/search/news.json")) == 1


def test_missing_credentials_name_the_env_vars(monkeypatch: pytest.MonkeyPatch, client: HttpClient) -> None:
    monkeypatch.delenv("LISTENING_NAVER_CLIENT_SECRET")
    with pytest.raises(ConfigError, match="LISTENING_NAVER_CLIENT_ID and LISTENING_NAVER_CLIENT_SECRET"):
        NaverSearch("acme").fetch(client, now=NOW)
    assert not NaverSearch("acme").configured


def test_secrets_never_reach_errors_or_logs(
    fault_server: FaultServer, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = '{"errorMessage":"Authentication failed (인증에 실패했습니다.)","errorCode":"024"}'.encode()
    fault_server.route("/v1/search/news.json", status(401, body, {"Content-Type": JSON}))
    with pytest.raises(FetchError, match="HTTP 401") as failed:
        NaverSearch("acme", base_url=fault_server.base_url).fetch(client, now=NOW)
    shown = f"{failed.value} {failed.value.url} {caplog.text} {NaverSearch('acme')!r}"
    assert SECRET not in shown and CLIENT_ID not in shown


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="cafearticle"):
        NaverSearch("acme", "kin")


def test_error_shape_is_a_parse_error(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/v1/search/news.json", ok(b'{"errorMessage": "Incorrect query request."}', JSON))
    with pytest.raises(ParseError, match="'items' list"):
        NaverSearch("acme", base_url=fault_server.base_url).fetch(client, now=NOW)
