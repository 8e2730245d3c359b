"""Screenshot the Dagster UI's analyst pages with headless Chromium (run after `listening demo`).

    python scripts/ui_screenshots.py OUT_DIR

starts `listening ui` on a free port with the current $LISTENING_HOME / $DAGSTER_HOME, opens each
asset page below in headless Chromium (driven over the DevTools protocol, no extra package), opens
the hourly chart's Markdown dialog, and writes one PNG per page into OUT_DIR. Each page must show
what it is for (the table headers, the chart image decoded) or the script fails naming what is missing.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
RESTORE_SIGINT = "import os,signal,sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"


@dataclass(frozen=True)
class Page:
    """One asset page: the texts that prove it shows its tables, and the metadata dialog to open (if any)."""

    name: str
    path: str
    expect: tuple[str, ...]
    dialog: str | None = None
    height: int = 2400


#: The asset pages' Events view (the latest materialization's metadata, full width), on a 1920-pixel-wide screen.
PAGES = (
    Page("scored_mentions", "/assets/scored_mentions?view=events",
         ("most negative", "highest reach", "sentiment_by_brand", "topics_this_run", "time", "topic", "reach", "link"),
         height=3600),
    Page("mentions", "/assets/mentions?view=events", ("by_brand", "by_language", "brand_x_source", "newest", "share %", "total")),
    Page("brand_timeseries", "/assets/brand_timeseries?view=events",
         ("per_brand", "busiest hour (UTC)", "hourly (last 24 h)", "negative %", "sources")),
    Page("brand_timeseries-chart", "/assets/brand_timeseries?view=events", ("Mentions per hour, the negative ones in red",),
         dialog="hourly_chart", height=1200),
    Page("rss_mentions-checks", "/assets/rss_mentions?view=checks&checkDetail=tasks_succeeded",
         ("tasks_succeeded", "tasks_not_silent", "Evaluation result", "last_success"), height=1200),
)
WIDTH = 1920


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout:.0f}s") from None
            time.sleep(1)


@contextlib.contextmanager
def dagster_ui(env: dict[str, str] | None = None) -> Iterator[int]:
    """`listening ui` on a free port (SIGINT restored so it can be stopped); yields the port."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", RESTORE_SIGINT, sys.executable, "-m", "listening.cli", "ui", "--port", str(port)],
                            cwd=ROOT, env=env or dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/server_info", proc)
        yield port
    finally:
        _stop(proc, signal.SIGINT)


def _stop(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Browser:
    """Headless Chromium with one tab, driven over the DevTools protocol."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        mid = next(self.ids)
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv(timeout=60))
            if reply.get("id") == mid:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def text(self) -> str:
        return self.js("document.body ? document.body.innerText : ''") or ""

    def wait_text(self, needles: tuple[str, ...], timeout: float = 90) -> list[str]:
        """Wait until the page shows every needle; return those still missing at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.text()
            missing = [n for n in needles if n not in shown]
            if not missing or time.monotonic() > deadline:
                return missing
            time.sleep(1)


def _real_clock() -> dict[str, str]:
    """This environment without libfaketime: the browser only looks at the UI (the UI server keeps the moved
    clock of ``FAKETIME=... ./scripts/test``), and Chromium under libfaketime hangs."""
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}


@contextlib.contextmanager
def chromium(width: int = WIDTH, height: int = 2400) -> Iterator[Browser]:
    exe = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or "")
                if p and Path(p).exists()), "")
    if not exe:
        raise FileNotFoundError("headless Chromium is needed: apt-get install -y chromium fonts-noto-cjk")
    with tempfile.TemporaryDirectory(prefix="listening-chromium-") as profile:
        proc = subprocess.Popen([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                 "--disable-component-update", "--no-first-run", "--hide-scrollbars", "--remote-debugging-port=0",
                                 f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                env=_real_clock())
        try:
            active = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (active.exists() and len(active.read_text().split()) >= 2):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Chromium did not open its DevTools port")
                time.sleep(0.2)
            port = active.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
                target = next(t for t in json.load(resp) if t["type"] == "page")
            with connect(target["webSocketDebuggerUrl"], max_size=None) as ws:
                browser = Browser(ws)
                browser.call("Page.enable")
                browser.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
                yield browser
        finally:
            _stop(proc, signal.SIGTERM)


_OPEN_DIALOG = """(() => {
  const cell = [...document.querySelectorAll('td')].find(td => td.innerText.trim() === %s);
  const link = cell && [...cell.parentElement.querySelectorAll('a')].find(a => a.innerText.includes('Show Markdown'));
  if (!link) return false;
  link.click();
  return true;
})()"""
_SKIP_WELCOME = """(() => {
  const skip = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Skip');
  if (skip) skip.click();
  return !!skip;
})()"""
_IMAGES_DECODED = """[...document.querySelectorAll('img')].filter(i => i.src.startsWith('data:image/png') && i.complete
  && i.naturalWidth > 0).length"""


def shoot(browser: Browser, base: str, page: Page, out: Path) -> dict[str, Any]:
    """Open the page, check it, write OUT/<name>.png; returns what was checked (texts missing, images decoded)."""
    browser.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=page.height, deviceScaleFactor=1, mobile=False)
    browser.call("Page.navigate", url=base + page.path)
    missing = browser.wait_text(page.expect if not page.dialog else (page.dialog,))
    images = 0
    time.sleep(1)
    browser.js(_SKIP_WELCOME)  # Dagster's "join the community" dialog, shown once per browser profile
    if page.dialog and not missing:
        if not browser.js(_OPEN_DIALOG % json.dumps(page.dialog)):
            missing = [f"[Show Markdown] of {page.dialog}"]
        else:
            missing = browser.wait_text(page.expect, timeout=30)
            deadline = time.monotonic() + 20
            while not (images := browser.js(_IMAGES_DECODED) or 0) and time.monotonic() < deadline:
                time.sleep(0.5)
    time.sleep(1.5)  # let the last layout settle before the picture
    shot = out / f"{page.name}.png"
    shot.write_bytes(base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"]))
    return {"page": page.name, "file": str(shot), "missing": missing, "images": images, "text": browser.text()}


def screenshot_pages(port: int, out: Path, pages: tuple[Page, ...] = PAGES) -> list[dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        return [shoot(browser, f"http://127.0.0.1:{port}", page, out) for page in pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder for the PNGs")
    parser.add_argument("--port", type=int, help="a Dagster UI already running on this port (default: start one)")
    args = parser.parse_args(argv)
    with contextlib.nullcontext(args.port) if args.port else dagster_ui() as port:
        results = screenshot_pages(port, args.out)
    for r in results:
        problems = (f"missing {r['missing']}" if r["missing"] else "") + ("" if r["images"] or not r["page"].endswith("chart") else " no decoded chart")
        print(f"{r['file']}: {problems or 'ok'}")
    return 1 if any(r["missing"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
