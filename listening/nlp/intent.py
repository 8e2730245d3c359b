"""What a mention wants from the brand: question, complaint, request, praise (several may hold) or other.

Intent reuses the scorer's one forward pass: the sentence embedding is compared with
example phrases per intent (like topics), the sentiment probabilities say whether the
author is unhappy or pleased, and cheap surface cues catch what embeddings blur: a question
mark, interrogative endings (까요/나요, ですか/ますか, a leading "how"/"does"), polite
request forms (주세요, ください, "please") and leading imperatives ("bring back", "add").
Only the example phrases are embedded, once per process.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

QUESTION, COMPLAINT, REQUEST, PRAISE, OTHER = "question", "complaint", "request", "praise", "other"
INTENTS = (QUESTION, COMPLAINT, REQUEST, PRAISE)
#: Part of the scorer's model id: change it whenever phrases, cues or thresholds change,
#: so stored intents are recomputed once instead of mixing two rule sets.
INTENT_VERSION = "i1"

#: Example phrases per intent, plus "statement": reports and news that want nothing from the brand.
ANCHORS: dict[str, list[str]] = {
    QUESTION: [
        "how do I change my plan?", "does anyone know how this works?", "when will this feature be available?",
        "is it possible to use this abroad?", "what are the conditions for the discount?",
        "요금제는 어떻게 바꾸나요?", "혹시 아시는 분 계신가요?", "이 기능은 언제 나오나요?", "해외에서도 쓸 수 있나요?",
        "プランはどうやって変更できますか？", "知ってる人いますか？", "この機能はいつ対応しますか？", "海外でも使えますか？",
    ],
    COMPLAINT: [
        "this is the worst service ever", "my order never arrived", "the app keeps crashing again",
        "I was charged twice and nobody answers", "support ignored me for a week",
        "최악의 서비스예요", "주문한 게 아직도 안 왔어요", "앱이 또 먹통이에요", "고객센터가 답이 없어요",
        "最悪の対応でした", "注文した商品が届かない", "アプリがまた落ちた", "サポートから返事がない",
    ],
    REQUEST: [
        "please add this feature", "please refund my order", "can you help me with my account?",
        "please fix this bug", "bring back the old design", "please check your messages",
        "이 기능 추가해 주세요", "환불해 주세요", "계정 좀 도와주세요", "버그 좀 고쳐 주세요",
        "この機能を追加してください", "返金をお願いします", "アカウントの件で助けてください", "不具合を直してほしい",
    ],
    PRAISE: [
        "I love this, it is amazing", "great service, thank you so much", "the staff were so kind and helpful",
        "best product I have ever used",
        "정말 최고예요", "친절하게 도와주셔서 감사합니다", "너무 맛있어요", "완전 만족합니다",
        "最高です", "丁寧な対応ありがとうございました", "とても美味しい", "大満足です",
    ],
    "statement": [
        "the company reported quarterly earnings", "shares fell in early trading", "the firm named a new chief executive",
        "the company opens a new factory", "the airline adds new routes next month", "I had lunch there today",
        "회사가 3분기 실적을 발표했다", "주가가 하락했다", "신임 대표를 선임했다", "새 공장을 착공했다", "오늘 점심 먹었다",
        "会社が決算を発表した", "株価が下落した", "新社長が就任した", "新工場を着工した", "今日のランチ",
    ],
}

_URL_OR_HANDLE = re.compile(r"(?:https?://|www\.)\S+|@\w+")
_END = r"(?=[\s.,!~…)\]」』。、！]|$)"
_QUESTION_CUES = [
    re.compile(r"[?？]"),
    re.compile(rf"(?:나요|까요|가요|습니까|는지요|을까|를까|던가요|냐|어때요|계세요){_END}"),
    re.compile(r"혹시|아시는\s?분|아는\s?사람|알려\s?주세요"),
    re.compile(rf"(?:ですか|ますか|でしょうか|ませんか|んですか|のかな|かな|ますかね){_END}"),
    re.compile(r"(?:知ってる|わかる|分かる)人|教えて"),
    re.compile(r"(?:^|[.!]\s+)(?:how|what|when|where|why|who|which)\b", re.IGNORECASE),
    re.compile(r"(?:^|[.!]\s+)(?:is|are|does|do|did|can|could|will|should|has|have)\s+"
               r"(?:i|you|we|they|it|there|this|that|the|my|your|anyone|anybody|someone|[A-Z]\w*)\b"),
    re.compile(r"\b(?:anyone|anybody|does anyone|any idea)\b.{0,40}\b(?:know|tried|had|seen)\b", re.IGNORECASE),
]
_REQUEST_CUES = [
    re.compile(r"주세요|주십시오|주시면|주실\s?수|부탁|바랍니다|해\s?줘|도와|했으면\s?좋겠|있었으면\s?좋겠|내주세요"),
    re.compile(r"ください|下さい|お願い|ほしい|欲しい|てくれたら|ていただけ|て頂け|願います"),
    re.compile(r"\b(?:please|pls|plz|kindly|would love|i want|i'd like|need help|help me|could you|can you|"
               r"can someone|get back to me|look into)\b", re.IGNORECASE),
    re.compile(r"(?:^|[,.!]\s*)(?:add|fix|bring back|make|give|send|refund|unlock|answer|reply|respond|call|email|dm|"
               r"check|open|ship|restore|cancel)\b", re.IGNORECASE),
    re.compile(r"\b(?:really )?needs? (?:a|an|to)\b|\bshould (?:add|bring|make|fix)\b", re.IGNORECASE),
]


def _strip(text: str) -> str:
    return _URL_OR_HANDLE.sub(" ", text).strip()


def asks_question(text: str) -> bool:
    """Whether the text reads as a question by its surface form.

    >>> [asks_question(t) for t in ("언제 나오나요", "いつ対応しますか", "does Acme ship to Oslo", "Would love a widget")]
    [True, True, True, False]
    """
    body = _strip(text)
    return any(cue.search(body) for cue in _QUESTION_CUES)


def makes_request(text: str) -> bool:
    """Whether the text asks the brand to do something by its surface form.

    >>> [makes_request(t) for t in ("환불해 주세요", "返金をお願いします", "Acme, bring back the old app", "Acme adds routes")]
    [True, True, True, False]
    """
    body = _strip(text)
    return any(cue.search(body) for cue in _REQUEST_CUES)


@dataclass(frozen=True)
class IntentThresholds:
    """Where evidence becomes a label; fitted on half of ``bench/data/intent_labelled.tsv`` (see docs/inbox.md)."""

    question_margin: float = 0.03
    request_margin: float = 0.03
    complaint_negative: float = 0.5
    #: A question or request reads negative to the sentiment head more often than it is one (ja most of all):
    #: it is also a complaint only this negative, or when complaint is its closest intent.
    complaint_negative_when_asking: float = 0.9
    praise_positive: float = 0.5
    #: A text closer to the "statement" phrases (news, reports) than to any intent by this much wants nothing.
    statement_margin: float = 0.01


EmbedFn = Callable[[Sequence[str]], np.ndarray]


class IntentModel:
    """Intents from an embedding, the sentiment probabilities and the text."""

    def __init__(self, anchors: dict[str, list[str]] | None = None, thresholds: IntentThresholds | None = None) -> None:
        self.anchors = {name: list(phrases) for name, phrases in (anchors or ANCHORS).items()}
        self.thresholds = thresholds or IntentThresholds()
        self._names = np.array([name for name, phrases in self.anchors.items() for _ in phrases])
        self._anchor_emb: np.ndarray | None = None

    def prepare(self, embed: EmbedFn) -> None:
        """Embed the example phrases once, with the same encoder as the texts."""
        phrases = [p for ps in self.anchors.values() for p in ps]
        self._anchor_emb = _normalise(np.asarray(embed(phrases), dtype=np.float32))

    def similarities(self, embeddings: np.ndarray) -> dict[str, np.ndarray]:
        """Per anchor group, each text's best cosine to its phrases."""
        if self._anchor_emb is None:
            raise RuntimeError("call prepare(embed) before assigning intents")
        sims = _normalise(embeddings) @ self._anchor_emb.T
        return {name: sims[:, self._names == name].max(axis=1) for name in self.anchors}

    def assign(self, texts: Sequence[str], embeddings: np.ndarray, probs: np.ndarray) -> list[str]:
        """Comma-separated sorted intents per text, or ``"other"``; ``probs`` is [n, 3] negative/neutral/positive."""
        if len(texts) == 0:
            return []
        sims = self.similarities(np.asarray(embeddings))
        t = self.thresholds
        out = []
        for i, text in enumerate(texts):
            s = {name: float(v[i]) for name, v in sims.items()}
            best_other = {name: max(v for k, v in s.items() if k != name) for name in INTENTS}
            reported = s["statement"] - max(s[name] for name in INTENTS) > t.statement_margin
            labels = set()
            if asks_question(text) or s[QUESTION] - best_other[QUESTION] > t.question_margin:
                labels.add(QUESTION)
            if makes_request(text) or s[REQUEST] - best_other[REQUEST] > t.request_margin:
                labels.add(REQUEST)
            negative = probs[i][0] >= t.complaint_negative
            if labels and probs[i][0] < t.complaint_negative_when_asking:
                negative = negative and s[COMPLAINT] >= max(s[name] for name in INTENTS)
            if negative and not reported:
                labels.add(COMPLAINT)
            if probs[i][2] >= t.praise_positive and not reported:
                labels.add(PRAISE)
            out.append(",".join(sorted(labels)) or OTHER)
        return out


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
