"""One digest per week: the CLI and the Dagster asset write the same document, reach changes told like the Slack notice."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

import dagster_project.assets.digest as digest_asset
from dagster_project.resources import ListeningResource, ModelResource, wired
from listening.cli import main
from listening.config import ListeningConfig, load_config
from listening.digest import build_digest, digest_command, render_markdown, weekly_digest
from listening.digest._charts import sentiment_trend_figure, share_of_voice_figure, trend_extent
from listening.pipeline import DEMO_CONFIG
from listening.reach import track_reach
from listening.replay.repolls import replay_repolls
from listening.store import Store, reach_changes
from tests.test_digest_fixtures import MODEL, W46, Builder, config, open_store, populate

CONFIG_YAML = ("project: {name: acme-listening}\nbrands:\n  - {key: acme, name: Acme, own: true}\n"
               "  - {key: rival, name: Rival}\n  - {key: other, name: Other Co}\n")
RAW_TIMESTAMP = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00)?")


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The digest fixtures' store plus one stored platform-wide reach change in 2026-W46, wired for CLI and asset."""
    monkeypatch.setenv("LISTENING_HOME", str(tmp_path / "home"))
    store = open_store(tmp_path)
    populate(store)
    with store.transaction() as conn:
        store.upsert(conn, reach_changes, [{
            "platform": "bluesky", "account": "@rival.example", "changed_at": W46 + timedelta(days=1, hours=6, microseconds=123456),
            "direction": "down", "brand": "rival", "magnitude": -0.35, "attribution": "platform", "ci_low": -0.5,
            "ci_high": -0.2, "detected_at": W46 + timedelta(days=3, hours=2), "posts_after": 6}])
    path = tmp_path / "listening.yaml"
    path.write_text(CONFIG_YAML, encoding="utf-8")
    monkeypatch.setenv("LISTENING_DATABASE_URL", str(store.engine.url))
    return SimpleNamespace(store=store, config=path, home=tmp_path / "home")


def materialize_asset(setup: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setattr(ModelResource, "model_id", lambda self: MODEL)
    resource = ListeningResource(config_path=str(setup.config), database_url=str(setup.store.engine.url))
    result = dg.materialize([digest_asset.weekly_competitor_digest], partition_key="2026-11-09", resources=wired(resource))
    assert result.success
    return result.asset_materializations_for_node("weekly_competitor_digest")[0].metadata


def test_cli_and_asset_write_the_same_document_with_reach_changes(setup: SimpleNamespace, monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    materialize_asset(setup, monkeypatch)
    asset_dir = setup.home / "digests"
    asset_files = {p.name: p.read_bytes() for p in asset_dir.iterdir() if p.is_file()}
    elsewhere = digest_command("2026-W46", None, tmp_path / "cli", setup.config, model_id=MODEL)
    assert {p.name: p.read_bytes() for p in (tmp_path / "cli").iterdir()} == asset_files, "byte-identical files"
    assert elsewhere.previous == "none"
    again = digest_command("2026-W46", None, None, setup.config, model_id=MODEL)
    assert again.html.parent == asset_dir and again.previous == "same", "without --out the CLI rewrites the asset's files unchanged"
    markdown = (asset_dir / "digest-2026-W46.md").read_text(encoding="utf-8")
    assert "@rival.example" in markdown and "(**-35%**, 95% CI -50% … -20%)" in markdown
    assert "since 2026-11-10" in markdown and "confirmed 2026-11-12 after 6 posts" in markdown
    assert "a platform (algorithm) change, not Rival's content" in markdown.replace("\\", "")
    reach = markdown.split("## Reach changes", 1)[1].split("## ", 1)[0]
    assert not RAW_TIMESTAMP.search(reach), reach


def test_another_language_without_out_goes_beside_not_over_the_project_digest(setup: SimpleNamespace,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    materialize_asset(setup, monkeypatch)
    english = (setup.home / "digests" / "digest-2026-W46.html").read_bytes()
    korean = digest_command("2026-W46", "ko", None, setup.config, model_id=MODEL)
    assert korean.html == setup.home / "digests" / "ko" / "digest-2026-W46.html"
    assert (setup.home / "digests" / "digest-2026-W46.html").read_bytes() == english
    text = korean.html.read_text(encoding="utf-8")
    assert "95% 신뢰구간" in text and "플랫폼(알고리즘) 변화" in text


def test_a_changed_store_is_reported_when_the_cli_replaces_a_digest(setup: SimpleNamespace, capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("listening.nlp.scoring.model_id_of", lambda *a, **k: MODEL)
    assert main(["digest", "--week", "2026-W46", "--config", str(setup.config)]) == 0
    assert capsys.readouterr().out.startswith("wrote ")
    b = Builder("late")
    b.add("acme", W46 + timedelta(days=2), "negative")
    b.write(setup.store)
    assert main(["digest", "--week", "2026-W46", "--config", str(setup.config)]) == 0
    assert capsys.readouterr().out.startswith("replaced (the store changed since it was written) ")


@pytest.mark.parametrize(("week", "says"), [
    pytest.param("2026-W48", "2026-W48 has not ended: it ends 2026-11-30 00:00 UTC (UTC); the newest complete week is 2026-W47",
                 id="week-in-progress"),
    pytest.param("2027-W10", "2027-W10 has not ended", id="future-week"),
    pytest.param("2026-W30", "2026-W30 ended before the store's first mention (2026-09-21 00:00 UTC)", id="before-any-data"),
])
def test_a_week_without_a_digest_yet_is_refused_with_exit_2(setup: SimpleNamespace, week: str, says: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["digest", "--week", week, "--config", str(setup.config)]) == 2
    err = capsys.readouterr().err
    assert says in err, err
    assert not (setup.home / "digests").exists(), "nothing is written"


def test_an_empty_store_is_refused_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LISTENING_HOME", str(tmp_path / "home"))
    path = tmp_path / "listening.yaml"
    path.write_text(CONFIG_YAML, encoding="utf-8")
    assert main(["digest", "--week", "2026-W46", "--config", str(path)]) == 2
    assert "the store holds no mentions of the configured brands yet" in capsys.readouterr().err


def test_the_trend_chart_starts_at_the_first_week_with_data_and_fits_its_range(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    b = Builder()
    for week, (pos, neg) in ((W46 - timedelta(weeks=1), (3, 2)), (W46, (4, 2))):
        for i in range(pos + neg + 4):
            b.add("acme", week + timedelta(hours=5 * i), "positive" if i < pos else "negative" if i < pos + neg else "neutral")
    b.write(store)
    digest = build_digest(store, config(), "2026-W46", MODEL)
    first, (low, high) = trend_extent(digest)
    assert digest.trend_weeks[first:] == ["2026-W45", "2026-W46"]
    acme = next(s for s in digest.sentiment if s.brand == "acme")
    assert acme.trend[-2:] == pytest.approx([1 / 9, 2 / 10])
    assert -0.1 <= low < 0 < 2 / 10 < high <= 0.35, (low, high)


def test_the_charts_name_brands_as_the_tables_do(tmp_path: Path) -> None:
    """A reader sees "Other Co" in the table and in the chart, not the config key "other"; a name only a CJK font
    could draw keeps its key, since the chart may have no such font."""
    store = open_store(tmp_path)
    populate(store)
    cfg = config().model_dump()
    cfg["brands"][1]["name"] = "라이벌"
    digest = build_digest(store, ListeningConfig.model_validate(cfg), "2026-W46", MODEL)
    sov = share_of_voice_figure(digest)
    assert [t.get_text() for t in sov.axes[0].get_yticklabels()][::-1] == [
        {"acme": "Acme", "rival": "rival", "other": "Other Co"}[s.brand] for s in digest.share_of_voice]
    legend = sentiment_trend_figure(digest).axes[0].get_legend()
    assert sorted(t.get_text() for t in legend.get_texts()) == ["Acme", "Other Co", "rival"]


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The replay's account history (two labelled reach changes) in a SQLite store, with the changes detected."""
    now = datetime(2026, 6, 8, 0, 5, tzinfo=timezone.utc)
    path = tmp_path_factory.mktemp("walked") / "listening.db"
    store = Store.open(f"sqlite:///{path}")
    assert replay_repolls(store, now=now).failed == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REPLAY_URL", "http://127.0.0.1:9")
        demo = load_config(DEMO_CONFIG)
    track_reach(store, demo, now=now, out_dir=path.parent)
    b = Builder("demo")
    for brand in ("orbitly", "vantro", "kestrel"):
        b.add(brand, now - timedelta(days=10), "neutral")
    b.write(store)
    store.engine.dispose()
    return path


def test_reach_lines_give_the_measured_rates_the_model_compared(walked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLAY_URL", "http://127.0.0.1:9")
    demo = load_config(DEMO_CONFIG)
    store = Store.open(f"sqlite:///{walked}")
    digest = weekly_digest(store, demo, "2026-W23", MODEL, now=datetime(2026, 6, 8, 0, 5, tzinfo=timezone.utc))
    assert len(digest.reach_changes) >= 2 and {r.attribution for r in digest.reach_changes} == {"platform", "account"}
    own = {b.key for b in demo.brands if b.own}
    for r in digest.reach_changes:
        assert r.before and r.after and r.change is not None and r.ci_low is not None and r.ci_high is not None
        assert r.after / r.before - 1 == pytest.approx(r.change, abs=0.08), "the rates shown are the ones the change relates"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.at) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.decided)
        assert r.metric == "engagement per 1,000 followers at 5.5 h"
        if r.attribution == "platform":
            assert r.summary.startswith(f"Every tracked account on {r.platform} moved the same way")
        elif r.brand in own:
            assert r.summary.startswith(f"Competitors on {r.platform} did not move: likely our own content")
        else:
            assert "own content or cadence" in r.summary
    text = render_markdown(digest, {"sov": "sov.png", "sentiment": "sentiment.png"})
    reach = text.split("## Reach changes", 1)[1].split("## ", 1)[0]
    assert "→" in reach and "95% CI" in reach and not RAW_TIMESTAMP.search(reach), reach
