"""Multilingual encoder, sentiment and topic heads, scoring, training and evaluation.

The pipeline needs only this surface: ``get_scorer().score(texts)`` gives a
:class:`Score` per text (sentiment, probabilities, topic, intents, embedding), and
``Scorer.model_id`` keys caches. Torch and transformers load lazily.
"""

from listening.nlp.convert import ensure_encoder
from listening.nlp.intent import INTENTS, IntentModel
from listening.nlp.scoring import Score, Scorer, get_scorer
from listening.nlp.topics import DEFAULT_TOPICS, OTHER, Theme, TopicTaxonomy, cluster_themes

__all__ = [
    "DEFAULT_TOPICS",
    "INTENTS",
    "IntentModel",
    "OTHER",
    "Score",
    "Scorer",
    "Theme",
    "TopicTaxonomy",
    "cluster_themes",
    "ensure_encoder",
    "get_scorer",
]
