"""`listening inbox` and `listening kpis` on a store filled from local thread servers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from listening.cli import main
from listening.http import HttpClient
from listening.store import Store
from tests.conftest import NOW
from tests.fault_server import FaultServer, fault_server  # noqa: F401
from tests.inbox_world import read_world


@pytest.fixture
def world(home: Path, tmp_path: Path, fault_server: FaultServer, client: HttpClient,
          monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LISTENING_REDDIT_CLIENT_ID", "cid")
    monkeypatch.setenv("LISTENING_REDDIT_CLIENT_SECRET", "csecret")
    read_world(Store.open(), tmp_path, fault_server, client, now=NOW)
    return tmp_path / "inbox.yaml"


@pytest.mark.parametrize("width", [None, "240"])
def test_the_table_shows_each_post_whole_enough_to_answer(world: Path, width: str | None,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The fixed columns leave a post about 20 columns at the default width: its words then get a line of
    their own, and a short post is shown whole at any width."""
    assert main(["inbox", "--config", str(world), "--format", "jsonl"]) == 0
    texts = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()]
    assert main(["inbox", "--config", str(world), *(["--width", width] if width else [])]) == 0
    table = capsys.readouterr().out.splitlines()
    assert texts and all(len(t) < 120 for t in texts)
    for text in texts:
        line = next(line for line in table if text in line)
        assert line.startswith("    " + text) == (width is None)


def test_inbox_lists_items_with_intent_waiting_sla_author_and_link(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inbox", "--config", str(world)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:9] == ["ID", "PRIORITY", "INTENT", "WAITING", "SLA", "DUE", "PLATFORM", "AUTHOR", "ASSIGNEE"]
    assert "tanaka@mstdn.jp" in out and "1d 2h" in out and "breached" in out and "question*" in out
    assert "https://bsky.app/profile/bob.bsky.social/post/3lreply000004" in out
    assert "2 open item(s)" in out and "acme.bsky.social" not in out

    assert main(["inbox", "--config", str(world), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["author"] for r in rows} == {"tanaka@mstdn.jp", "bob.bsky.social"}
    assert all(len(r["id"]) == 32 and r["sla"] in ("ok", "due", "breached") for r in rows)

    tanaka = next(r for r in rows if r["author"] == "tanaka@mstdn.jp")
    assert main(["inbox", "done", tanaka["id"][:10], "--note", "answered by DM"]) == 0
    assert main(["inbox", "assign", next(r["id"] for r in rows if r["author"] == "bob.bsky.social")[:6], "--to", "mina"]) == 0
    capsys.readouterr()
    assert main(["inbox", "--config", str(world), "--format", "csv"]) == 0
    listed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["author"], r["assignee"]) for r in listed] == [("bob.bsky.social", "mina")]
    assert main(["inbox", "--config", str(world), "--state", "done", "--format", "jsonl"]) == 0
    assert [json.loads(x)["author"] for x in capsys.readouterr().out.splitlines()] == ["tanaka@mstdn.jp"]


def test_bad_ids_and_times_are_one_clear_line(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inbox", "done", "zzzzzz"]) == 2
    assert "no inbox item has an id starting with 'zzzzzz'" in capsys.readouterr().err
    assert main(["inbox", "snooze", "abc", "--until", "4h"]) == 2
    assert "too short" in capsys.readouterr().err
    assert main(["kpis", "--config", str(world), "--week", "2026-48"]) == 2
    assert "error" in capsys.readouterr().err


def test_kpis_command_shows_own_brand_and_competitors(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kpis", "--config", str(world), "--week", "2026-W48"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Responsiveness 2026-W48 (SLA 24 h")
    acme = next(line for line in out.splitlines() if line.startswith("Acme (own)"))
    # kim 2.5 h, jane 4 h, alice 3 h, u_wait 5 h answered; tanaka (past 24 h) and bob open
    assert acme.split()[2:] == ["6", "67%", "3.5", "4.7", "1"], acme
    assert any(line.startswith("Rival") for line in out.splitlines())
    assert main(["kpis", "--config", str(world), "--week", "2026-W48", "--format", "jsonl"]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (first["brand"], first["needing"], first["answered"], first["answered_share"]) == ("acme", 6, 4, 0.667)
