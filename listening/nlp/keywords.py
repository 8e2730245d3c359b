"""Keywords people can read: whole nouns per language, never pieces of words.

Korean and Japanese do not mark word boundaries the way English does: Korean words carry
particles and endings (카메라가, 보세요), Japanese runs words together (アップデート後に). Cutting
such text into character pairs gave digest themes like "메라" or "アッ". Here a morphological
analyser with a bundled dictionary reads the text instead: Kiwi (``kiwipiepy``) for Korean and
Sudachi (``sudachipy`` + ``sudachidict-core``) for Japanese. Keywords are their nouns; nouns
written together without a space (스마트홈 = 스마트 + 홈, 認証サーバー = 認証 + サーバー) stay one
keyword, as the writer wrote them. Latin-script words are taken whole. Each language has stop
words: nouns and words that say nothing about a subject (것, こと, "anyone", "curious").

The analysers load on first use, once per process (Kiwi takes seconds and ~0.5 GB), so
importing this module stays cheap for the many processes that never build a digest.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

__all__ = ["STOPWORDS", "STOP_WORDS", "keyword_tokens"]

#: Latin-script stop words: function words (en, es, fr, de) and the filler of forum and social posts.
STOPWORDS = frozenset(
    """a an the and or but if of to in on at for with from by is are was were be been it its this that
    these those i you he she we they me my your our their them his her not no so do does did have has had
    just very can will would should could there here what when who how all any more most some such than too
    rt user http https amp im dont get got one like
    el la los las de del que y en un una es por con para lo al se su le les des et est pas pour qui dans bien muy
    entre sobre como pero más mas sin ya también hay este esta estos estas son fue ser tiene hasta desde donde
    cuando porque todo todos nos mi mis tu sus otro otra aquí
    une sur avec plus par ce cette ces sont ont été être au aux ou mais comme tout tous nous vous ils elle
    não uma com os as do da dos das em no na mais mas também
    il di che per non sono gli della del anche
    der die das und ist nicht ein eine mit zu den von auch nur noch schon wie für auf sich dem im ich wir aber oder
    이 그 저 것 수 등 더 좀 너무 진짜 정말 그냥 은 는 이 가 을 를 에 의 도 로 으로 하고 에서 와 과
    """.split()
)
_EN_FILLER = frozenset(
    """about above after again also always am among anyone anything around ask asked asking back because before
    being below best better between both bit came can't cannot come comes couldn't curious day days did didn't
    doesn't doing don't done down during each else even ever every everyone everything fine few first fwiw
    genuine genuinely going gone good great guess happy has hasn't haven't hey hmm hn honestly hope how i'd
    i'll i'm i've imo into isn't it's its itself know last later least let let's lol look looking looks lot
    made make makes many maybe meh might mine minute month months much must need needs never new next nice
    nothing now off often once only other others ours out over own part per pretty probably quite rather
    real really right said same say says see seem seems seen since something soon still stuff sure take
    tell thanks thank that's then thing things think though thought through time today together tried try
    trying ugh under until upon use used uses using want wants wasn't way we'll we're we've week well went
    weren't what's whether which while whole whom whose why within without won't work works worth wouldn't
    yeah year years yep yes yet you'd you'll you're you've ymmv tbh anecdata counterpoint context
    able actually add added adds already another anyway away awful bad big broke broken brings call called
    change changed changes check clearly compare compared completely considering easy either enough entire
    especially expand far fast faster feel feels felt find finally found free full gets getting give gives
    given gonna hard heard help helps high huge keep keeps kept kind large late latest less little live lives
    long longer lost love loved main mean means million mostly near nearly old open pay put quick quickly
    quietly read ready recently run running runs saw seeing set show shows similar simply slightly small
    smart sort start started stop surprisingly switch switched takes taken taking terrible took top turn
    turned usually whatever wish wonder wondering worse wrong where up down raise raises roll rolls rolling quiet
    two three four five six seven eight nine ten hundred thousand detailed needed pushed surprised tired
    whoever whichever whenever wherever apparently
    """.split()
)
_KO_STOP = frozenset(
    """것 수 등 때 중 후 전 분 번 측 내 점 데 거 뭐 곳 년 월 일 시 명 개 씨 님 쪽 저 건 게 줄 만 뿐 적 안 밖 위
    이번 오늘 어제 내일 현재 관련 대해 이후 이전 정도 생각 사람 자체 경우 사실 모두 다음 하루 시간째 기자 뉴스
    우리 저희 여러분 누구 무엇 얘기 이야기 느낌 부분 문제 때문 이용자 사용자 소식 가지 진짜 정말 만족 불만
    """.split()
)
_JA_STOP = frozenset(
    """こと もの ため よう ところ とき 方 人 的 中 後 前 今 今日 本日 現在 今回 一部 場合 情報 記事 関連 速報
    時点 以上 以下 可能 予定 自分 皆 みな みなさん みんな 感じ 気 件 話 声 何 誰 どこ そう 他 際 分 月 日 年 時 目 回 度
    ユーザー 利用者
    """.split()
)
#: Stop words per language; other languages get the Latin-script list.
STOP_WORDS: dict[str, frozenset[str]] = {"en": STOPWORDS | _EN_FILLER, "ko": _KO_STOP, "ja": _JA_STOP}

_HANGUL = re.compile(r"[\uac00-\ud7af]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LETTER = r"[^\W\d_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]"
#: A Latin-script word; a hyphenated compound is one ("post-mortem", "wi-fi"), not two halves that mean nothing alone.
_LATIN = re.compile(rf"{_LETTER}{{2,}}(?:-{_LETTER}+)*(?:'[a-z]+)?")
_POSSESSIVE = re.compile(r"'s$")
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+")
_KO_NOUNS = frozenset({"NNG", "NNP"})
_JA_SKIP = frozenset({"数詞", "助動詞語幹"})
_LOCK = threading.Lock()


@cache
def _kiwi() -> Any:
    from kiwipiepy import Kiwi

    return Kiwi()


@cache
def _sudachi() -> Any:
    from sudachipy import Dictionary, SplitMode

    return Dictionary(dict="core").tokenizer(SplitMode.C)


def _korean_nouns(text: str) -> list[str]:
    """Kiwi's nouns, those written together (no space between them) joined into one."""
    with _LOCK:
        tokens = _kiwi().tokenize(text)
    runs: list[tuple[int, int]] = []
    for t in tokens:
        if t.tag not in _KO_NOUNS:
            continue
        if runs and runs[-1][1] == t.start:
            runs[-1] = (runs[-1][0], t.start + t.len)
        else:
            runs.append((t.start, t.start + t.len))
    return [text[a:b] for a, b in runs]


def _japanese_nouns(text: str) -> list[str]:
    """Sudachi's nouns (not numerals), adjacent ones joined; Latin-script runs are left to the Latin pass."""
    with _LOCK:
        morphemes = [(m.surface(), m.part_of_speech(), m.begin(), m.end()) for m in _sudachi().tokenize(text)]
    runs: list[tuple[int, int]] = []
    for surface, pos, begin, end in morphemes:
        if pos[0] != "名詞" or pos[1] in _JA_SKIP or not (_KANA.search(surface) or _HAN.search(surface)):
            continue
        if runs and runs[-1][1] == begin:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((begin, end))
    return [text[a:b] for a, b in runs]


_ANALYSERS: dict[str, Callable[[str], list[str]]] = {"ko": _korean_nouns, "ja": _japanese_nouns}


def script_language(text: str, lang: str | None = None) -> str | None:
    """Which analyser reads ``text``: Hangul means Korean, kana (or Han with ``lang`` ja) Japanese.

    Decided by script as well as by the language label, so a mislabelled post still gets words.

    >>> [script_language(t) for t in ("앱이 멈춰요", "アプリが落ちる", "The app", "障害")]
    ['ko', 'ja', None, None]
    >>> script_language("障害", "ja")
    'ja'
    """
    if _HANGUL.search(text):
        return "ko"
    if _KANA.search(text) or (lang == "ja" and _HAN.search(text)):
        return "ja"
    return None


def keyword_tokens(text: str, lang: str | None = None) -> list[str]:
    """The text's keywords: Korean or Japanese nouns, then Latin-script words, without stop words.

    >>> keyword_tokens("The app crashed @user http://x.y")
    ['app', 'crashed']
    >>> keyword_tokens("Is Orbitly profitable yet? Curious, Ask HN", "en")
    ['orbitly', 'profitable']
    >>> keyword_tokens("The post-mortem is out")
    ['post-mortem']
    """
    text = _NOISE.sub(" ", text)
    out: list[str] = []
    script = script_language(text, lang)
    if script is not None:
        stop = STOP_WORDS[script]
        # One kana is a sound, not a word; one kanji (家) or Hangul syllable (앱) can be one.
        out += [w for w in _ANALYSERS[script](text) if w not in stop and (len(w) > 1 or not _KANA.search(w))]
    stop = STOP_WORDS["en"]
    words = (_POSSESSIVE.sub("", w) for w in _LATIN.findall(text.lower().replace("\u2019", "'")))
    out += [w for w in words if len(w) > 1 and w not in stop]
    return out
