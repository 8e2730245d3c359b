"""A local stand-in for Slack's Web API and incoming webhooks, on 127.0.0.1.

It records every request it receives and can be scripted to fail the next N
requests (429 with Retry-After, or 500), so delivery code is tested over real
HTTP rather than against mocks.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T000/B000/s3cr3tW3bh00k"
BOT_TOKEN = "xoxb-000-test-s3cr3t"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.time)


@dataclass
class SlackServer:
    """Start with ``with SlackServer() as slack:``; ``slack.url`` is the base address."""

    token: str = BOT_TOKEN
    received: list[Received] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    @property
    def webhook_url(self) -> str:
        return self.url + WEBHOOK_PATH

    def fail_next(self, n: int, status: int = 500, retry_after: str | None = None) -> None:
        """Answer the next ``n`` requests with ``status`` (and a Retry-After header if given)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        with self._lock:
            self.failures.extend([(status, headers)] * n)

    def messages(self) -> list[dict[str, Any]]:
        """Bodies of the messages Slack accepted (failed attempts excluded)."""
        return [r.body for r in self.received if r.body.get("_accepted")]

    def __enter__(self) -> "SlackServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        slack = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _reply(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                rec = Received(self.path, dict(self.headers), body)
                with slack._lock:
                    slack.received.append(rec)
                    failure = slack.failures.pop(0) if slack.failures else None
                if failure:
                    status, headers = failure
                    return self._reply(status, b"rate_limited" if status == 429 else b"oops", "text/plain", headers)
                if self.path == WEBHOOK_PATH:
                    body["_accepted"] = True
                    return self._reply(200, b"ok", "text/plain")
                if self.path == "/api/chat.postMessage":
                    if self.headers.get("Authorization") != f"Bearer {slack.token}":
                        return self._json({"ok": False, "error": "invalid_auth"})
                    if not body.get("channel"):
                        return self._json({"ok": False, "error": "channel_not_found"})
                    body["_accepted"] = True
                    ts = f"1700000000.{next(slack._ts):06d}"
                    return self._json({"ok": True, "ts": ts, "channel": body["channel"], "message": {"ts": ts}})
                return self._reply(404, b"no_service", "text/plain")

            def _json(self, data: dict[str, Any]) -> None:
                self._reply(200, json.dumps(data).encode(), "application/json")

        return Handler
