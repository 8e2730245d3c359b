"""Blend two fine-tunes of one model in weight space (WiSE-FT, Wortsman et al. 2022).

A fine-tune on new data (Korean/Japanese three-class files) gains there and
loses on texts unlike that data; interpolating its weights with those of the
model it started from keeps much of the gain and little of the loss, at the
inference cost of one model. LoRA deltas are blended exactly, not factor by
factor: the blended adapter stacks both (``sqrt(w)·A1 ; sqrt(1-w)·A0``), so its
merged update is ``w·ΔW1 + (1-w)·ΔW0``; LayerNorms and head weights are
interpolated. Both models must share the head's standardisation, which holds
for a fine-tune continued from the other (``listening model train --init``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from listening.errors import ModelError
from listening.nlp.adapter import adapter_digest, load_adapter, lora_scale, save_adapter
from listening.nlp.heads import SentimentHead

BLENDED_HEAD = ("w1", "b1", "w2", "b2")


def blend_tensors(start: dict[str, np.ndarray], tuned: dict[str, np.ndarray], weight: float) -> dict[str, np.ndarray]:
    """Adapter tensors whose merged update is ``weight`` of ``tuned``'s plus the rest of ``start``'s.

    >>> a0, b0 = np.ones((1, 2)), np.ones((2, 1))
    >>> out = blend_tensors({"m.lora_A": a0, "m.lora_B": b0}, {"m.lora_A": 3 * a0, "m.lora_B": b0}, 0.5)
    >>> (out["m.lora_B"] @ out["m.lora_A"]).round(6).tolist()
    [[2.0, 2.0], [2.0, 2.0]]
    """
    if set(start) != set(tuned):
        raise ModelError("the two adapters adapt different modules; blend a fine-tune with the model it started from")
    out = {}
    for name in start:
        if name.endswith(".lora_A"):
            out[name] = np.concatenate([np.sqrt(weight) * tuned[name], np.sqrt(1 - weight) * start[name]], axis=0)
        elif name.endswith(".lora_B"):
            out[name] = np.concatenate([np.sqrt(weight) * tuned[name], np.sqrt(1 - weight) * start[name]], axis=1)
        else:
            out[name] = weight * tuned[name] + (1 - weight) * start[name]
    return {k: v.astype(np.float32) for k, v in out.items()}


def blend(start_dir: Path, tuned_dir: Path, weight: float, out: Path) -> dict:
    """Write the blend of two model directories to ``out`` and return its config."""
    if not 0.0 <= weight <= 1.0:
        raise ModelError(f"blend weight must be between 0 and 1, not {weight}")
    start, tuned = SentimentHead.from_pretrained(start_dir), SentimentHead.from_pretrained(tuned_dir)
    a0, a1 = load_adapter(start_dir), load_adapter(tuned_dir)
    if a0 is None or a1 is None:
        raise ModelError("both models need an adapter (adapter.safetensors) to be blended")
    if lora_scale(start.config["adapter"]) != lora_scale(tuned.config["adapter"]):
        raise ModelError("the adapters use different alpha/rank scales; blend models trained with the same")
    same = all(np.allclose(start.weights[k], tuned.weights[k]) for k in ("mean", "std"))
    if not same:
        raise ModelError(f"{tuned_dir} standardises features differently from {start_dir}; "
                         "blend a fine-tune continued from the other (`listening model train --init`)")
    tensors = blend_tensors(a0, a1, weight)
    head = {k: weight * tuned.weights[k] + (1 - weight) * start.weights[k] for k in BLENDED_HEAD}
    head.update(mean=start.weights["mean"], std=start.weights["std"])
    rank = next(v.shape[0] for k, v in tensors.items() if k.endswith(".lora_A"))
    version = adapter_digest({**tensors, **{f"head.{k}": v.astype(np.float16) for k, v in head.items()}})
    config = {k: v for k, v in tuned.config.items() if k not in ("validation_metrics", "adapter_version")}
    config.update(
        head_version=version,
        adapter={**tuned.config["adapter"], "rank": rank, "alpha": lora_scale(tuned.config["adapter"]) * rank},
        architecture=str(tuned.config.get("architecture", "")).replace(
            f"rank {tuned.config['adapter']['rank']}", f"rank {rank}"),
        blend={"method": "weight-space interpolation (WiSE-FT)", "weight": weight,
               "start": start.version, "tuned": tuned.version},
    )
    out.mkdir(parents=True, exist_ok=True)
    save_adapter(out, tensors)
    SentimentHead({k: v.astype(np.float16).astype(np.float32) for k, v in head.items()}, config).save_pretrained(out)
    (out / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    return config
