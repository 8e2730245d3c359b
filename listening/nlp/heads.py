"""Small sentiment head on top of frozen encoder features.

Inference is plain numpy (two matrix products), so the committed artifact is a
few MB and loads instantly; training lives in :mod:`listening.nlp.training`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from listening.errors import ModelError

HEAD_WEIGHTS = "head.safetensors"
HEAD_CONFIG = "config.json"
LABEL_NAMES = ("negative", "neutral", "positive")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable.

    >>> softmax(np.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class SentimentHead:
    """Standardise → Linear → GELU → Linear → softmax over negative/neutral/positive."""

    def __init__(self, weights: dict[str, np.ndarray], config: dict[str, Any]) -> None:
        needed = {"mean", "std", "w1", "b1", "w2", "b2"}
        if not needed <= set(weights):
            raise ModelError(f"sentiment head lacks tensors {sorted(needed - set(weights))}")
        self.weights = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        self.config = config

    @property
    def version(self) -> str:
        """Short id of the trained weights (part of the scorer's model_id)."""
        return str(self.config.get("head_version", "unversioned"))

    @property
    def encoder_id(self) -> str:
        """The encoder whose features this head was trained on."""
        return str(self.config.get("encoder_id", ""))

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Probabilities [n, 3] in :data:`LABEL_NAMES` order."""
        w = self.weights
        x = (features.astype(np.float32) - w["mean"]) / w["std"]
        h = x @ w["w1"].T + w["b1"]
        h = 0.5 * h * (1.0 + np.tanh(0.7978845608 * (h + 0.044715 * h**3)))
        return softmax(h @ w["w2"].T + w["b2"])

    def save_pretrained(self, directory: Path) -> None:
        """Write ``head.safetensors`` (fp16) and ``config.json``."""
        from safetensors.numpy import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        save_file({k: v.astype(np.float16) for k, v in self.weights.items()}, str(directory / HEAD_WEIGHTS))
        (directory / HEAD_CONFIG).write_text(json.dumps(self.config, indent=2, ensure_ascii=False) + "\n")
        for name in (HEAD_WEIGHTS, HEAD_CONFIG):
            (directory / name).chmod(0o644)

    @classmethod
    def from_pretrained(cls, directory: Path) -> SentimentHead:
        """Load a head saved by :meth:`save_pretrained`."""
        from safetensors.numpy import load_file

        directory = Path(directory)
        try:
            config = json.loads((directory / HEAD_CONFIG).read_text())
            weights = load_file(str(directory / HEAD_WEIGHTS))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the sentiment head from {directory}: {exc}") from exc
        return cls(weights, config)

    @staticmethod
    def is_head_dir(path: Path) -> bool:
        """Whether ``path`` holds a head saved by this module."""
        return (Path(path) / HEAD_WEIGHTS).is_file()
