"""Secrets come from the environment only and show up nowhere: logs, errors, Dagster events and metadata, the store.

One run of the main cycle with every secret the product knows set in the environment, against local
stand-ins that check the credentials (Naver keys, a Bluesky app password, Reddit OAuth, a Slack bot
token) and a PostgreSQL URL with a password; one Naver search is refused so an error path runs too.
Then every place a person or a log shipper could see is scanned for each secret and the tokens derived
from them.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
from dagster_project.resources import ListeningResource
from listening.alerts import Alert, AlertExplanation, Post, SqlRepository
from listening.cli import main
from listening.store import Store, metadata
from tests.conftest import NOW
from tests.fault_server import FIXTURES
from tests.slack_server import SlackServer

NAVER_SECRET = "nvr-secret-Q1w2E3r4"
BSKY_PASSWORD = "bsky-app-pass-Z9x8y7"
BSKY_JWT = "jwt-access-K7j6h5"
REDDIT_SECRET = "rdt-secret-P0o9i8"
REDDIT_TOKEN = "rdt-token-L5k4j3"
SLACK_TOKEN = "xoxb-secret-M3n2b1"
WEBHOOK_SECRET = "whk-secret-V8c7x6"
DB_PASSWORD = "pg-secret-H6g5f4"
SECRETS = (NAVER_SECRET, BSKY_PASSWORD, BSKY_JWT, REDDIT_SECRET, REDDIT_TOKEN, SLACK_TOKEN, WEBHOOK_SECRET, DB_PASSWORD)


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
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    path = config_file(home.parent, apis.url)
    store = Store.open()
    pending_alert(store)

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([*source_assets, mentions_asset, scored_mentions, crisis_signals, crisis_alerts, data_retention],
                            resources={"listening": ListeningResource(config_path=str(path))}, instance=instance)
    assert result.success
    cli_code = main(["fetch", "--config", str(path), "-q"])

    # The run really used every credential, so the scan below means something.
    sent = json.dumps([headers for _, headers in apis.seen])
    assert NAVER_SECRET in sent and BSKY_JWT in sent and REDDIT_TOKEN in sent
    assert any(r.path.endswith("chat.postMessage") for r in slack.received)
    ingest = {node: result.asset_materializations_for_node(f"{node}_mentions")[0].metadata for node in ("naver", "bluesky", "reddit")}
    assert ingest["bluesky"]["new_mentions"].value > 0 and ingest["reddit"]["new_mentions"].value > 0
    assert ingest["naver"]["failed_tasks"].value == 1, "the refused Naver search is reported, not hidden"
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
    for where, text in shown.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked into the {where}"


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
