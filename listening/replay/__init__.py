"""Offline replay of recorded public-source payloads, so the product demonstrates itself.

``ReplayServer`` serves Google News RSS, HN Algolia, YouTube, blog/press feeds,
GitHub releases and Mastodon/Bluesky account APIs on 127.0.0.1 with timestamps moved to now; ``demo.yaml`` points
the listening config at it via ``${REPLAY_URL}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["DATA_DIR", "DEMO_CONFIG", "Replay", "ReplayServer"]

DATA_DIR = Path(__file__).with_name("data")
DEMO_CONFIG = Path(__file__).with_name("demo.yaml")


def __getattr__(name: str) -> Any:
    """Import the server lazily, so ``python -m listening.replay.server`` loads it only once."""
    if name in ("Replay", "ReplayServer"):
        from listening.replay import server

        return getattr(server, name)
    raise AttributeError(name)
