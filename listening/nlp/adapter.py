"""Low-rank (LoRA) adapters: trained on an accelerator, merged into the encoder at load time.

The committed model stays small (a few MB of adapter weights beside the head)
while the whole encoder is effectively fine-tuned; merging ``W += B @ A * scale``
once at load means inference costs exactly what the plain encoder costs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from listening.errors import ModelError

ADAPTER_WEIGHTS = "adapter.safetensors"
LORA_TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
TRAINED_NORMS = ("attention.output.LayerNorm", "output.LayerNorm")


def lora_scale(config: dict[str, Any]) -> float:
    """``alpha / rank`` as in the LoRA paper.

    >>> lora_scale({"rank": 16, "alpha": 32})
    2.0
    """
    return float(config["alpha"]) / float(config["rank"])


def adapter_digest(tensors: dict[str, np.ndarray]) -> str:
    """Short content id of adapter weights (part of the model id, so caches notice a retrain)."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        digest.update(name.encode())
        # + 0.0 folds -0.0 into 0.0: equal weights get one id, whatever sign an untouched zero has.
        digest.update((np.ascontiguousarray(tensors[name], dtype=np.float32) + 0.0).tobytes())
    return digest.hexdigest()[:12]


def save_adapter(directory: Path, tensors: dict[str, np.ndarray]) -> None:
    """Write ``adapter.safetensors``: LoRA A/B (fp16) and the trained LayerNorms (fp32)."""
    from safetensors.numpy import save_file

    out = {k: (v.astype(np.float16) if k.endswith((".lora_A", ".lora_B")) else v.astype(np.float32))
           for k, v in tensors.items()}
    save_file(out, str(Path(directory) / ADAPTER_WEIGHTS))
    (Path(directory) / ADAPTER_WEIGHTS).chmod(0o644)


def load_adapter(directory: Path) -> dict[str, np.ndarray] | None:
    """Adapter tensors as float32, or None when the head was trained on the frozen encoder."""
    from safetensors.numpy import load_file

    path = Path(directory) / ADAPTER_WEIGHTS
    if not path.is_file():
        return None
    try:
        return {k: v.astype(np.float32) for k, v in load_file(str(path)).items()}
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the adapter {path}: {exc}") from exc


def merge_adapter(model, tensors: dict[str, np.ndarray], config: dict[str, Any]) -> int:
    """Fold adapter weights into a ``BertModel`` in place; returns how many modules changed."""
    import torch

    scale = lora_scale(config)
    params = dict(model.named_parameters())
    changed = 0
    with torch.no_grad():
        for name, a in tensors.items():
            if name.endswith(".lora_A"):
                base = name.removesuffix(".lora_A")
                b = tensors.get(base + ".lora_B")
                weight = params.get(base + ".weight")
                if b is None or weight is None or weight.shape != (b.shape[0], a.shape[1]):
                    raise ModelError(f"adapter tensor {base} does not fit the encoder")
                weight += torch.from_numpy(b @ a * scale).to(weight.dtype)
                changed += 1
            elif not name.endswith(".lora_B"):
                if name not in params or params[name].shape != tensors[name].shape:
                    raise ModelError(f"adapter tensor {name} does not fit the encoder")
                params[name].copy_(torch.from_numpy(tensors[name]))
    return changed
