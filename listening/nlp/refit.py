"""Refit the sentiment head on the adapted encoder, on a CPU, without touching the adapter.

Issue 16: Korean and Japanese had only binary training data, so the head learnt
"ko/ja text is never neutral", and brand names moved labels. Fine-tuning the
encoder again needs a GPU; the head alone does not. This keeps the committed
LoRA adapter (so inference cost and the topic embedding are unchanged), embeds a
capped, class-balanced sample once (cached by :mod:`listening.nlp.featcache`),
and trains the head from the committed head's weights with

* the 3-class Korean/Japanese files, balanced per origin and class;
* binary-only files (:data:`BINARY_SOURCES`) on the positive-vs-negative odds
  only: their neutral logit is masked out of the loss, so they teach nothing
  about neutral;
* a brand-named copy of a quarter of the rows (:func:`brandnames.augmented`).
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from listening.errors import ModelError
from listening.nlp.brandnames import augmented
from listening.nlp.data import BINARY_SOURCES, Example, balanced, load_split, report_groups, text_hash
from listening.nlp.evaluation import evaluate
from listening.nlp.featcache import cached_features
from listening.nlp.heads import SentimentHead

DEFAULT_PER_FILE = {
    "umsab_train_val": 2500,
    "tweeteval_en": 1000,
    "nsmc_ko": 1000,
    "amazon_ja": 1000,
    "ko3_train": 3000,
    "ja3_train": 3000,
}


@dataclass
class RefitConfig:
    """What determines the refitted head (recorded in its config.json)."""

    per_file: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PER_FILE))
    brand_share: float = 0.25
    epochs: int = 6
    lr: float = 3e-4
    weight_decay: float = 0.01
    batch_size: int = 128
    dropout: float = 0.2
    seed: int = 13
    validation_cap: int = 400  # rows per file scored into config.json (a prefix of the full split; CPU time)


def training_rows(data_dir: Path, cfg: RefitConfig) -> list[Example]:
    """The refit sample: balanced per file, plus brand-named copies of ``brand_share`` of it."""
    sets = load_split(data_dir, "train", max_per_source=0)
    rows: list[Example] = []
    for name, examples in sets.items():
        rows.extend(balanced(examples, cfg.per_file.get(name, 0)))
    copies = [
        Example(augmented(e.text), e.label, e.lang, e.source, e.origin)
        for e in rows
        if int(text_hash("brand:" + e.text)[:8], 16) % 1000 < cfg.brand_share * 1000
    ]
    return rows + copies


def _masks(rows: list[Example]) -> np.ndarray:
    """Per row, which logits the loss may use: binary files never see the neutral one."""
    mask = np.ones((len(rows), 3), dtype=bool)
    for i, e in enumerate(rows):
        if e.source in BINARY_SOURCES:
            mask[i, 1] = False
    return mask


def fit(head: SentimentHead, x: np.ndarray, y: np.ndarray, mask: np.ndarray, cfg: RefitConfig) -> dict:
    """Train a copy of ``head``'s MLP (same standardisation) and return its weights."""
    import torch

    torch.set_num_threads(1)  # a small MLP: more threads only spin on a shared CPU
    torch.manual_seed(cfg.seed)
    w = head.weights
    xt = torch.from_numpy(((x - w["mean"]) / w["std"]).astype(np.float32))
    yt = torch.from_numpy(y.astype(np.int64))
    mt = torch.from_numpy(mask)
    hidden = w["w1"].shape[0]
    mlp = torch.nn.Sequential(
        torch.nn.Dropout(cfg.dropout / 2),
        torch.nn.Linear(xt.shape[1], hidden),
        torch.nn.GELU(approximate="tanh"),
        torch.nn.Dropout(cfg.dropout),
        torch.nn.Linear(hidden, 3),
    )
    with torch.no_grad():
        for layer, name in ((mlp[1], "1"), (mlp[4], "2")):
            layer.weight.copy_(torch.from_numpy(w[f"w{name}"]))
            layer.bias.copy_(torch.from_numpy(w[f"b{name}"]))
    optim = torch.optim.AdamW(mlp.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optim, T_max=cfg.epochs)
    generator = torch.Generator().manual_seed(cfg.seed)
    for _ in range(cfg.epochs):
        mlp.train()
        order = torch.randperm(len(xt), generator=generator)
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            logits = mlp(xt[idx]).masked_fill(~mt[idx], float("-inf"))
            optim.zero_grad()
            torch.nn.functional.cross_entropy(logits, yt[idx]).backward()
            optim.step()
        sched.step()
    return {
        "mean": w["mean"],
        "std": w["std"],
        "w1": mlp[1].weight.detach().numpy(),
        "b1": mlp[1].bias.detach().numpy(),
        "w2": mlp[4].weight.detach().numpy(),
        "b2": mlp[4].bias.detach().numpy(),
    }


def refit(
    base_dir: Path,
    data_dir: Path,
    out: Path,
    cfg: RefitConfig,
    cache: Path,
    log: Callable[[str], None] = print,
) -> dict:
    """Refit the head in ``base_dir`` (adapter kept) and save head + adapter + config to ``out``."""
    import shutil

    import torch

    from listening.nlp.adapter import ADAPTER_WEIGHTS
    from listening.nlp.scoring import HeadBackend

    backend = HeadBackend(base_dir)
    base = backend.head
    rows = training_rows(data_dir, cfg)
    val_sets = load_split(data_dir, "validation", max_validation=cfg.validation_cap)
    val = [e for exs in val_sets.values() for e in exs]
    log(f"embedding {len(rows)} training and {len(val)} validation texts (cached)")
    x = cached_features(backend.encoder, [e.text for e in rows], cache)
    xv = cached_features(backend.encoder, [e.text for e in val], cache)
    y = np.array([e.label for e in rows])
    weights = fit(base, x, y, _masks(rows), cfg)
    digest = hashlib.sha256(b"".join(v.astype(np.float16).tobytes() for v in weights.values()))
    counts: dict[str, int] = defaultdict(int)
    for e in rows:
        counts[e.source] += 1
    config = dict(base.config)
    config.update(
        head_version=digest.hexdigest()[:12],
        adapter_version=base.config.get("adapter_version", base.version),
        refit={
            "method": "refit (head only, adapter kept)",
            "base_head": base.version,
            **asdict(cfg),
            "train_rows_with_brand_copies": dict(sorted(counts.items())),
            "binary_sources_pos_vs_neg_only": sorted(BINARY_SOURCES),
            "environment": {"python": platform.python_version(), "torch": torch.__version__},
        },
    )
    config["data"] = dict(config.get("data", {}))
    config["data"]["validation_rows"] = {k: len(v) for k, v in val_sets.items()}
    head = SentimentHead({k: v.astype(np.float16).astype(np.float32) for k, v in weights.items()}, config)
    head.config["validation_metrics"] = evaluate(
        [e.label for e in val], head.predict_proba(xv), report_groups(val)
    )
    head.save_pretrained(out)
    if Path(out).resolve() != Path(base_dir).resolve():
        shutil.copyfile(Path(base_dir) / ADAPTER_WEIGHTS, Path(out) / ADAPTER_WEIGHTS)
    if not SentimentHead.is_head_dir(out):
        raise ModelError(f"head was not written to {out}")
    (Path(out) / "config.json").write_text(json.dumps(head.config, indent=2, ensure_ascii=False) + "\n")
    return head.config
