"""The shared HTTP policy, exercised against a real local server that misbehaves on cue."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from listening.errors import FetchError, ParseError, ResponseTooLarge
from listening.http import HttpClient, HttpPolicy, Politeness, Response, Retry, Timeouts, user_agent
from tests.fault_server import (
    FaultServer,
    Reply,
    cut_off,
    dynamic,
    fault_server,  # noqa: F401 - pytest fixture
    gzip_bomb,
    hang,
    ok,
    oversize,
    redirect,
    reset,
    retry_after,
    status,
    trickle,
    trickle_headers,
)

FAST = HttpPolicy(
    timeout=Timeouts(connect=2.0, read=2.0),  # generous: the box is shared; only hang() tests go short
    retry=Retry(attempts=3, backoff=0.01, max_backoff=0.05, max_retry_after=5.0),
    politeness=Politeness(max_concurrency_per_host=4, min_interval_s=0.0),
    max_bytes=100_000,
    max_redirects=3,
    user_agent=user_agent("test@example.com"),
)


@pytest.fixture(scope="module")
def client() -> Iterator[HttpClient]:
    """One client per module: building one costs ~0.1 s (TLS context)."""
    with HttpClient(FAST) as c:
        yield c


def test_policy_is_a_value_that_prints_its_settings() -> None:
    assert HttpPolicy() == HttpPolicy()
    assert HttpPolicy(retry=Retry(attempts=2)) != HttpPolicy()
    assert "Retry(attempts=4, backoff=0.5, max_backoff=30.0, jitter=True" in repr(HttpPolicy())


def test_for_contact_puts_the_contact_in_the_user_agent(fault_server: FaultServer) -> None:
    url = fault_server.route("/ua", ok(b"hi"))
    with HttpClient.for_contact("ops@acme.example", politeness=Politeness(min_interval_s=0)) as c:
        c.get(url)
    assert fault_server.hits("/ua")[0].headers["user-agent"] == (
        "listening/0.1.0 (+https://github.com/listening; contact: ops@acme.example)"
    )


def test_missing_contact_still_builds_a_client_but_warns(caplog: pytest.LogCaptureFixture) -> None:
    assert HttpPolicy.for_contact("  ").user_agent.endswith("contact: unset)")
    assert "no contact configured" in caplog.text


def test_get_returns_body_headers_and_validators(fault_server: FaultServer, client: HttpClient) -> None:
    served = ok(b"<rss/>", "application/rss+xml", etag='"v1"', last_modified="Tue, 24 Nov 2026 16:00:00 GMT")
    url = fault_server.route("/doc", served)
    got = client.get(url)
    assert (got.status, got.content, got.etag, got.last_modified, got.not_modified, got.attempts) == (
        200, b"<rss/>", '"v1"', "Tue, 24 Nov 2026 16:00:00 GMT", False, 1,
    )
    assert got.content_type == "application/rss+xml"


@pytest.mark.parametrize(
    ("validators", "sent_header"),
    [
        pytest.param({"etag": '"v1"'}, "if-none-match", id="etag"),
        pytest.param({"last_modified": "Tue, 24 Nov 2026 16:00:00 GMT"}, "if-modified-since", id="last-modified"),
    ],
)
def test_conditional_get_returns_not_modified(
    fault_server: FaultServer, client: HttpClient, validators: dict[str, str], sent_header: str
) -> None:
    url = fault_server.route("/doc", ok(b"body", etag='"v1"', last_modified="Tue, 24 Nov 2026 16:00:00 GMT"))
    got = client.get(url, **validators)
    assert got.not_modified and got.status == 304 and got.content == b""
    assert got.etag == '"v1"'
    assert sent_header in fault_server.hits("/doc")[0].headers


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(lambda: "1", id="delta-seconds"),
        pytest.param(
            lambda: format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True), id="http-date"
        ),
    ],
)
def test_429_waits_as_long_as_retry_after_says(fault_server: FaultServer, header) -> None:
    """Measured on the client's clock (a server-side gap also measures thread scheduling under load)."""
    now, arrivals = [0.0], []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def arrive(_request) -> Reply:
        arrivals.append(now[0])
        return Reply(body=b"done")

    url = fault_server.route("/limited", retry_after(header()), dynamic(arrive))
    with HttpClient(FAST, sleep=sleep, clock=lambda: now[0]) as c:
        got = c.get(url)
    assert got.content == b"done" and got.attempts == 2
    assert 0.9 <= arrivals[0] <= 2.0  # an HTTP-date has whole seconds


def test_429_without_retry_after_backs_off_and_retries(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.route("/limited", retry_after(None), retry_after(None), ok(b"done"))
    assert client.get(url).attempts == 3


def test_retry_after_beyond_the_cap_fails_at_once(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.route("/limited", retry_after("3600"), ok(b"never"))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"retry after 3600s, more than the policy's cap of 5s") as err:
        client.get(url)
    assert err.value.status == 429
    assert time.monotonic() - started < 1 and len(fault_server.hits("/limited")) == 1


def test_500_twice_then_success(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.route("/flaky", status(500), status(503), ok(b"fine"))
    got = client.get(url)
    assert (got.content, got.attempts, len(fault_server.hits("/flaky"))) == (b"fine", 3, 3)


def test_persistent_500_fails_after_the_policy_attempts(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.route("/down", status(500))
    with pytest.raises(FetchError, match="failed after 3 attempts: HTTP 500") as err:
        client.get(url)
    assert err.value.status == 500 and len(fault_server.hits("/down")) == 3


def test_404_is_not_retried(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.route("/gone", status(404))
    with pytest.raises(FetchError, match="HTTP 404") as err:
        client.get(url)
    assert err.value.status == 404 and len(fault_server.hits("/gone")) == 1


def test_read_timeout_is_retried_then_reported(fault_server: FaultServer) -> None:
    url = fault_server.route("/slow", hang(10))
    started = time.monotonic()
    with HttpClient(replace(FAST, timeout=Timeouts(connect=2.0, read=0.3))) as c:
        with pytest.raises(FetchError, match="failed after 3 attempts: ReadTimeout") as err:
            c.get(url)
    assert isinstance(err.value.__cause__, httpx.ReadTimeout)
    assert time.monotonic() - started < 5 and len(fault_server.hits("/slow")) == 3


def test_a_trickling_body_is_cut_at_the_total_deadline_and_not_retried(fault_server: FaultServer) -> None:
    url = fault_server.route("/slowloris", trickle(b"x" * 10_000, step=10, interval=0.05))
    started = time.monotonic()
    with HttpClient(replace(FAST, timeout=Timeouts(connect=2.0, read=1.0, total=1.5))) as c:
        with pytest.raises(FetchError, match=r"not complete after 1.5s .*Timeouts.total"):
            c.get(url)
    assert time.monotonic() - started < 3 and len(fault_server.hits("/slowloris")) == 1


def test_trickling_headers_are_cut_at_the_total_deadline_and_not_retried(fault_server: FaultServer) -> None:
    """Each header byte arrives well within the read timeout; only the whole-request deadline stops it."""
    url = fault_server.route("/slow-headers", trickle_headers(interval=0.2))
    started = time.monotonic()
    with HttpClient(replace(FAST, timeout=Timeouts(connect=2.0, read=1.0, total=1.5))) as c:
        with pytest.raises(FetchError, match=r"not complete after 1.5s \(no complete response; Timeouts.total\)"):
            c.get(url)
    assert time.monotonic() - started < 4 and len(fault_server.hits("/slow-headers")) == 1


def test_the_deadline_does_not_outlive_its_request(fault_server: FaultServer) -> None:
    """A kept-alive connection answers the next request under that request's own deadline."""
    url = fault_server.route("/quick", ok(b"fine"))
    with HttpClient(replace(FAST, timeout=Timeouts(connect=2.0, read=1.0, total=0.5))) as c:
        for _ in range(3):
            assert c.get(url).content == b"fine"
            time.sleep(0.3)


@pytest.mark.parametrize(
    "first",
    [pytest.param(reset(), id="connection-reset"), pytest.param(cut_off(b"x" * 1000, 10), id="body-cut-off")],
)
def test_broken_connection_is_retried(fault_server: FaultServer, client: HttpClient, first) -> None:
    url = fault_server.route("/broken", first, ok(b"whole"))
    assert client.get(url).content == b"whole"


def test_connection_refused_is_a_fetch_error(client: HttpClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="ConnectError"):
        client.get(f"http://127.0.0.1:{port}/x")


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        pytest.param(lambda: oversize(5_000_000), "Content-Length 5000000 exceeds", id="declared-length"),
        pytest.param(lambda: oversize(5_000_000, declare_length=False), "passed the 100000-byte cap", id="streamed"),
        pytest.param(lambda: gzip_bomb(20_000_000), "after decoding", id="gzip-bomb"),
    ],
)
def test_oversized_body_is_refused(fault_server: FaultServer, client: HttpClient, behaviour, message: str) -> None:
    url = fault_server.route("/big", behaviour())
    with pytest.raises(ResponseTooLarge, match=message):
        client.get(url)
    assert len(fault_server.hits("/big")) == 1


def test_redirect_loop_is_bounded(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.route("/loop", redirect("/loop"))
    with pytest.raises(FetchError, match="more than 3 redirects"):
        client.get(url)
    assert len(fault_server.hits("/loop")) == 4


def test_secrets_never_reach_errors_or_logs(
    fault_server: FaultServer, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    url = fault_server.route("/api", status(500))
    caplog.set_level(logging.DEBUG, logger="listening")
    with pytest.raises(FetchError) as err:
        client.get(url, params={"q": "acme", "api_key": "S3CRET", "access_token": "T0KEN"},
                   headers={"Authorization": "Bearer B34RER"})
    shown = f"{err.value} {err.value.url} {caplog.text}"
    assert "api_key=***" in str(err.value) and "q=acme" in str(err.value)
    for secret in ("S3CRET", "T0KEN", "B34RER"):
        assert secret not in shown
    assert fault_server.hits("/api")[0].param("api_key") == "S3CRET"


def test_response_repr_redacts_the_url() -> None:
    got = Response(status=200, url="https://x.test/?token=S3CRET", headers={}, content=b"")
    assert "S3CRET" not in repr(got) and "token=***" in repr(got)


def test_malformed_json_is_a_parse_error(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.route("/json", ok(b'{"hits": [', "application/json"))
    with pytest.raises(ParseError, match="malformed JSON"):
        client.get(url).json()


def test_min_interval_spaces_requests_to_one_host(fault_server: FaultServer) -> None:
    """Spacing is read on the client's own clock at the moment each request reaches the server.

    A server-side wall-clock gap would measure thread scheduling too (a loaded machine delays the
    first arrival and shortens the next gap); the client's clock is what the policy promises about.
    """
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    arrivals: list[float] = []

    def arrive(_request) -> Reply:
        arrivals.append(now[0])
        return Reply(body=b".")

    url = fault_server.route("/polite", dynamic(arrive))
    policy = HttpPolicy(politeness=Politeness(min_interval_s=0.2), timeout=FAST.timeout)
    with HttpClient(policy, sleep=sleep, clock=lambda: now[0]) as c:
        for _ in range(3):
            c.get(url)
            now[0] += 0.05
    assert len(fault_server.hits("/polite")) == 3
    assert [round(b - a, 6) for a, b in zip(arrivals, arrivals[1:])] == [0.2, 0.2]
    assert [round(w, 6) for w in waits] == [0.15, 0.15]


def test_concurrency_per_host_is_capped_across_threads(fault_server: FaultServer) -> None:
    lock, active, peak = threading.Lock(), [0], [0]

    def slow(_request) -> Reply:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        return Reply(body=b".")

    url = fault_server.route("/busy", dynamic(slow))
    policy = HttpPolicy(politeness=Politeness(max_concurrency_per_host=2, min_interval_s=0), timeout=Timeouts(read=2))
    with HttpClient(policy) as c:
        threads = [threading.Thread(target=c.get, args=(url,)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(fault_server.hits("/busy")) == 6 and peak[0] == 2


def test_transport_is_injectable() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503) if len(calls) == 1 else httpx.Response(200, content=b"ok")

    with HttpClient(FAST, transport=httpx.MockTransport(handler), sleep=lambda s: None) as c:
        assert c.get("https://example.test/feed").content == b"ok"
    assert len(calls) == 2


def test_post_sends_the_body_and_user_agent(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/token", ok(b'{"ok": true}', "application/json"))
    response = client.post(fault_server.url("/token"), data={"grant_type": "client_credentials"})
    sent = fault_server.hits("/token")[0]
    assert (sent.method, sent.body, response.json()) == ("POST", b"grant_type=client_credentials", {"ok": True})
    assert sent.headers["user-agent"] == FAST.user_agent


def test_post_is_retried_after_retry_after_like_get(fault_server: FaultServer) -> None:
    fault_server.route("/hook", retry_after("2"), status(503), ok(b"ok"))
    waits: list[float] = []
    with HttpClient(FAST, sleep=waits.append) as c:
        response = c.post(fault_server.url("/hook"), json={"text": "x"})
    assert response.attempts == 3 and waits[0] == 2.0 and len(fault_server.hits("/hook")) == 3
    assert {h.body for h in fault_server.hits("/hook")} == {b'{"text":"x"}'}


def test_post_does_not_follow_redirects(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/elsewhere", ok(b"never"))
    fault_server.route("/login", redirect(fault_server.url("/elsewhere"), code=307))
    with pytest.raises(FetchError, match=r"POST .*/login answered a redirect \(HTTP 307\)"):
        client.post(fault_server.url("/login"), json={"password": "pw"})
    assert fault_server.hits("/elsewhere") == []


def test_post_error_body_can_be_read(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/login", status(401, b'{"error": "AuthenticationRequired"}'))
    with pytest.raises(FetchError, match="POST .* returned HTTP 401"):
        client.post(fault_server.url("/login"), json={})
    answer = client.post(fault_server.url("/login"), json={}, raise_for_status=False)
    assert (answer.status, answer.json()) == (401, {"error": "AuthenticationRequired"})


def test_post_answer_is_capped(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.route("/big", oversize(FAST.max_bytes + 1))
    with pytest.raises(ResponseTooLarge, match="POST"):
        client.post(fault_server.url("/big"), json={})
