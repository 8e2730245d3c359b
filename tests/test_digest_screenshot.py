"""Headless Chromium renders the self-contained HTML digest; the screenshot lands in artifacts/."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from listening.digest import build_digest, write_digest
from tests.test_digest_fixtures import MODEL, W46, Builder, config, open_store, populate

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def _chromium() -> str:
    found = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()), "")
    if not found:
        message = "headless Chromium is needed for the digest screenshot: install it (apt-get install -y chromium)"
        if os.environ.get("LISTENING_REQUIRE_CHROMIUM") == "1":
            pytest.fail(message + " — LISTENING_REQUIRE_CHROMIUM=1 is set")
        pytest.skip(message)
    return found


def test_html_digest_screenshot(tmp_path: Path) -> None:
    chromium = _chromium()
    store = open_store(tmp_path)
    populate(store)
    b = Builder("cjk")
    b.add("acme", W46 + timedelta(days=2), "negative", topic="delivery", lang="ko", views=50_000,
          text="배송이 너무 늦어요. 환불은 언제 되나요?")
    b.add("other", W46 + timedelta(days=3), "positive", topic="pricing", lang="ja", views=40_000,
          text="値段が安くて最高です。また買います。")
    b.write(store)
    files = write_digest(build_digest(store, config(), "2026-W46", MODEL), tmp_path / "out")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "digest-2026-W46.png"
    shot.unlink(missing_ok=True)
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", "--hide-scrollbars", "--window-size=1000,4400",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", files.html.as_uri()]
    # The browser only renders the file; under FAKETIME=... ./scripts/test it keeps the real clock (libfaketime hangs it).
    real_clock = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=real_clock)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
