"""Saved detector state across code and config changes: kept, migrated, or refused with a reason (never an error).

A refused state is the caller's cue to start a fresh detector and re-learn it from stored history
(:class:`listening.alerts.AlertLifecycle` does), so one new field or a changed ``bucket_minutes``
costs a re-warm, not a failing pipeline.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from listening.crisis._detector import READABLE, SpikeDetector
from listening.crisis._types import DetectorConfig

__all__ = ["restore_detector"]

#: What docs/operations.md tells an operator to write in place of a saved detector to reset it.
RESET = "reset"


def restore_detector(data: Any, config: DetectorConfig | None = None) -> tuple[SpikeDetector | None, str | None]:
    """The saved detector if it can judge with ``config``; otherwise ``(None, why)``.

    An older state version is migrated (:meth:`SpikeDetector.from_state`); a state saved under another
    config (``bucket_seconds`` changed, a threshold tuned), by a newer or unknown code version, in a
    shape this code does not know, or reset by an operator is refused with the reason.
    ``config=None`` accepts whatever config was saved.

    >>> det = SpikeDetector(DetectorConfig(bucket_seconds=900))
    >>> restore_detector(det.to_state(), DetectorConfig(bucket_seconds=3600))[1]
    'saved under another config: bucket_seconds 900 -> 3600'
    >>> restore_detector({"version": 9, "config": {}, "state": {}})[1]
    'state version 9 is not one this code reads (1, 2, 3, 4)'
    >>> restore_detector(det.to_state(), DetectorConfig(bucket_seconds=900))[0].config.bucket_seconds
    900
    """
    if data == RESET:
        return None, "reset by an operator"
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict) or not isinstance(data.get("state"), dict):
        return None, "unreadable state (not a saved detector)"
    if data.get("version") not in READABLE:
        return None, f"state version {data.get('version')!r} is not one this code reads {READABLE}"
    if config is not None:
        saved = {**asdict(DetectorConfig()), **data["config"]}
        changed = [f"{k} {_plain(saved[k])} -> {_plain(v)}" for k, v in asdict(config).items() if _plain(saved[k]) != _plain(v)]
        if changed:
            return None, "saved under another config: " + ", ".join(changed[:3]) + (" ..." if len(changed) > 3 else "")
    try:
        return SpikeDetector.from_state(data), None
    except (ValueError, TypeError, KeyError) as exc:
        return None, f"state does not fit this code version: {exc}"


def _plain(value: Any) -> Any:
    """A config value as JSON gives it back (tuples are lists), so saved and current configs compare."""
    return list(value) if isinstance(value, tuple) else value
