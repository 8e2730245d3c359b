"""Topic assignment and emerging themes from sentence embeddings.

Everything works on the L2-normalised embeddings the scorer already computed,
so topics cost no extra encoder pass per mention; only the taxonomy's example
phrases are embedded, once.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from listening.nlp.keywords import keyword_tokens
from listening.nlp.topic_phrases import OTHER, TOPIC_PHRASES

DEFAULT_TOPIC_THRESHOLD = 0.82
DEFAULT_TOPICS = TOPIC_PHRASES

EmbedFn = Callable[[Sequence[str]], np.ndarray]


class TopicTaxonomy:
    """Named topics, each described by example phrases in any language.

    A text gets the topic whose closest example phrase has the highest cosine,
    or ``"other"`` when that cosine is below ``threshold``.
    """

    def __init__(self, topics: dict[str, list[str]], threshold: float = DEFAULT_TOPIC_THRESHOLD) -> None:
        if not topics or any(not phrases for phrases in topics.values()):
            raise ValueError("every topic needs at least one example phrase")
        self.topics = {name: list(phrases) for name, phrases in topics.items()}
        self.threshold = threshold
        self._names = [name for name, phrases in self.topics.items() for _ in phrases]
        self._phrase_emb: np.ndarray | None = None

    @classmethod
    def default(cls, threshold: float = DEFAULT_TOPIC_THRESHOLD) -> TopicTaxonomy:
        """The shipped brand-listening taxonomy (en/ko/ja examples, ``listening.nlp.topic_phrases``)."""
        return cls(DEFAULT_TOPICS, threshold)

    @property
    def fingerprint(self) -> str:
        """Short hash of the topics, their phrases and the threshold: part of the scorer's model id,
        so editing the taxonomy re-scores stored mentions once instead of mixing two taxonomies.

        >>> TopicTaxonomy({"a": ["x"]}).fingerprint == TopicTaxonomy({"a": ["x"]}, 0.5).fingerprint
        False
        """
        content = json.dumps([self.topics, f"{self.threshold:g}"], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()[:10]

    def prepare(self, embed: EmbedFn) -> None:
        """Embed the example phrases once, with the same encoder as the texts."""
        phrases = [p for ps in self.topics.values() for p in ps]
        self._phrase_emb = _normalise(np.asarray(embed(phrases), dtype=np.float32))

    def similarities(self, embeddings: np.ndarray) -> dict[str, np.ndarray]:
        """Per topic, the best cosine of each text to its example phrases."""
        if self._phrase_emb is None:
            raise RuntimeError("call prepare(embed) before assigning topics")
        sims = _normalise(embeddings) @ self._phrase_emb.T
        names = np.array(self._names)
        return {name: sims[:, names == name].max(axis=1) for name in self.topics}

    def assign(self, embeddings: np.ndarray) -> list[str]:
        """Topic name per embedding row (``"other"`` below the threshold)."""
        if len(embeddings) == 0:
            return []
        per_topic = self.similarities(embeddings)
        names = list(per_topic)
        table = np.stack([per_topic[n] for n in names], axis=1)
        best = table.argmax(axis=1)
        return [names[b] if table[i, b] >= self.threshold else OTHER for i, b in enumerate(best)]


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class Theme:
    """One cluster of similar mentions."""

    size: int
    keywords: list[str]
    representative: int
    members: list[int] = field(repr=False)
    languages: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Human-readable name: the top keywords."""
        return ", ".join(self.keywords[:3]) or f"theme #{self.representative}"


def _kmeans(x: np.ndarray, k: int, seed: int, iterations: int = 30) -> np.ndarray:
    """Spherical k-means with k-means++ seeding; returns a label per row."""
    rng = np.random.default_rng(seed)
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        dist = np.clip(1.0 - np.max(x @ np.stack(centres).T, axis=1), 0.0, None)
        total = dist.sum()
        idx = rng.integers(len(x)) if total <= 0 else rng.choice(len(x), p=dist / total)
        centres.append(x[idx])
    c = np.stack(centres)
    labels = np.zeros(len(x), dtype=int)
    for _ in range(iterations):
        new = (x @ c.T).argmax(axis=1)
        if _ > 0 and np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c[j] = _normalise(members.mean(axis=0))[0]
    return labels


def _merge_similar(x: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Join the two most similar clusters while their centres' cosine is >= ``threshold``.

    >>> x = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0]])
    >>> _merge_similar(x, np.array([0, 1, 2]), 0.95).tolist()
    [0, 0, 2]
    """
    labels = labels.copy()
    while True:
        ids = np.unique(labels)
        if len(ids) < 2:
            return labels
        centres = _normalise(np.stack([x[labels == j].mean(axis=0) for j in ids]))
        sim = centres @ centres.T
        np.fill_diagonal(sim, -np.inf)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] < threshold:
            return labels
        labels[labels == ids[b]] = ids[a]


def cluster_themes(
    embeddings: np.ndarray,
    texts: Sequence[str],
    langs: Sequence[str] | None = None,
    *,
    k: int | None = None,
    min_size: int = 3,
    n_keywords: int = 5,
    seed: int = 0,
    merge_above: float | None = None,
) -> list[Theme]:
    """Group mentions into themes (largest first) with keywords and a representative.

    ``k`` defaults to about sqrt(n/2); clusters smaller than ``min_size`` are
    dropped. Keywords (nouns in Korean and Japanese, ``listening.nlp.keywords``) are ranked by
    class-based TF-IDF against all texts.
    With ``merge_above``, clusters whose centres are at least that similar are
    joined, so a generous ``k`` can over-split without splitting one theme in two.
    """
    n = len(texts)
    if n == 0:
        return []
    x = _normalise(embeddings)
    k = max(1, min(n, k or round(math.sqrt(n / 2))))
    labels = _kmeans(x, k, seed)
    if merge_above is not None:
        labels = _merge_similar(x, labels, merge_above)
    docs = [set(keyword_tokens(t, langs[i] if langs is not None else None)) for i, t in enumerate(texts)]
    df = Counter(tok for d in docs for tok in d)
    themes = []
    for j in range(k):
        members = np.nonzero(labels == j)[0]
        if len(members) < min_size:
            continue
        centre = _normalise(x[members].mean(axis=0))[0]
        rep = int(members[np.argmax(x[members] @ centre)])
        tf = Counter(tok for i in members for tok in docs[i])
        ranked = sorted(tf, key=lambda t: (-tf[t] * math.log(1 + n / df[t]), t))
        keywords = [t for t in ranked if tf[t] >= 2][:n_keywords]
        lang_counts = Counter(langs[i] for i in members) if langs is not None else Counter()
        themes.append(Theme(len(members), keywords, rep, members.tolist(), dict(lang_counts)))
    return sorted(themes, key=lambda t: (-t.size, t.representative))
