"""A local stand-in for Slack's Web API and incoming webhooks, on 127.0.0.1.

It records every request it receives and can be scripted to fail the next N
requests (429 with Retry-After, or 500), so delivery code is tested over real
HTTP rather than against mocks. Like Slack, ``chat.postMessage`` answers with
the channel's id, and files are shared in three steps (``files.getUploadURLExternal``,
the bytes to the one-time upload URL, ``files.completeUploadExternal`` with a
channel id); ``slack.files`` holds what was shared.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

WEBHOOK_PATH = "/services/T000/B000/s3cr3tW3bh00k"
BOT_TOKEN = "xoxb-000-test-s3cr3t"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.time)


def channel_id(name: str) -> str:
    """A stable Slack-style channel id for a channel name (ids pass through)."""
    if name.startswith(("C", "G")) and name.isalnum():
        return name
    return "C" + hashlib.sha1(name.lstrip("#").encode()).hexdigest()[:10].upper()


@dataclass
class SharedFile:
    """A file shared through the external upload flow."""

    filename: str
    length: int
    content: bytes = b""
    title: str = ""
    channel: str = ""
    thread_ts: str = ""


@dataclass
class SlackServer:
    """Start with ``with SlackServer() as slack:``; ``slack.url`` is the base address."""

    token: str = BOT_TOKEN
    received: list[Received] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    files: dict[str, SharedFile] = field(default_factory=dict)
    #: Web API methods answered like a token lacking their scope (e.g. a bot without ``files:write``).
    missing_scope: set[str] = field(default_factory=set)
    #: Seconds to wait, after accepting a message, before answering (a reply lost to a crash in between).
    reply_delay: float = 0.0
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
                if self.path.startswith("/upload/v1/"):
                    body: dict[str, Any] = {"_bytes": len(raw)}
                elif self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    body = dict(parse_qsl(raw.decode("utf-8")))
                else:
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
                if self.path.startswith("/upload/v1/"):
                    return self._upload(self.path.rsplit("/", 1)[-1], raw)
                if self.path.startswith("/api/") and self.headers.get("Authorization") != f"Bearer {slack.token}":
                    return self._json({"ok": False, "error": "invalid_auth"})
                if self.path.removeprefix("/api/") in slack.missing_scope:
                    return self._json({"ok": False, "error": "missing_scope", "needed": "files:write", "provided": "chat:write"})
                if self.path == "/api/chat.postMessage":
                    if not body.get("channel"):
                        return self._json({"ok": False, "error": "channel_not_found"})
                    ts = f"1700000000.{next(slack._ts):06d}"
                    body.update(_accepted=True, _ts=ts, _channel=channel_id(body["channel"]))
                    time.sleep(slack.reply_delay)
                    return self._json({"ok": True, "ts": ts, "channel": channel_id(body["channel"]), "message": {"ts": ts}})
                if self.path == "/api/files.getUploadURLExternal":
                    if not body.get("filename") or not str(body.get("length", "")).isdigit() or int(body["length"]) <= 0:
                        return self._json({"ok": False, "error": "missing_argument"})
                    file_id = "F" + uuid.uuid4().hex[:10].upper()
                    slack.files[file_id] = SharedFile(body["filename"], int(body["length"]))
                    return self._json({"ok": True, "file_id": file_id, "upload_url": f"{slack.url}/upload/v1/{file_id}"})
                if self.path in ("/api/conversations.history", "/api/conversations.replies"):
                    return self._history(body)
                if self.path == "/api/files.completeUploadExternal":
                    return self._complete(body)
                return self._reply(404, b"no_service", "text/plain")

            def _upload(self, file_id: str, raw: bytes) -> None:
                shared = slack.files.get(file_id)
                if shared is None or shared.content or len(raw) != shared.length:
                    return self._reply(400, b"invalid upload", "text/plain")
                shared.content = raw
                return self._reply(200, f"OK - {len(raw)}".encode(), "text/plain")

            def _complete(self, body: dict[str, Any]) -> None:
                files = body.get("files") or []
                if isinstance(files, str):
                    files = json.loads(files)
                known = [slack.files.get(f.get("id", "")) for f in files]
                if not files or any(f is None or not f.content for f in known):
                    return self._json({"ok": False, "error": "file_not_found"})
                channel = body.get("channel_id", "")
                if channel and channel != channel_id(channel):
                    return self._json({"ok": False, "error": "invalid_channel"})
                for f, shared in zip(files, known):
                    shared.title, shared.channel, shared.thread_ts = f.get("title", shared.filename), channel, body.get("thread_ts", "")
                return self._json({"ok": True, "files": [{"id": f["id"], "title": shared.title, "name": shared.filename}
                                                         for f, shared in zip(files, known)]})

            def _history(self, body: dict[str, Any]) -> None:
                """A channel's root messages, or one thread (root and replies), newest first, metadata included."""
                thread = body.get("ts", "")
                found = [{"ts": m["_ts"], "text": m.get("text", ""), "thread_ts": m.get("thread_ts", ""),
                          "metadata": m.get("metadata")} for m in slack.messages()
                         if m["_channel"] == body.get("channel") and float(m["_ts"]) >= float(body.get("oldest") or 0)
                         and ((m.get("thread_ts") or m["_ts"]) == thread if thread else not m.get("thread_ts"))]
                return self._json({"ok": True, "messages": found[::-1], "has_more": False})

            def _json(self, data: dict[str, Any]) -> None:
                self._reply(200, json.dumps(data).encode(), "application/json")

        return Handler
