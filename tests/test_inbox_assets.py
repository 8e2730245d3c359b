"""The inbox assets materialize on local thread servers: conversations, reminders to a Slack stand-in, KPIs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets.inbox import conversations, inbox_reminders, responsiveness_kpis
from dagster_project.resources import ClockResource, ListeningResource, ModelResource, SlackResource, wired
from listening.inbox._inbox import cue_intents
from listening.store import Store
from tests.fault_server import FaultServer, fault_server  # noqa: F401
from tests.inbox_world import serve_threads, store_roots, write_config

sys.path.insert(0, str(Path(__file__).parent))
from slack_server import BOT_TOKEN, SlackServer  # noqa: E402

MODEL = "cue-scorer"


@dataclass
class _Score:
    intents: str
    sentiment: str = "neutral"
    p_negative: float = 0.2
    p_neutral: float = 0.6
    p_positive: float = 0.2
    topic: str = "other"
    embedding: None = None


class _CueScorer:
    """Stands in for the 1 GB model in this wiring test: intents from the surface cues the model also uses."""

    model_id = MODEL

    def score(self, texts: Sequence[str]) -> list[_Score]:
        return [_Score(",".join(cue_intents(t)) or "other") for t in texts]


def test_inbox_assets_materialize_with_evidence(home: Path, tmp_path: Path, fault_server: FaultServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENING_REDDIT_CLIENT_ID", "cid")
    monkeypatch.setenv("LISTENING_REDDIT_CLIENT_SECRET", "csecret")
    monkeypatch.setattr(ModelResource, "model_id", lambda self: MODEL)
    monkeypatch.setattr(ModelResource, "scorer", lambda self: _CueScorer())
    write_config(tmp_path, fault_server.base_url)
    store_roots(Store.open())
    serve_threads(fault_server)
    at = datetime(2026, 11, 26, 6, 30, tzinfo=timezone.utc)  # bob's reply breaches within 4 h; Seoul afternoon
    with SlackServer() as slack:
        resources = {**wired(ListeningResource(config_path=str(tmp_path / "inbox.yaml"))),
                     "slack": SlackResource(bot_token=BOT_TOKEN, channel="C1", base_url=slack.api_url),
                     "clock": ClockResource(frozen_at=at.isoformat())}
        result = dg.materialize([conversations, inbox_reminders, responsiveness_kpis], resources=resources)
        again = dg.materialize([conversations, inbox_reminders], resources=resources)
        posted = slack.messages()

    assert result.success and again.success
    conv = result.asset_materializations_for_node("conversations")[0].metadata
    assert (conv["threads_read"].value, conv["threads_gone"].value, conv["new_answers"].value) == (4, 0, 4)
    assert conv["newly_scored"].value == 7  # 5 replies under own posts + the HN and Reddit roots (no mention scoring here)
    inbox = result.asset_materializations_for_node("inbox_reminders")[0].metadata
    assert (inbox["open"].value, inbox["due_soon"].value, inbox["breached"].value) == (2, 1, 1)
    assert inbox["reminded_now"].value == 1 and inbox["summary_posted"].value == "summary:2026-11-26"
    assert {r.data["author"] for r in inbox["top_open"].records} == {"bob.bsky.social", "tanaka@mstdn.jp"}
    assert again.asset_materializations_for_node("inbox_reminders")[0].metadata["reminded_now"].value == 0
    assert [m["text"].split(":")[0] for m in posted] == ["1 inbox item will breach the 24 h SLA within 4 h", "Inbox this morning"]
    kpis = result.asset_materializations_for_node("responsiveness_kpis")[0].metadata
    assert kpis["week"].value == "2026-W47" and kpis["chart"].value.startswith("![responsiveness](data:image/png;base64,")
    assert [r.data["brand"] for r in kpis["kpis"].records] == ["Acme (own)", "Rival"]
