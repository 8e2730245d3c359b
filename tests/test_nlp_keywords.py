"""Keywords are whole nouns in Korean and Japanese (the analysers' bundled dictionaries), without stop words."""

from __future__ import annotations

import numpy as np

from listening.nlp.keywords import STOP_WORDS, keyword_tokens, script_language
from listening.nlp.scoring import Scorer, model_id_of
from listening.nlp.masking import BrandMask
from listening.nlp.topics import DEFAULT_TOPICS, TopicTaxonomy


def test_korean_keywords_are_nouns_not_syllable_pairs() -> None:
    words = keyword_tokens("카메라 타임라인 보세요. 업데이트 후 스마트홈 앱이 계속 멈춰요", "ko")
    assert words == ["카메라", "타임라인", "업데이트", "스마트홈", "앱"]
    assert not {"메라", "보세", "세요", "임라"} & set(words)


def test_japanese_keywords_are_nouns_and_compounds_stay_whole() -> None:
    words = keyword_tokens("アップデート後にアプリが落ちる。認証サーバーの障害でログインできない", "ja")
    assert {"アプリ", "認証サーバー", "障害", "ログイン"} <= set(words)
    assert not {"アッ", "ップ", "ト後", "プデ", "サーバー"} & set(words)


def test_english_filler_is_not_a_keyword() -> None:
    assert keyword_tokens("Ask HN: is Orbitly profitable yet? Curious what others think. FWIW the hub is great", "en") == [
        "orbitly", "profitable", "hub"]
    assert {"curious", "yet", "ask", "hn"} <= STOP_WORDS["en"]


def test_function_words_of_other_latin_languages_are_not_keywords() -> None:
    """A Spanish outage theme read "exported, format, history, 기능, entre": "entre" is "between"."""
    assert keyword_tokens("Caída de Orbitly: miles de hogares sin control entre fallos, pero ya funciona", "es") == [
        "caída", "orbitly", "miles", "hogares", "control", "fallos", "funciona"]
    assert keyword_tokens("Orbitly est en panne, mais pas pour tous", "fr") == ["orbitly", "panne"]


def test_mixed_posts_get_words_of_every_script() -> None:
    assert keyword_tokens("Matter 연동 지원", "ko") == ["연동", "지원", "matter"]
    assert script_language("障害発生", "ja") == "ja" and script_language("Outage", "en") is None


class _Backend:
    """Stand-in backend: the model id only needs ``model_id`` and phrase embeddings."""

    model_id = "fake+head-1"

    def forward(self, texts, batch_size):
        return np.full((len(texts), 3), 1 / 3), np.ones((len(texts), 4))


def test_model_id_names_the_taxonomy_so_a_new_one_rescores_once() -> None:
    default = Scorer(_Backend(), mask=BrandMask(()))  # type: ignore[arg-type]
    edited = Scorer(_Backend(), TopicTaxonomy({**DEFAULT_TOPICS, "pricing": ["too expensive"]}),  # type: ignore[arg-type]
                    mask=BrandMask(()))
    fingerprint = TopicTaxonomy.default().fingerprint
    assert f"+topics-{fingerprint}+" in default.model_id and f"+topics-{fingerprint}+" in model_id_of("org/x", mask=BrandMask(()))
    assert edited.model_id != default.model_id
    assert TopicTaxonomy.default(threshold=0.5).fingerprint != fingerprint
