"""Score mentions: sentiment, topic, intents and embedding from one forward pass per text.

Two backends share one interface (``forward(texts) -> (probs, embeddings)``):
the bundled e5 encoder with the committed sentiment head, or any Hugging Face
sequence-classification model (id or local path) whose labels can be read as
negative/neutral/positive. Topics and intents always use the same pass's embeddings.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from listening.errors import ModelError
from listening.nlp.adapter import ADAPTER_WEIGHTS, load_adapter, merge_adapter
from listening.nlp.encoder import (
    DEFAULT_MAX_LENGTH, Encoder, default_threads, installed_encoder_id, length_sorted_batches, mean_pool, padded,
)
from listening.nlp.heads import HEAD_CONFIG, LABEL_NAMES, SentimentHead
from listening.nlp.intent import INTENT_VERSION, OTHER, IntentModel
from listening.nlp.labels import normalise_labels
from listening.nlp.masking import BrandMask, default_mask
from listening.nlp.topics import TopicTaxonomy

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "sentiment"
#: The model reads a text's first 256 tokens, which never take this many characters in real text;
#: tokenising the rest of a 10 MB text would cost ~30 s and 1 GB for nothing.
READ_CHARS = 20_000


def default_model() -> str:
    """``$LISTENING_MODEL`` or the committed head under ``models/sentiment``."""
    return os.environ.get("LISTENING_MODEL") or str(DEFAULT_MODEL_DIR)


# Below this many letters (after URLs, @handles and non-letters are removed) a text says too little
# to judge: it is neutral with low confidence rather than whatever the head makes of noise.
MIN_LETTERS = 3
UNJUDGEABLE = (0.3, 0.4, 0.3)
_URL_OR_HANDLE = re.compile(r"(?:https?://|www\.)\S+|@\w+")


def too_short_to_judge(text: str) -> bool:
    """Whether ``text`` holds fewer than :data:`MIN_LETTERS` letters once URLs, handles, emoji,
    digits and punctuation are gone (a wide CJK character or Hangul syllable counts as two).

    >>> [too_short_to_judge(t) for t in ("", "👍👍 https://x.co/a", "@acme !!", "좋", "ok", "최고", "Nice!")]
    [True, True, True, True, True, False, False]
    """
    stripped = _URL_OR_HANDLE.sub(" ", text)
    letters = sum(
        2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in stripped
        if unicodedata.category(ch).startswith("L")
    )
    return letters < MIN_LETTERS


def judgeable(texts: Sequence[str], probs: np.ndarray, mask: BrandMask | None = None) -> np.ndarray:
    """``probs`` with the rows of texts too short to judge (brand names of ``mask`` not counted)
    set to :data:`UNJUDGEABLE`."""
    for i, text in enumerate(texts):
        if too_short_to_judge(mask.remove(text) if mask else text):
            probs[i] = UNJUDGEABLE
    return probs


@dataclass(frozen=True, slots=True)
class Score:
    """Model output for one text."""

    sentiment: str
    p_negative: float
    p_neutral: float
    p_positive: float
    topic: str
    embedding: np.ndarray
    intents: str = OTHER


class HeadBackend:
    """Bundled e5 encoder + trained head: one pass gives features and embedding."""

    def __init__(self, head_dir: Path, home: Path | None = None, threads: int | None = None) -> None:
        self.head = SentimentHead.from_pretrained(head_dir)
        max_length = int(self.head.config.get("max_length", DEFAULT_MAX_LENGTH))
        self.encoder = Encoder.default(home, max_length=max_length, threads=threads)
        if self.head.encoder_id and self.head.encoder_id != self.encoder.encoder_id:
            raise ModelError(
                f"head in {head_dir} was trained on encoder {self.head.encoder_id}, "
                f"but {self.encoder.encoder_id} is installed"
            )
        adapter = load_adapter(head_dir)
        if adapter is not None:
            merge_adapter(self.encoder.model, adapter, self.head.config["adapter"])
            # A head refitted on the same adapter names the adapter's own run, so cached features stay valid.
            self.encoder.encoder_id += f"+lora-{self.head.config.get('adapter_version', self.head.version)}"
        self.model_id = f"{self.encoder.encoder_id}+head-{self.head.version}"

    def forward(self, texts: Sequence[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        out = self.encoder.encode(texts, batch_size=batch_size)
        return self.head.predict_proba(out.features), out.embeddings


class HFClassifierBackend:
    """Any transformers sequence classifier; embeddings = mean-pooled last layer."""

    def __init__(self, model, tokenizer, model_id: str, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.order = normalise_labels(model.config.id2label)
        self.max_length = max_length
        self.model_id = model_id

    @classmethod
    def from_pretrained(cls, model: str, threads: int | None = None) -> HFClassifierBackend:
        """Load a classifier by hub id (cache only when offline) or local path."""
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        torch.set_num_threads(threads or default_threads())
        local = Path(model).is_dir()
        offline = local or os.environ.get("HF_HUB_OFFLINE") == "1"
        try:
            tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=offline)
            classifier = AutoModelForSequenceClassification.from_pretrained(
                model, local_files_only=offline, dtype=torch.float32
            )
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load sequence-classification model {model!r}: {exc}") from exc
        return cls(classifier, tokenizer, f"hf:{Path(model).resolve() if local else model}")

    def forward(self, texts: Sequence[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        import torch

        n = len(texts)
        probs = np.zeros((n, 3), dtype=np.float32)
        emb = np.zeros((n, self.model.config.hidden_size), dtype=np.float32)
        if n == 0:
            return probs, emb
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        pad = self.tokenizer.pad_token_id or 0
        for batch in length_sorted_batches([len(x) for x in ids], batch_size):
            input_ids, mask = padded([ids[i] for i in batch], pad)
            with torch.inference_mode():
                out = self.model(input_ids=input_ids, attention_mask=mask, output_hidden_states=True)
            p = torch.softmax(out.logits.float(), dim=-1).numpy()
            for slot, cols in enumerate(self.order):
                probs[batch, slot] = p[:, cols].sum(axis=1)
            pooled = mean_pool(out.hidden_states[-1].float(), mask)
            emb[batch] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
        return probs, emb


class Scorer:
    """Sentiment + topic + intents + embedding for batches of texts; build once per process.

    ``mask``: brand names masked (by default removed) before the encoder reads a text, so
    the score does not depend on which brand is named (default: no names).
    """

    def __init__(self, backend: HeadBackend | HFClassifierBackend, taxonomy: TopicTaxonomy | None = None,
                 intent_model: IntentModel | None = None, mask: BrandMask | None = None) -> None:
        self.backend = backend
        self.mask = mask or BrandMask(())
        self.taxonomy = taxonomy or TopicTaxonomy.default()
        self.taxonomy.prepare(lambda phrases: backend.forward(phrases, 32)[1])
        self.intent_model = intent_model or IntentModel()
        self.intent_model.prepare(lambda phrases: backend.forward(phrases, 32)[1])

    @classmethod
    def load(cls, model: str | Path | None = None, home: Path | None = None, threads: int | None = None,
             mask: BrandMask | None = None) -> Scorer:
        """Open a head directory (default: the committed one) or a HF classifier id/path."""
        model = str(model or default_model())
        if SentimentHead.is_head_dir(Path(model)):
            return cls(HeadBackend(Path(model), home=home, threads=threads), mask=mask)
        if model == str(DEFAULT_MODEL_DIR):
            raise ModelError(f"the bundled sentiment head is missing from {model}; run `listening model train`")
        if model.startswith((".", "/", "~")) and not Path(model).expanduser().is_dir():
            raise ModelError(f"model directory {model} does not exist")
        return cls(HFClassifierBackend.from_pretrained(model, threads=threads), mask=mask)

    @property
    def model_id(self) -> str:
        """Identifies encoder + head (or classifier) + topics + intent rules + brand mask; use it in cache keys."""
        masked = f"+mask-{self.mask.fingerprint}" if self.mask else ""
        return f"{self.backend.model_id}+topics-{self.taxonomy.fingerprint}+intents-{INTENT_VERSION}{masked}"

    def with_mask(self, mask: BrandMask) -> Scorer:
        """This scorer (same loaded model and topics) masking ``mask``'s names instead."""
        other = copy.copy(self)
        other.mask = mask
        return other

    def probabilities(self, texts: Sequence[str], forward: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Sentiment probabilities of ``texts`` through ``forward`` (masked texts -> probabilities),
        as :meth:`score` gives them: names masked, too-short texts a low-confidence neutral."""
        return judgeable(texts, forward([self.mask.apply(t) for t in texts]), self.mask)

    def score(self, texts: Sequence[str], batch_size: int = 32) -> list[Score]:
        """Score texts (order preserved); a text too short to judge once brand names, URLs and
        emoji are gone is neutral with low confidence and has no intent (``other``)."""
        texts = [t[:READ_CHARS] if isinstance(t, str) else "" for t in texts]
        probs, emb = self.backend.forward([self.mask.apply(t) for t in texts], batch_size)
        probs = judgeable(texts, probs, self.mask)
        topics = self.taxonomy.assign(emb)
        assigned = self.intent_model.assign(texts, emb, probs)
        intents = [OTHER if too_short_to_judge(self.mask.remove(t) if self.mask else t) else i
                   for t, i in zip(texts, assigned, strict=True)]
        return [
            Score(
                sentiment=LABEL_NAMES[int(np.argmax(p))],
                p_negative=float(p[0]),
                p_neutral=float(p[1]),
                p_positive=float(p[2]),
                topic=topic,
                embedding=e,
                intents=intent,
            )
            for p, e, topic, intent in zip(probs, emb, topics, intents, strict=True)
        ]


def model_id_of(model: str | Path | None = None, home: Path | None = None, mask: BrandMask | None = None) -> str:
    """The :attr:`Scorer.model_id` that ``model`` scores under, read from its config file: no weights are loaded.

    What a store query needs (which texts this model has scored) without the ~1 GB load and seconds it costs;
    ``tests/test_nlp_model.py`` checks it against a loaded scorer.
    """
    model = str(model or default_model())
    mask = default_mask() if mask is None else mask
    topics = f"+topics-{TopicTaxonomy.default().fingerprint}+intents-{INTENT_VERSION}" + (f"+mask-{mask.fingerprint}" if mask else "")
    path = Path(model)
    if SentimentHead.is_head_dir(path):
        try:
            config = json.loads((path / HEAD_CONFIG).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read the sentiment head's config in {path}: {exc}") from exc
        version = str(config.get("head_version", "unversioned"))
        encoder_id = str(config.get("encoder_id", "")) or installed_encoder_id(home)
        if (path / ADAPTER_WEIGHTS).is_file():
            encoder_id += f"+lora-{config.get('adapter_version', version)}"
        return f"{encoder_id}+head-{version}{topics}"
    if model == str(DEFAULT_MODEL_DIR):
        raise ModelError(f"the bundled sentiment head is missing from {model}; run `listening model train`")
    if model.startswith((".", "/", "~")) and not path.expanduser().is_dir():
        raise ModelError(f"model directory {model} does not exist")
    return f"hf:{path.resolve() if path.is_dir() else model}{topics}"


_CACHE: dict[tuple[str, str], Scorer] = {}
_LOCK = threading.Lock()


def get_scorer(model: str | Path | None = None, home: Path | None = None) -> Scorer:
    """Process-wide cached :class:`Scorer` (loading costs seconds and ~1 GB), masking the brand
    names of ``$LISTENING_CONFIG`` (else the demo config's), as every pipeline step reads that config."""
    mask = default_mask()
    key = (str(model or default_model()), str(home or ""))
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = Scorer.load(model, home, mask=mask)
        elif _CACHE[key].mask.fingerprint != mask.fingerprint:  # another config: same model, other names
            _CACHE[key] = _CACHE[key].with_mask(mask)
        return _CACHE[key]
