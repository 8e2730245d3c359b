"""The shared multilingual sentence encoder: one forward pass, several uses.

A single pass yields the L2-normalised mean-pooled sentence embedding (topics,
emerging themes) and a wider feature vector built from a few layers' mean
pools (input of the sentiment head).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from listening.errors import ModelError

DEFAULT_MAX_LENGTH = 256
QUERY_PREFIX = "query: "
FEATURE_LAYERS = (12, 9, 6)


def default_threads() -> int:
    """Torch threads: ``$LISTENING_THREADS`` or the CPU count, capped at 8."""
    env = os.environ.get("LISTENING_THREADS")
    if env:
        return max(1, int(env))
    return max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True)
class Encoded:
    """Per-text outputs of one encoder pass, rows in input order."""

    embeddings: np.ndarray
    features: np.ndarray


def mean_pool(hidden, mask):
    """Average token states over the attention mask.

    >>> import torch
    >>> h = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]]])
    >>> mean_pool(h, torch.tensor([[1, 1, 0]])).tolist()
    [[2.0, 3.0]]
    """
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def padded(seqs: Sequence[Sequence[int]], pad: int):
    """(input_ids, attention_mask) as long tensors, right-padded to the longest sequence.

    >>> ids, mask = padded([[5, 6, 7], [8]], pad=1)
    >>> ids.tolist(), mask.tolist()
    ([[5, 6, 7], [8, 1, 1]], [[1, 1, 1], [1, 0, 0]])
    """
    import torch

    width = max(len(s) for s in seqs)
    ids = np.full((len(seqs), width), pad, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def pooled_features(hidden_states, mask):
    """Head input [n, hidden * len(FEATURE_LAYERS)]: mean pools of the feature layers.

    The first block (layer 12) is L2-normalised: it doubles as the sentence embedding.
    """
    import torch

    pools = [mean_pool(hidden_states[layer].float(), mask) for layer in FEATURE_LAYERS]
    pools[0] = torch.nn.functional.normalize(pools[0], dim=-1)
    return torch.cat(pools, dim=-1)


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Group indices of similar length so padding stays small.

    >>> length_sorted_batches([5, 1, 3, 2], 2)
    [[1, 3], [2, 0]]
    """
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _encoder_id(path: Path) -> str:
    marker = path / "conversion.json"
    if marker.is_file():
        return str(json.loads(marker.read_text()).get("encoder_id", path.name))
    return path.name


def installed_encoder_id(home: Path | None = None) -> str:
    """The id of the converted encoder under ``$LISTENING_HOME`` (what :meth:`Encoder.default` loads), without loading it."""
    from listening.nlp.convert import ENCODER_DIR_NAME, listening_home

    return _encoder_id(listening_home(home) / "models" / ENCODER_DIR_NAME)


def bf16_is_fast() -> bool:
    """bf16 autocast only pays off with native bf16 units (AVX512-BF16/AMX).

    Measured on an AVX2-only CPU: bf16 autocast kept embeddings at cosine
    0.99999 to fp32 but ran 6-8x slower, so it is off there. ``LISTENING_BF16=0``
    or ``1`` overrides the detection (benchmarks compare both).
    """
    forced = os.environ.get("LISTENING_BF16", "").strip().lower()
    if forced in ("0", "1", "false", "true", "no", "yes"):
        return forced in ("1", "true", "yes")
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class Encoder:
    """multilingual-e5-small (or any BERT-like encoder directory) on CPU."""

    def __init__(
        self,
        path: Path,
        *,
        max_length: int = DEFAULT_MAX_LENGTH,
        bf16: bool | None = None,
        threads: int | None = None,
        prefix: str = QUERY_PREFIX,
    ) -> None:
        import torch
        from transformers import AutoTokenizer, BertModel
        from transformers.utils import logging as hf_logging

        torch.set_num_threads(threads or default_threads())
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        logging.getLogger("transformers").setLevel(logging.ERROR)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path))
            self.model = BertModel.from_pretrained(
                str(path), add_pooling_layer=False, dtype=torch.float32
            ).eval()
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the encoder from {path}: {exc}") from exc
        self.path = Path(path)
        self.max_length = max_length
        self.bf16 = bf16_is_fast() if bf16 is None else bf16
        self.prefix = prefix
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 1
        self.encoder_id = _encoder_id(self.path)

    @classmethod
    def default(cls, home: Path | None = None, **kwargs) -> Encoder:
        """The bundled multilingual-e5-small, converted on first use."""
        from listening.nlp.convert import ensure_encoder

        return cls(ensure_encoder(home), **kwargs)

    @property
    def cache_key(self) -> str:
        """Identifies what :meth:`encode` computes (weights, truncation, layers)."""
        layers = "-".join(map(str, FEATURE_LAYERS))
        return f"{self.encoder_id}|max{self.max_length}|L{layers}|{self.prefix.strip()}"

    @property
    def dim(self) -> int:
        """Size of the sentence embedding."""
        return int(self.model.config.hidden_size)

    @property
    def feature_dim(self) -> int:
        """Size of the head-input feature vector."""
        return self.dim * len(FEATURE_LAYERS)

    def _inference_model(self):
        """The model, cast to bf16 once on first use where bf16 is fast.

        Casting once (after any adapter was merged in fp32) instead of autocasting
        every batch avoids re-converting the weights per call: measured 1.0
        agreement of sentiment labels and embedding cosine 0.99999 to fp32.
        """
        import torch

        if self.bf16 and self.model.dtype != torch.bfloat16:
            self.model = self.model.to(torch.bfloat16)
        return self.model

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids (with ``<s>``/``</s>``), prefixed and truncated."""
        enc = self.tokenizer(
            [self.prefix + (t or "") for t in texts],
            truncation=True,
            max_length=self.max_length,
            add_special_tokens=True,
        )
        return enc["input_ids"]

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> Encoded:
        """Embed texts in length-sorted batches; ``progress`` gets rows done per batch."""
        import torch

        n = len(texts)
        emb = np.zeros((n, self.dim), dtype=np.float32)
        feats = np.zeros((n, self.feature_dim), dtype=np.float32)
        if n == 0:
            return Encoded(emb, feats)
        ids = self.tokenize(texts)
        for batch in length_sorted_batches([len(x) for x in ids], batch_size):
            input_ids, mask = padded([ids[i] for i in batch], self.pad_id)
            with torch.inference_mode():
                out = self._inference_model()(input_ids=input_ids, attention_mask=mask, output_hidden_states=True)
            feats[batch] = pooled_features(out.hidden_states, mask).numpy()
            emb[batch] = feats[batch, : self.dim]
            if progress is not None:
                progress(len(batch))
        return Encoded(emb, feats)
