"""Local HTTP server that replays the recorded payloads with timestamps moved to "now".

The real connectors talk to it unmodified: paths and query parameters are the
real APIs' (Google News RSS, HN Algolia, YouTube channel feeds, generic RSS/Atom,
GitHub releases, Mastodon and Bluesky account APIs); only the base URL differs.

Time model: the recording is moved by whole weeks, so that the week holding
its labelled events (the competitor launch and our crisis) becomes the last
complete ISO week (Monday to Sunday, UTC) before the clock's now. A weekly
digest of that week then shows both, whatever the weekday; the served feeds
end at now, and items recorded later appear as the clock moves on, so repeated
polls see new items. When the recording runs out the server re-anchors to the
current week. A pinned ``epoch`` instead maps the recording's anchor to that
exact moment, for tests that walk the clock through the recorded weeks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

from listening.replay import DATA_DIR, hn
from listening.replay.conversations import Conversations
from listening.replay import payloads as P
from listening.replay.social import Social
from listening.utc import now

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
GNEWS_MAX = 100
YOUTUBE_MAX = 15
VIEW_GROWTH = timedelta(days=2)
ALIASES = {
    "orbitly": ("orbitly", "오르비틀리", "オービトリー"),
    "vantro": ("vantro", "반트로", "ヴァントロ"),
    "kestrel": ("kestrel", "케스트럴", "ケストレル"),
}
CONTENT_TYPES = {
    "gnews": "application/xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "youtube": "text/xml; charset=UTF-8",
    "json": "application/json; charset=utf-8",
}
OPERATOR_RE = re.compile(r"\b(when|after|before|site):(\S+)")
HEAD_STAMP_TAGS = ("lastBuildDate", "updated", "dc:date")


def floor_minute(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(second=0, microsecond=0)


def week_start(dt: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week holding ``dt``.

    >>> week_start(datetime(2026, 1, 29, 12, tzinfo=timezone.utc)).isoformat()
    '2026-01-26T00:00:00+00:00'
    """
    day = dt.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def events_week(anchor: datetime, events: list[dict[str, Any]]) -> datetime:
    """Start of the one recorded week that holds every labelled event (the digest week of the demo)."""
    first = week_start(min(anchor + timedelta(seconds=ev["start_offset_s"]) for ev in events))
    last = max(anchor + timedelta(seconds=ev["end_offset_s"]) for ev in events)
    if last > first + timedelta(days=7):
        raise ValueError("the replay's labelled events must fall into one ISO week")
    return first


@dataclass(frozen=True)
class Feed:
    """A recorded feed split into its header, items (newest first, with their main stamp) and footer."""

    head: str
    items: tuple[tuple[datetime, str], ...]
    tail: str
    kind: str

    @classmethod
    def load(cls, path: Path, kind: str | None = None) -> "Feed":
        """Parsed once per process: the recordings are package data and a Feed is immutable, while the demo
        and the Dagster steps open a replay server per config load."""
        return _load_feed(path, kind, path.stat().st_mtime_ns)

    @classmethod
    def parse(cls, path: Path, kind: str | None = None) -> "Feed":
        """``kind`` None: Atom or RSS, as the document says."""
        text = path.read_text(encoding="utf-8")
        kind = kind or ("atom" if "<feed" in text[:400] else "rss")
        found = list(P.ITEM_RE.finditer(text))
        if not found:
            return cls(text, (), "", kind)
        items = []
        for m in found:
            stamps = dict((t, v) for t, v in P.STAMP_RE.findall(m.group()))
            main = next(stamps[t] for t in ("pubDate", "published", "dc:date", "updated") if t in stamps)
            items.append((P.parse_stamp(main), m.group().rstrip("\n") + "\n"))
        items.sort(key=lambda it: it[0], reverse=True)
        return cls(text[:found[0].start()], tuple(items), text[found[-1].end():].lstrip("\n"), kind)


@dataclass(frozen=True)
class Response:
    """What the handler writes back: status, headers and body."""

    status: int
    headers: dict[str, str]
    body: bytes = b""


@lru_cache(maxsize=None)
def _load_feed(path: Path, kind: str | None, mtime_ns: int) -> Feed:
    return Feed.parse(path, kind)


@lru_cache(maxsize=None)
def _recorded_social(data_dir: Path) -> tuple[Social, Conversations]:
    """The recorded accounts and their generated threads: built once per process (seeded, and only read while serving)."""
    social = Social(data_dir)
    return social, Conversations(social)


class Replay:
    """The replay logic without sockets: route a GET to a recorded payload rendered for now."""

    def __init__(self, clock: Clock | None = None, data_dir: Path = DATA_DIR, epoch: datetime | None = None) -> None:
        self.clock = clock or now
        self.pinned = epoch is not None
        self.labels: dict[str, Any] = json.loads((data_dir / "labels.json").read_text())
        self.anchor = P.parse_stamp(self.labels["anchor"])
        self.span = timedelta(seconds=self.labels["recorded_until_offset_s"])
        self.events_week = events_week(self.anchor, self.labels["events"])
        self.epoch = floor_minute(epoch) if epoch is not None else self.week_epoch(self.clock())
        self._lock = threading.Lock()
        self.gnews = {tuple(p.stem.split("-", 1)): Feed.load(p, "gnews") for p in (data_dir / "gnews").glob("*.xml")}
        self.files: dict[str, Feed] = {}
        for p in (data_dir / "feeds").glob("*.xml"):
            self.files[f"/feeds/{p.name}"] = Feed.load(p)
        for p in (data_dir / "github").glob("*/*/releases.atom"):
            self.files["/" + p.relative_to(data_dir / "github").as_posix()] = Feed.load(p, "atom")
        self.youtube = {p.stem: Feed.load(p, "youtube") for p in (data_dir / "youtube").glob("*.xml")}
        self.hn_hits: list[dict[str, Any]] = json.loads((data_dir / "hn" / "search_by_date.json").read_text())["hits"]
        self.social, self.conversations = _recorded_social(data_dir)
        self.hn_children: dict[int, list[dict[str, Any]]] = {}
        for hit in self.hn_hits:
            if isinstance(hit.get("parent_id"), int):
                self.hn_children.setdefault(hit["parent_id"], []).append(hit)
        self.hn_by_id = {str(hit["objectID"]): hit for hit in self.hn_hits}

    # -- time ---------------------------------------------------------------
    def now(self) -> datetime:
        """The replay clock: the injected clock floored to the minute."""
        return floor_minute(self.clock())

    def week_epoch(self, now: datetime) -> datetime:
        """Where the anchor lands so the labelled events' week is the last complete week before ``now``."""
        return self.anchor + (week_start(now) - timedelta(days=7) - self.events_week)

    def shift(self, now: datetime) -> timedelta:
        """Offset from recorded to served time; re-anchors once the recording is used up."""
        with self._lock:
            if not self.pinned and (now - self.epoch > self.span or now < self.epoch - self.span):
                self.epoch = self.week_epoch(now)
                log.info("replay recording exhausted; re-anchoring at %s", self.epoch.isoformat())
            return self.epoch - self.anchor

    def events(self) -> list[dict[str, Any]]:
        """The labelled events with ``start``/``end`` in served (shifted) time."""
        base = self.anchor + self.shift(self.now())
        out = []
        for ev in self.labels["events"]:
            out.append({**ev, "start": base + timedelta(seconds=ev["start_offset_s"]),
                        "end": base + timedelta(seconds=ev["end_offset_s"])})
        return out

    # -- routing ------------------------------------------------------------
    def get(self, target: str, headers: Mapping[str, str] | None = None) -> Response:
        """Answer ``GET target`` (path + query string), honouring conditional-GET headers."""
        url = urlsplit(target)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        now = self.now()
        shift = self.shift(now)
        path = url.path.rstrip("/") or "/"
        if self.conversations.handles(path):
            answer = self.conversations.get(path, url.query, shift, now)
            return Response(answer.status, answer.headers, answer.body)
        if path.startswith("/api/v1/items/"):
            item = hn.item(self.hn_by_id, self.hn_children, path.rsplit("/", 1)[-1], int(shift.total_seconds()),
                           int(now.timestamp()))
            status = 200 if item is not None else 404
            doc = item if item is not None else {"status": 404, "error": "Not Found"}
            return Response(status, {"Content-Type": CONTENT_TYPES["json"]}, json.dumps(doc, ensure_ascii=False).encode())
        if self.social.handles(path):
            host = next((v for k, v in (headers or {}).items() if k.lower() == "host"), "127.0.0.1")
            answer = self.social.get(path, url.query, shift, now, host)
            return Response(answer.status, answer.headers, answer.body)
        if path == "/rss/search":
            body, last, kind = self.render_gnews(params, shift, now), None, "gnews"
        elif path == "/api/v1/search_by_date":
            try:
                doc = hn.search(self.hn_hits, int(shift.total_seconds()), int(now.timestamp()), params, url.query)
            except hn.BadRequest as exc:
                body = json.dumps({"message": str(exc), "status": 400}).encode()
                return Response(400, {"Content-Type": CONTENT_TYPES["json"]}, body)
            body, kind = json.dumps(doc, ensure_ascii=False).encode(), "json"
            last = datetime.fromtimestamp(doc["hits"][0]["created_at_i"], timezone.utc) if doc["hits"] else None
        elif path == "/feeds/videos.xml" and params.get("channel_id") in self.youtube:
            feed = self.youtube[params["channel_id"]]
            body, last, kind = self.render(feed, shift, now, YOUTUBE_MAX), None, "youtube"
        elif path in self.files:
            feed = self.files[path]
            body, last, kind = self.render(feed, shift, now), None, feed.kind
        else:
            return Response(404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not Found\n")
        if last is None:
            stamps = [P.parse_stamp(v) for _, v in P.STAMP_RE.findall(body.decode())]
            last = max(stamps) if stamps else self.anchor + shift
        return conditional(body, min(last, now), CONTENT_TYPES[kind], headers or {})

    # -- rendering ----------------------------------------------------------
    def render(self, feed: Feed, shift: timedelta, now: datetime, limit: int | None = None,
               head: str | None = None) -> bytes:
        """The feed as it looks at ``now``: future items cut, every stamp moved by ``shift``."""
        kept = [(at + shift, chunk) for at, chunk in feed.items if at + shift <= now][:limit]
        newest = kept[0][0] if kept else self.anchor + shift - self.span
        chunks = [restamp(chunk, shift, now) for _, chunk in kept]
        if feed.kind == "youtube":
            chunks = [grow_views(c, at, now) for (at, _), c in zip(kept, chunks)]
        top = restamp(head if head is not None else feed.head, shift, now, newest)
        if "<rdf:Seq>" in top:
            links = [m.group(1) for c in chunks for m in [P.RDF_ABOUT_RE.search(c)] if m]
            top = P.RDF_SEQ_RE.sub(lambda m: m.group(1) + P.rdf_seq(links) + m.group(2), top)
        return (top + "".join(chunks) + feed.tail).encode("utf-8")

    def render_gnews(self, params: dict[str, str], shift: timedelta, now: datetime) -> bytes:
        """A Google News search: the recorded feed of the query's brand in the ``hl`` locale."""
        q = params.get("q", "")
        lang = params.get("hl", "en-US").split("-")[0].lower()
        ops = {k: v for k, v in OPERATOR_RE.findall(q)}
        terms = OPERATOR_RE.sub("", q).lower()
        brand = next((b for b, names in ALIASES.items() if any(n in terms for n in names)), None)
        feed = self.gnews.get((brand, lang)) if brand else None
        locale = lang if lang in P.GNEWS_LOCALES else "en"
        head = P.gnews_head(q.strip(), locale, self.anchor)
        if feed is None:
            return self.render(Feed(head, (), "</channel></rss>\n", "gnews"), shift, now)
        after, before = _day(ops.get("after")), _day(ops.get("before"))
        items = tuple(it for it in feed.items
                      if (after is None or it[0] + shift >= after) and (before is None or it[0] + shift < before))
        return self.render(Feed(head, items, feed.tail, "gnews"), shift, now, GNEWS_MAX)


def _day(value: str | None) -> datetime | None:
    """``after:``/``before:`` operand (YYYY-MM-DD) as UTC midnight."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc) if value else None
    except ValueError:
        return None


def restamp(text: str, shift: timedelta, now: datetime, head_stamp: datetime | None = None) -> str:
    """Move every timestamp in ``text`` by ``shift`` (never past ``now``), keeping its format.

    In a feed header, "last updated" stamps become ``head_stamp`` (the newest served item).
    """
    def sub(m: re.Match[str]) -> str:
        tag, value = m.groups()
        if head_stamp is not None and tag in HEAD_STAMP_TAGS:
            at = head_stamp
        else:
            at = min(P.parse_stamp(value) + shift, now)
        return f"<{tag}>{P.restamp(value, at)}</{tag}>"

    return P.STAMP_RE.sub(sub, text)


def grow_views(chunk: str, published: datetime, now: datetime) -> str:
    """Scale recorded (final) views and likes by the video's age, so repeated looks see growth."""
    age = max((now - published).total_seconds(), 0.0)
    factor = 1 - math.exp(-age / VIEW_GROWTH.total_seconds())

    def sub(m: re.Match[str]) -> str:
        likes, views = int(int(m.group(2)) * factor), int(int(m.group(4)) * factor)
        return f"{m.group(1)}{likes}{m.group(3)}{views}{m.group(5)}"

    return P.YT_STATS_RE.sub(sub, chunk)


def conditional(body: bytes, last_modified: datetime, content_type: str, headers: Mapping[str, str]) -> Response:
    """200 with validators, or 304 when the client's ETag / date still matches."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:24] + '"'
    out = {"Content-Type": content_type, "ETag": etag,
           "Last-Modified": format_datetime(last_modified.astimezone(timezone.utc), usegmt=True),
           "Cache-Control": "private, max-age=0"}
    lower = {k.lower(): v for k, v in headers.items()}
    inm, ims = lower.get("if-none-match"), lower.get("if-modified-since")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        if "*" in tags or etag in tags:
            return Response(304, out)
    elif ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            since = None
        if since is not None and since.tzinfo and last_modified.replace(microsecond=0) <= since:
            return Response(304, out)
    return Response(200, out, body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "listening-replay/1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    replay: Replay

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        resp = self.replay.get(self.path, dict(self.headers.items()))
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if send_body and resp.body:
            self.wfile.write(resp.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("replay %s - %s", self.address_string(), format % args)


class ReplayServer:
    """The replay on ``127.0.0.1`` in a daemon thread; use as a context manager.

    >>> from datetime import datetime, timezone
    >>> with ReplayServer(clock=lambda: datetime(2030, 1, 1, tzinfo=timezone.utc)) as srv:
    ...     srv.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, clock: Clock | None = None, host: str = "127.0.0.1", port: int = 0,
                 data_dir: Path = DATA_DIR, epoch: datetime | None = None) -> None:
        self.replay = Replay(clock, data_dir, epoch)
        handler = type("Handler", (_Handler,), {"replay": self.replay})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def events(self) -> list[dict[str, Any]]:
        """Labelled surge and launch windows in served time."""
        return self.replay.events()

    def start(self) -> "ReplayServer":
        if self._thread is None:
            # A short poll: stop() waits up to one poll for the loop, and a config load starts and stops a server.
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                            name="replay-server", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m listening.replay.server --port N``: serve until interrupted."""
    ap = argparse.ArgumentParser(description="Serve the recorded listening replay on 127.0.0.1.")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args(argv)
    srv = ReplayServer(host=args.host, port=args.port)
    print(f"replay serving at {srv.url}  (export REPLAY_URL={srv.url})", flush=True)
    for ev in srv.events():
        print(f"  {ev['kind']:7} {ev['brand']:8} {ev['start']:%Y-%m-%d %H:%M} .. {ev['end']:%H:%M} UTC", flush=True)
    try:
        srv._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv._httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
