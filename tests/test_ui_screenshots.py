"""The real Dagster UI draws the analyst tables and the hourly chart: headless Chromium screenshots into artifacts/ui/.

A small store with known mentions (CJK included) and scores, the `mentions`, `scored_mentions` and
`brand_timeseries` assets materialized into a fresh instance, then `listening ui` and
``scripts/ui_screenshots.py`` (the same script that screenshots the demo) over it. An RSS task whose
feed refuses connections makes `rss_mentions`' `tasks_succeeded` check fail: its page must say why.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace

import dagster as dg
import pytest

from dagster_project.assets import scoring
from dagster_project.assets.ingest import source_assets
from dagster_project.assets.mentions import mentions
from dagster_project.checks import asset_checks
from dagster_project.assets.timeseries import brand_timeseries
from dagster_project.resources import ListeningResource, ModelResource, wired
from listening.store import Store
from tests.conftest import NOW
from tests.test_digest_fixtures import MODEL, Builder
from tests.test_digest_screenshot import ARTIFACTS, _chromium

ROOT = Path(__file__).resolve().parents[1]
rss_mentions = next(a for a in source_assets if a.key.path[-1] == "rss_mentions")
DAY = (NOW - timedelta(days=1)).replace(hour=0)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ui_screenshots", ROOT / "scripts" / "ui_screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _populate(store: Store) -> None:
    b = Builder("ui")
    texts = {"en": "Orbitly sync is down again, nothing loads", "ko": "오르비틀리 동기화가 계속 실패해요",
             "ja": "オービトリーのアプリが起動しない"}
    for i in range(36):
        lang = ("en", "ko", "ja")[i % 3]
        brand = ("orbitly", "vantro")[i % 2]
        b.add(brand, DAY + timedelta(hours=i % 24, minutes=i), ("negative", "neutral", "positive")[i % 3], lang=lang,
              topic=("outage/bugs", "pricing")[i % 2], views=100 * (i + 1), text=f"{texts[lang]} #{i}")
    b.write(store)


def _fail_a_check(instance: dg.DagsterInstance, tmp_path: Path) -> None:
    """An RSS feed nobody answers (port 9 refuses): the fetch records its error and `tasks_succeeded` fails with it."""
    config = tmp_path / "refused.yaml"
    config.write_text("brands:\n  - key: orbitly\n    name: Orbitly\n    sources:\n"
                      "      feeds: [{url: 'http://127.0.0.1:9/feed.xml'}]\n")
    checks = [c for c in asset_checks if c.check_key.asset_key == rss_mentions.key]
    result = dg.materialize([rss_mentions, *checks], instance=instance, resources=wired(ListeningResource(config_path=str(config))))
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["tasks_succeeded"] is False


@pytest.mark.slow
def test_the_ui_shows_the_watchlists_hourly_tables_and_chart(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _chromium()
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    # a loaded test machine can take minutes to import the code location (torch, transformers)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\ncode_servers:\n  local_startup_timeout: 600\n")
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    _populate(Store.open())
    # every text is already scored by MODEL, so the asset scores nothing and only builds its tables
    monkeypatch.setattr(ModelResource, "scorer", lambda self: SimpleNamespace(model_id=MODEL))
    resources = wired(ListeningResource())
    with dg.DagsterInstance.get() as instance:
        assert dg.materialize([mentions, scoring.scored_mentions], instance=instance, resources=resources).success
        assert dg.materialize([brand_timeseries], instance=instance, resources=resources,
                              partition_key=DAY.strftime("%Y-%m-%d")).success
        _fail_a_check(instance, tmp_path)

    script = _script()
    out = ARTIFACTS / "ui"
    env = {**os.environ, "LISTENING_SCHEDULES": "off"}
    with script.dagster_ui(env) as port:
        results = script.screenshot_pages(port, out)
    checks_page = next(r for r in results if r["page"] == "rss_mentions-checks")
    assert "Failed" in checks_page["text"] and "Connection refused" in checks_page["text"], "the failing check says why"
    for r in results:
        assert r["missing"] == [], f"{r['page']}: the UI does not show {r['missing']} (see {r['file']})"
        assert Path(r["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert next(r for r in results if r["page"] == "brand_timeseries-chart")["images"] == 1, "the chart image decodes"
