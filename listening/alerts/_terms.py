"""The words that drive an alert, per language, without stop words or the brand's own names.

People read these terms in Slack and the UI, so they are whole words, not the character
bigrams the topic model uses: Latin-script words (English, Spanish, French, German stop
words dropped), Korean words with their particles stripped, and Japanese runs of kanji or
katakana (hiragana runs are grammar: particles, endings and auxiliaries).

>>> alert_terms("Orbitly outage: as bad as it gets, logins fail at Orbitlyの hubs", "orbitly")
['outage', 'bad', 'gets', 'logins', 'fail', 'hubs']
>>> alert_terms("오르비틀리 앱 로그인 오류… 이용자가 불만", "오르비틀리")
['로그인', '오류', '이용자', '불만']
>>> alert_terms("オービトリーで大規模障害、アプリにログインできない状態", "オービトリー")
['大規模障害', 'アプリ', 'ログイン', '状態']
"""

from __future__ import annotations

import re

from listening.nlp.keywords import STOPWORDS

__all__ = ["STOP_WORDS", "alert_terms"]

_LATIN_EXTRA = """
as about above after again cannot against also am amid among around because before being below between both
down during each even ever every few further into itself last like many may might much must near new
nor now off once only other out over own per same says said say since still then through under until
up upon us via vs was while whether which whom whose why within without yet yes one two three
its it's i'm i've you're they're we're can't won't isn't don't doesn't didn't let's
""".split()
_KO = """
이번 오늘 어제 내일 현재 관련 대해 대한 위해 통해 따라 있다 없다 했다 한다 된다 있는 없는 하는 되는 우리 저희
그리고 하지만 그러나 그래서 정말 진짜 너무 그냥 계속 모두 다시 이미 아직 지금 측은 측이 뉴스 기자
""".split()
_JA = "今日 本日 現在 今回 一部 場合 情報 記事 関連 速報 時点 以上 以下 可能 予定 発表".split()

#: Stop words per script family; Latin covers every Latin-script language the pipeline labels.
STOP_WORDS = {"latin": frozenset(STOPWORDS | set(_LATIN_EXTRA)), "ko": frozenset(_KO), "ja": frozenset(_JA)}

_WORD = re.compile(r"[\uac00-\ud7af]+|[\u4e00-\u9fff\u3400-\u4dbf々]+|[\u30a0-\u30ff]+|[\u3040-\u309f]+"
                   r"|[^\W\d_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af々]{2,}")
_PARTICLES = sorted("""
에서는 으로는 에게서 까지는 이라는 에서도 으로도 에서 으로 에게 까지 부터 처럼 보다 이나 이라 라는 하고 마저 조차
은 는 이 가 을 를 에 의 로 도 와 과 만 나
""".split(), key=len, reverse=True)


def _korean(word: str) -> str:
    """A Korean word without its trailing particle, when at least two syllables remain."""
    for p in _PARTICLES:
        if word.endswith(p) and len(word) - len(p) >= 2:
            return word[: -len(p)]
    return word


def alert_terms(text: str, names: str = "", limit: int = 30) -> list[str]:
    """Distinct terms of one post, in order, leaving out stop words and the words of ``names`` (the brand's)."""
    own = set(_WORD.findall(names.casefold()))
    out: dict[str, None] = {}
    for tok in _WORD.findall(re.sub(r"https?://\S+|@\w+", " ", text or "").casefold()):
        first = tok[0]
        if "\u3040" <= first <= "\u309f":
            continue
        if "\uac00" <= first <= "\ud7af":
            tok, stop = _korean(tok), STOP_WORDS["ko"]
        elif "\u30a0" <= first <= "\u30ff" or "\u3400" <= first <= "\u9fff" or first == "々":
            stop = STOP_WORDS["ja"]
        else:
            stop = STOP_WORDS["latin"]
        if len(tok) < 2 or tok in stop or tok in own:
            continue
        out.setdefault(tok, None)
    return list(out)[:limit]
