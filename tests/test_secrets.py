"""Secrets come from the environment only and show up nowhere: logs, errors, Dagster events and metadata, the store.

One run of the main cycle with every secret the product knows set in the environment, against local
stand-ins that check the credentials (Naver keys, a Bluesky app password, Reddit OAuth, a Slack bot
token), feeds whose URLs take a token or a password from ``${VAR}`` in the config, and a PostgreSQL
URL with a password; one Naver search and one feed are refused so the error paths run too.
Then every place a person or a log shipper could see is scanned for each secret and the tokens derived
from them.
"""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import pytest
import sqlalchemy as sa

from dagster_project.assets.crisis import crisis_alerts, crisis_signals
from dagster_project.assets.ingest import source_assets
from dagster_project.assets.mentions import mentions as mentions_asset
from dagster_project.assets.retention import data_retention
from dagster_project.assets.scoring import scored_mentions
from dagster_project.resources import ListeningResource, wired
from listening.alerts import Alert, AlertExplanation, Post, SqlRepository
from listening.cli import main
from listening.config import load_config
from listening.sources.plan import plan_tasks
from listening.store import Store, cursors, metadata, skipped_items
from tests.conftest import NOW
from tests.fault_server import FIXTURES
from tests.slack_server import SlackServer
from tests.test_digest_slack import everything_logged, setup  # noqa: F401 - setup is a pytest fixture
from tests.test_digest_slack import materialize as materialize_digest

NAVER_SECRET = "nvr-secret-Q1w2E3r4"
BSKY_PASSWORD = "bsky-app-pass-Z9x8y7"
BSKY_JWT = "jwt-access-K7j6h5"
REDDIT_SECRET = "rdt-secret-P0o9i8"
REDDIT_TOKEN = "rdt-token-L5k4j3"
SLACK_TOKEN = "xoxb-secret-M3n2b1"
WEBHOOK_SECRET = "whk-secret-V8c7x6"
DB_PASSWORD = "pg-secret-H6g5f4"
FEED_TOKEN = "feed-token-G3f2d1"  # ?token=${LISTENING_TEST_FEED_TOKEN}
FEED_PASSWORD = "feed-pass-W2e3r4"  # http://reader:${LISTENING_TEST_FEED_PASSWORD}@host/
FEED_CODE = "feed-code-T6y7u8"  # ?t=${LISTENING_TEST_FEED_CODE}: a parameter name that does not look secret
DIGEST_PASSWORD = "dgst-pass-R4t5y6"
SECRETS = (NAVER_SECRET, BSKY_PASSWORD, BSKY_JWT, REDDIT_SECRET, REDDIT_TOKEN, SLACK_TOKEN, WEBHOOK_SECRET, DB_PASSWORD,
           FEED_TOKEN, FEED_PASSWORD, FEED_CODE)
FEED_ENV = {"LISTENING_TEST_FEED_TOKEN": FEED_TOKEN, "LISTENING_TEST_FEED_PASSWORD": FEED_PASSWORD,
            "LISTENING_TEST_FEED_CODE": FEED_CODE}


def blog_feed_with_a_repeated_entry() -> bytes:
    """The recorded blog feed with its first entry twice: one item is skipped, so skipped_items gets a row."""
    feed = (FIXTURES / "blog_rss2.xml").read_text(encoding="utf-8")
    first = feed[feed.index("<item>"):feed.index("</item>") + len("</item>")]
    return feed.replace(first, first + first, 1).encode()


class Credentialed:
    """Local stand-ins for the keyed APIs; each refuses a request without the right credential."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, body: dict[str, Any] | bytes) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send_feed(self) -> None:
                data = blog_feed_with_a_repeated_entry()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                owner.seen.append((self.path, dict(self.headers)))
                if self.path.endswith("createSession"):
                    ok = json.loads(body).get("password") == BSKY_PASSWORD
                    self._send(200, {"accessJwt": BSKY_JWT, "refreshJwt": "r", "handle": "me", "did": "did:plc:me"}) if ok \
                        else self._send(401, {"error": "AuthenticationRequired"})
                elif self.path.endswith("access_token"):
                    self._send(200, {"access_token": REDDIT_TOKEN, "expires_in": 3600})
                else:
                    self._send(404, {"error": "no route"})

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                owner.seen.append((self.path, dict(self.headers)))
                auth = self.headers.get("Authorization", "")
                if parts.path == "/xrpc/app.bsky.feed.searchPosts" and auth == f"Bearer {BSKY_JWT}":
                    self._send(200, b'{"posts": []}' if "cursor" in query else (FIXTURES / "bluesky_search_acme.json").read_bytes())
                elif parts.path == "/search" and auth.partition(" ")[2] == REDDIT_TOKEN:
                    empty = b'{"kind": "Listing", "data": {"after": null, "children": []}}'
                    self._send(200, empty if "after" in query else (FIXTURES / "reddit_oauth_search_acme.json").read_bytes())
                elif parts.path == "/v1/search/news.json" and self.headers.get("X-Naver-Client-Secret") == NAVER_SECRET:
                    self._send(200, (FIXTURES / "naver_news_acme.json").read_bytes())
                elif parts.path == "/feed.xml" and query.get("token") == [FEED_TOKEN]:
                    self._send_feed()
                elif parts.path == "/locked.xml" and auth == "Basic " + base64.b64encode(f"reader:{FEED_PASSWORD}".encode()).decode():
                    self._send_feed()
                elif parts.path == "/gone.xml":
                    self._send(404, b"gone")
                elif parts.path == "/v1/search/blog.json":
                    self._send(401, {"errorMessage": f"Authentication failed (secret {self.headers.get('X-Naver-Client-Secret')})",
                                     "errorCode": "024"})
                else:
                    self._send(401, {"error": "bad credentials"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "Credentialed":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[Credentialed, SlackServer]]:
    with Credentialed() as apis, SlackServer(token=SLACK_TOKEN) as slack:
        yield apis, slack


def config_file(folder: Path, base: str) -> Path:
    host = base.removeprefix("http://")
    path = folder / "keyed.yaml"
    path.write_text(f"""
project: {{name: keyed, contact: test@example.com}}
endpoints:
  naver: "{base}"
  bluesky_search: "{base}"
  bluesky_session: "{base}/xrpc/com.atproto.server.createSession"
  reddit_oauth: "{base}"
  reddit_token: "{base}/api/v1/access_token"
brands:
  - key: acme
    name: Acme
    own: true
    aliases: [Acme, 아크미]
    sources:
      naver: [{{query: 아크미, kinds: [news, blog]}}]
      bluesky: [{{query: acme}}]
      reddit: [{{query: acme}}]
      feeds:
        - {{url: "{base}/feed.xml?lang=en&token=${{LISTENING_TEST_FEED_TOKEN}}"}}
        - {{url: "http://reader:${{LISTENING_TEST_FEED_PASSWORD}}@{host}/locked.xml"}}
        - {{url: "{base}/gone.xml?t=${{LISTENING_TEST_FEED_CODE}}"}}
alerting:
  slack: {{enabled: true, mode: bot, channel: "#brand-alerts"}}
retention: {{raw_days: 3650, mention_days: 3650}}
""", encoding="utf-8")
    return path


def pending_alert(store: Store) -> None:
    """An own-brand alert waiting for Slack, so the run really calls Slack with the bot token."""
    at = NOW - timedelta(hours=1)
    posts = [Post(url="https://example.com/p", text="Acme outage", source="naver", author="a", reach=3)]
    explanation = AlertExplanation(brand="acme", ratio=4.0, baseline=1.0, current=4.0, share_now=0.8, share_baseline=0.2,
                                   since=at.isoformat(), posts=posts)
    SqlRepository(store).save_alert(Alert(key="acme:secrets", brand="acme", state="open", severity="high", opened_at=at,
                                          updated_at=at, window_start=at, window_end=at, explanation=explanation))


def store_dump(store: Store) -> str:
    parts = []
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            parts += [repr(tuple(row)) for row in conn.execute(sa.select(table))]
    return "\n".join(parts)


@pytest.mark.postgres
def test_a_run_with_every_secret_set_leaks_none(pg_url: str, home: Path, servers: tuple[Credentialed, SlackServer],
                                               monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
                                               caplog: pytest.LogCaptureFixture) -> None:
    apis, slack = servers
    db_url = pg_url.replace("postgres@", f"postgres:{DB_PASSWORD}@")  # trust auth: accepted, never needed
    env = {
        "LISTENING_DATABASE_URL": db_url,
        "LISTENING_NAVER_CLIENT_ID": "nvr-id", "LISTENING_NAVER_CLIENT_SECRET": NAVER_SECRET,
        "LISTENING_BLUESKY_IDENTIFIER": "me.bsky.social", "LISTENING_BLUESKY_APP_PASSWORD": BSKY_PASSWORD,
        "LISTENING_REDDIT_CLIENT_ID": "rdt-id", "LISTENING_REDDIT_CLIENT_SECRET": REDDIT_SECRET,
        "LISTENING_SLACK_BOT_TOKEN": SLACK_TOKEN, "LISTENING_SLACK_CHANNEL": "#brand-alerts",
        "LISTENING_SLACK_BASE_URL": slack.api_url, "LISTENING_SLACK_WEBHOOK_URL": f"http://127.0.0.1:9/services/T1/B1/{WEBHOOK_SECRET}",
        **FEED_ENV,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    path = config_file(home.parent, apis.url)
    store = Store.open()
    pending_alert(store)

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([*source_assets, mentions_asset, scored_mentions, crisis_signals, crisis_alerts, data_retention],
                            resources=wired(ListeningResource(config_path=str(path))), instance=instance)
    assert result.success
    cli_code = main(["fetch", "--config", str(path), "-q"])

    # The run really used every credential, so the scan below means something.
    sent = json.dumps([headers for _, headers in apis.seen])
    assert NAVER_SECRET in sent and BSKY_JWT in sent and REDDIT_TOKEN in sent
    assert any(r.path.endswith("chat.postMessage") for r in slack.received)
    assert FEED_TOKEN in json.dumps(apis.seen) and base64.b64encode(f"reader:{FEED_PASSWORD}".encode()).decode() in sent
    ingest = {node: result.asset_materializations_for_node(f"{node}_mentions")[0].metadata
              for node in ("naver", "bluesky", "reddit", "rss")}
    assert ingest["bluesky"]["new_mentions"].value > 0 and ingest["reddit"]["new_mentions"].value > 0
    assert ingest["naver"]["failed_tasks"].value == 1, "the refused Naver search is reported, not hidden"
    assert ingest["rss"]["new_mentions"].value > 0 and ingest["rss"]["failed_tasks"].value == 1
    assert cli_code == 0

    shown = {
        "stdout/stderr": "".join(capfd.readouterr()),
        "python logs": caplog.text,
        "dagster event log": "\n".join(repr(record) for record in instance.all_logs(result.run_id)),
        "dagster run": repr(instance.get_run_by_id(result.run_id)),
        "dagster metadata": "\n".join(repr(m.metadata) for m in result.get_asset_materialization_events()
                                      for m in [m.materialization]),
        "store": store_dump(Store.open()),
    }
    assert "blog.json" in shown["dagster event log"] and "returned HTTP 401" in shown["stdout/stderr"], "the error path ran"
    assert "gone.xml?t=***" in shown["stdout/stderr"] and "gone.xml?t=***" in shown["dagster metadata"]
    with Store.open().engine.connect() as conn:
        feed_keys = set(conn.execute(sa.select(cursors.c.key).where(cursors.c.source == "rss")).scalars())
        skipped_keys = set(conn.execute(sa.select(skipped_items.c.key).where(skipped_items.c.source == "rss")).scalars())
    assert {k.split(" #")[0] for k in feed_keys} == {f"rss:{apis.url}/feed.xml?lang=en&token=***",
                                                     f"rss:http://reader:***@{apis.url.removeprefix('http://')}/locked.xml"}
    assert skipped_keys == feed_keys, "each feed's repeated entry is recorded under the feed's secret-free key"
    for where, text in shown.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked into the {where}"


def test_a_feed_keeps_its_cursor_when_the_secret_in_its_url_rotates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stored key hashes the config's ``${VAR}`` form, not the token; a URL without secrets keeps its plain key."""
    path = tmp_path / "feeds.yaml"
    path.write_text("""
brands:
  - key: acme
    name: Acme
    sources:
      feeds:
        - {url: "https://feeds.example/private.xml?token=${LISTENING_TEST_FEED_TOKEN}"}
        - {url: "https://reader:${LISTENING_TEST_FEED_PASSWORD}@feeds.example/locked.xml"}
        - {url: "https://blog.example/feed.xml"}
""", encoding="utf-8")

    def keys(token: str, password: str) -> list[str]:
        monkeypatch.setenv("LISTENING_TEST_FEED_TOKEN", token)
        monkeypatch.setenv("LISTENING_TEST_FEED_PASSWORD", password)
        return [task.key for task in plan_tasks(load_config(path))]

    before, after = keys(FEED_TOKEN, FEED_PASSWORD), keys("rotated-token-1", "rotated-pass-2")
    assert before == after
    assert [k.split(" #")[0] for k in before] == ["rss:https://feeds.example/private.xml?token=***",
                                                  "rss:https://reader:***@feeds.example/locked.xml",
                                                  "rss:https://blog.example/feed.xml"]
    assert before[2] == "rss:https://blog.example/feed.xml", "existing stores keep the cursors of feeds without secrets"


def test_a_password_in_the_digest_base_url_reaches_neither_slack_nor_logs(
        setup: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with SlackServer() as slack, dg.instance_for_test() as instance:
        monkeypatch.setenv("LISTENING_SLACK_WEBHOOK_URL", slack.webhook_url)
        monkeypatch.setenv("LISTENING_DIGEST_BASE_URL", f"https://team:{DIGEST_PASSWORD}@intranet.example/digests/")
        result = materialize_digest(setup, instance)
        logged = everything_logged(instance, caplog)
    assert result.success
    posted = json.dumps([r.body for r in slack.received])
    assert "https://intranet.example/digests/digest-2026-W46.html" in posted, "the link still leads to the digest"
    assert DIGEST_PASSWORD not in posted and DIGEST_PASSWORD not in logged


def test_the_ui_resource_config_holds_no_database_password(tmp_path: Path) -> None:
    """Resource config is shown in the Dagster UI; the database URL must stay in the environment."""
    code = ("from dagster_project.definitions import defs\n"
            "resource = defs.resources['listening']\n"
            "print(repr(resource), resource.database_url, resource.config_path)")
    env = {"LISTENING_DATABASE_URL": f"postgresql+psycopg://app:{DB_PASSWORD}@db:5432/listening",
           "LISTENING_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LISTENING_SCHEDULES": "off"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=Path(__file__).parents[1],
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert DB_PASSWORD not in out.stdout + out.stderr
