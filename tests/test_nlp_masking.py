"""Brand names masked before scoring (issue 16, point 5): which names, where, and what stays untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from listening.config import brand_names
from listening.errors import ConfigError
from listening.nlp.masking import BrandMask, configured_names
from listening.nlp.robustness import format_robustness, name_inserted, robustness
from listening.replay import DEMO_CONFIG

DEMO_NAMES = ["orbitly", "Orbitly", "오르비틀리", "オービトリー", "vantro", "Vantro", "반트로", "ヴァントロ",
              "kestrel", "Kestrel Home", "Kestrel", "케스트럴", "ケストレル", "케스트럴 홈", "ケストレル・ホーム"]


def test_demo_config_gives_every_key_name_and_alias_without_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLAY_URL", raising=False)
    monkeypatch.delenv("LISTENING_CONFIG", raising=False)
    assert brand_names(DEMO_CONFIG) == DEMO_NAMES
    assert configured_names() == DEMO_NAMES


def test_configured_names_follow_listening_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("brands:\n  - {key: acme, name: Acme Cloud, aliases: [Acme, 아크미, '${NOT_SET}x']}\n  - oops\n",
                    encoding="utf-8")
    monkeypatch.setenv("LISTENING_CONFIG", str(path))
    assert configured_names() == ["acme", "Acme Cloud", "Acme", "아크미", "${NOT_SET}x"]


@pytest.mark.parametrize("text", ["brands: 3\n", "- a\n", "brands: [\n"], ids=["not-a-list", "not-a-mapping", "bad-yaml"])
def test_a_config_without_a_brand_list_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="c.yaml"):
        brand_names(path)


@pytest.mark.parametrize(("text", "masked"), [
    pytest.param("Orbitly raised a Series B", "X raised a Series B", id="latin"),
    pytest.param("ORBITLY's app, orbitly.", "X's app, X.", id="any-case"),
    pytest.param("@orbitly #Vantro", "@X #X", id="handle-and-tag"),
    pytest.param("오르비틀리의 앱이 반트로보다 낫다", "X의 앱이 X보다 낫다", id="hangul-with-particles"),
    pytest.param("オービトリーのアプリとヴァントロ", "XのアプリとX", id="katakana"),
    pytest.param("Ｏｒｂｉｔｌｙ 最高", "X 最高", id="full-width"),
    pytest.param("Kestrel  Home hub vs kestrel", "X hub vs X", id="longest-name-first"),
    pytest.param("Orbitlyfan and orbit", "Orbitlyfan and orbit", id="word-boundaries"),
])
def test_every_configured_name_becomes_the_placeholder(text: str, masked: str) -> None:
    assert BrandMask(DEMO_NAMES, placeholder="X").apply(text) == masked


@pytest.mark.parametrize(("text", "left"), [
    pytest.param("Orbitly: Great update", "Great update", id="headline-prefix"),
    pytest.param("[오르비틀리] 신제품 출시", "신제품 출시", id="bracket-tag"),
    pytest.param("【オービトリー】新機能", "新機能", id="japanese-bracket"),
    pytest.param("@vantro why is it down #Vantro", "why is it down", id="handle-and-hashtag"),
    pytest.param("Prices go up - Kestrel Home", "Prices go up", id="publisher-tail"),
    pytest.param("Orbitly raised a Series B", "raised a Series B", id="subject"),
    pytest.param("오르비틀리, 시리즈B 투자 유치", "시리즈B 투자 유치", id="headline-comma"),
    pytest.param("오르비틀리의 앱이 반트로보다 낫다", "의 앱이 보다 낫다", id="hangul-in-sentence"),
    pytest.param("Orbitly vs Vantro: who wins?", "vs who wins?", id="two-names"),
])
def test_the_default_mask_removes_the_name_and_what_framed_it(text: str, left: str) -> None:
    assert BrandMask(DEMO_NAMES).apply(text) == left


def test_text_without_a_name_is_left_byte_for_byte() -> None:
    text = "Ｆｕｌｌ-width text, no brand\u00a0here"
    assert BrandMask(DEMO_NAMES).apply(text) is text


def test_only_the_name_changes_in_a_text_that_names_a_brand() -> None:
    # NFKC would turn these compatibility jamo into conjoining jamo, which the encoder reads as other tokens.
    assert BrandMask(DEMO_NAMES).apply("오르비틀리 ㅋㅋ 좋아요 ㅠㅠ") == "ㅋㅋ 좋아요 ㅠㅠ"
    assert BrandMask(DEMO_NAMES, placeholder="X").apply("Ｏｒｂｉｔｌｙ ㅋㅋ") == "X ᄏᄏ"


def test_fingerprint_changes_with_names_and_placeholder() -> None:
    prints = {BrandMask(DEMO_NAMES).fingerprint, BrandMask(DEMO_NAMES[:3]).fingerprint,
              BrandMask(DEMO_NAMES, placeholder="X").fingerprint}
    assert len(prints) == 3
    assert not BrandMask([]) and BrandMask(DEMO_NAMES)


def test_robustness_compares_named_and_masked_texts_with_the_bare_ones() -> None:
    texts = ["bad app", "fine app", "great app", "awful app"]

    def probs_of(batch, mask):
        # A model that turns negative whenever "Orbitly" is in the text it reads.
        rows = [[0.8, 0.1, 0.1] if "bad" in t or "awful" in t or "Orbitly" in t else [0.1, 0.1, 0.8] for t in
                (mask.apply(t) if mask else t for t in batch)]
        return np.array(rows)

    mask = BrandMask(["Orbitly"], placeholder="it")
    result = robustness(texts, [0, 2, 2, 0], ["en"] * 4, ["Orbitly"], mask, probs_of, rows=10)
    en = result["en"]
    assert en["neg_bare"] == 0.5 and en["neg_named"] == 1.0 and en["neg_named_masked"] == 0.5
    assert en["f1_named_masked"] == en["f1_bare"] > en["f1_named"]
    assert "named masked" in format_robustness(result, "it")
    assert "Orbitly" in name_inserted("fine app", ["Orbitly"])
