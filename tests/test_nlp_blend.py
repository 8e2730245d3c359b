"""Blending a fine-tune with the model it started from (``listening model blend``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from listening.errors import ModelError
from listening.nlp.adapter import load_adapter, save_adapter
from listening.nlp.blend import blend
from listening.nlp.heads import SentimentHead

ADAPTER = {"rank": 2, "alpha": 4, "targets": ["attention.self.query"], "trained_norms": []}


def _model(path: Path, seed: int, mean: float = 0.0) -> Path:
    """A tiny saved model: one LoRA pair, one LayerNorm, a head."""
    rng = np.random.default_rng(seed)
    tensors = {"encoder.layer.0.attention.self.query.lora_A": rng.standard_normal((2, 6)).astype(np.float32),
               "encoder.layer.0.attention.self.query.lora_B": rng.standard_normal((6, 2)).astype(np.float32),
               "encoder.layer.0.output.LayerNorm.weight": rng.standard_normal(6).astype(np.float32)}
    path.mkdir()
    save_adapter(path, tensors)
    head = {"mean": np.full(4, mean, np.float32), "std": np.ones(4, np.float32),
            "w1": rng.standard_normal((3, 4)).astype(np.float32), "b1": np.zeros(3, np.float32),
            "w2": rng.standard_normal((3, 3)).astype(np.float32), "b2": np.zeros(3, np.float32)}
    SentimentHead(head, {"head_version": f"v{seed}", "adapter": ADAPTER,
                         "architecture": "encoder + LoRA(rank 2) merged"}).save_pretrained(path)
    return path


def _update(path: Path) -> np.ndarray:
    t = load_adapter(path)
    return t["encoder.layer.0.attention.self.query.lora_B"] @ t["encoder.layer.0.attention.self.query.lora_A"]


def test_a_blend_merges_to_the_weighted_mean_of_both_models(tmp_path: Path) -> None:
    start, tuned = _model(tmp_path / "start", 1), _model(tmp_path / "tuned", 2)
    config = blend(start, tuned, 0.25, tmp_path / "blend")
    assert np.allclose(_update(tmp_path / "blend"), 0.25 * _update(tuned) + 0.75 * _update(start), atol=1e-2)
    assert config["adapter"]["rank"] == 4 and config["adapter"]["alpha"] == 8, "same alpha/rank scale"
    head = SentimentHead.from_pretrained(tmp_path / "blend")
    a, b = SentimentHead.from_pretrained(start), SentimentHead.from_pretrained(tuned)
    assert np.allclose(head.weights["w1"], 0.25 * b.weights["w1"] + 0.75 * a.weights["w1"], atol=1e-2)
    assert config["blend"]["start"] == "v1" and config["blend"]["tuned"] == "v2"


def test_weight_zero_is_the_start_model(tmp_path: Path) -> None:
    start, tuned = _model(tmp_path / "start", 1), _model(tmp_path / "tuned", 2)
    blend(start, tuned, 0.0, tmp_path / "blend")
    features = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
    assert np.allclose(SentimentHead.from_pretrained(tmp_path / "blend").predict_proba(features),
                       SentimentHead.from_pretrained(start).predict_proba(features), atol=1e-3)
    assert np.allclose(_update(tmp_path / "blend"), _update(start), atol=1e-2)


def test_models_that_standardise_differently_are_refused(tmp_path: Path) -> None:
    start, other = _model(tmp_path / "start", 1), _model(tmp_path / "other", 2, mean=0.5)
    with pytest.raises(ModelError, match="standardises features differently.*--init"):
        blend(start, other, 0.5, tmp_path / "blend")
    with pytest.raises(ModelError, match="between 0 and 1"):
        blend(start, start, 1.5, tmp_path / "blend")
