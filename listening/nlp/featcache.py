"""Disk cache of encoder features, so retraining a head never re-embeds a text.

Embedding tens of thousands of texts on a small CPU takes many minutes. Each
text's features (float16) are stored under its sha256 in shard files below
``$LISTENING_HOME/cache/features/<encoder key>/``; any later list of texts
(another subsample size, another split) reuses every text already embedded.
Shards are written as they finish, so an interrupted run loses at most one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from listening.nlp.encoder import Encoder

SHARD = 1024


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def feature_dir(encoder: Encoder, cache_dir: Path) -> Path:
    """Folder holding the shards computed by this encoder configuration."""
    return cache_dir / "features" / hashlib.sha256(encoder.cache_key.encode()).hexdigest()[:20]


def write_shard(folder: Path, keys: list[bytes], feats: np.ndarray) -> Path:
    """Store one shard atomically (name = digest of its keys)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(b"".join(keys)).hexdigest()[:20]
    path = folder / f"shard-{name}.npz"
    tmp = folder / f".tmp-{name}-{os.getpid()}.npz"
    np.savez(tmp, keys=np.array(keys, dtype="S16"), features=feats.astype(np.float16))
    os.replace(tmp, path)
    return path


def _index(folder: Path) -> dict[bytes, np.ndarray]:
    table: dict[bytes, np.ndarray] = {}
    for path in sorted(folder.glob("shard-*.npz")):
        with np.load(path) as shard:
            for key, row in zip(shard["keys"], shard["features"], strict=True):
                table[bytes(key)] = row
    return table


def cached_features(
    encoder: Encoder,
    texts: Sequence[str],
    cache_dir: Path,
    *,
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Feature matrix for ``texts`` (float32, input order), embedding only unseen texts."""
    folder = feature_dir(encoder, cache_dir)
    known = _index(folder) if folder.is_dir() else {}
    keys = [_key(t) for t in texts]
    missing: dict[bytes, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in known and key not in missing:
            missing[key] = text
    if progress is not None:
        progress(len(texts) - len(missing))
    todo = list(missing.items())
    for start in range(0, len(todo), SHARD):
        part = todo[start : start + SHARD]
        feats = encoder.encode([t for _, t in part], batch_size=batch_size, progress=progress).features
        write_shard(folder, [k for k, _ in part], feats)
        known.update(zip((k for k, _ in part), feats.astype(np.float16), strict=True))
    out = np.zeros((len(texts), encoder.feature_dim), dtype=np.float32)
    for i, key in enumerate(keys):
        out[i] = known[key]
    return out
