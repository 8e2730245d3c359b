"""Intents per mention: the surface cues, the real bundled model on clear ko/ja/en cases, what the scoring step
stores (one intents row per scored text, nothing scored twice), and the labelled set's bench harness."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from listening.config import Retention
from listening.enrich import pending_texts, score_pending
from listening.mention import Mention
from listening.nlp.intent import INTENTS, OTHER, asks_question, makes_request
from listening.nlp.scoring import get_scorer
from listening.nlp.tsv import read_tsv
from listening.normalize import keyed
from listening.retention import apply_retention
from listening.store import Store, intents, mention_row, mentions, scores

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.parametrize(("text", "question", "asks_to_act"), [
    pytest.param("아크미 앱 알림은 어디서 끄나요", True, False, id="ko-ending-without-mark"),
    pytest.param("혹시 아크미 매장 주차 되는지 아시는 분", True, False, id="ko-asking-who-knows"),
    pytest.param("아크미 주문 취소 좀 해 주세요", False, True, id="ko-polite-request"),
    pytest.param("アクミの通知はどこでオフにできますか", True, False, id="ja-masuka"),
    pytest.param("アクミさん、注文をキャンセルしてください", False, True, id="ja-kudasai"),
    pytest.param("アクミのアプリに検索履歴の削除機能がほしい", False, True, id="ja-hoshii"),
    pytest.param("does Acme ship to Norway", True, False, id="en-aux-start-no-mark"),
    pytest.param("Acme, bring back the old player", False, True, id="en-imperative-after-vocative"),
    pytest.param("Can't believe how good the new Acme blender is", False, False, id="en-cant-is-no-question"),
    pytest.param("Acme to add more Denver flights from May", False, False, id="en-headline-add-is-no-request"),
    pytest.param("see https://acme.example/faq?id=3 @acme", False, False, id="url-query-mark-is-no-question"),
])
def test_surface_cues(text: str, question: bool, asks_to_act: bool) -> None:
    assert (asks_question(text), makes_request(text)) == (question, asks_to_act)


CLEAR = [
    ("ko", "아크미 앱 알림은 어디서 끄나요?", "question"),
    ("ko", "아크미 택배 열흘째 감감무소식입니다. 진짜 실망이에요", "complaint"),
    ("ko", "아크미 주문 취소 좀 해 주세요", "request"),
    ("ko", "아크미 직원분들 정말 친절하고 최고였어요", "praise"),
    ("ko", "아크미, 2분기 매출 8% 증가", OTHER),
    ("ja", "アクミの通知はどこでオフにできますか？", "question"),
    ("ja", "アクミの荷物が10日経っても届かない。本当にがっかり", "complaint"),
    ("ja", "アクミさん、注文をキャンセルしてください", "request"),
    ("ja", "アクミの店員さん、すごく親切で最高でした", "praise"),
    ("ja", "アクミ、第2四半期の売上高8%増", OTHER),
    ("en", "How do I turn off Acme notifications?", "question"),
    ("en", "Acme parcel still missing after ten days. So disappointed.", "complaint"),
    ("en", "Acme please cancel my order", "request"),
    ("en", "The Acme staff were incredibly kind, best visit ever", "praise"),
    ("en", "Acme reports 8% rise in second-quarter revenue", OTHER),
]


def test_clear_cases_per_language_with_the_bundled_model(home: Path) -> None:
    scores_ = get_scorer().score([text for _, text, _ in CLEAR])
    got = {text: set(s.intents.split(",")) for (_, text, _), s in zip(CLEAR, scores_, strict=True)}
    for lang, text, intent in CLEAR:
        assert intent in got[text], (lang, text, got[text])
        if intent in ("question", "praise", OTHER):
            assert "complaint" not in got[text], (lang, text, got[text])
    assert all(labels <= {*INTENTS} or labels == {OTHER} for labels in got.values())


def test_too_short_or_empty_texts_have_no_intent(home: Path) -> None:
    assert [s.intents for s in get_scorer().score(["??", "", "👍 https://x.co/a"])] == [OTHER, OTHER, OTHER]


def mention(i: int, text: str, lang: str) -> Mention:
    return Mention(source="mastodon", native_id=str(i), url=f"https://social.example/@u{i}/{i}", title="", text=text,
                   published_at=NOW - timedelta(hours=i), fetched_at=NOW - timedelta(hours=i) + timedelta(minutes=5),
                   brand="acme", lang=lang, raw={"id": str(i)})


def stored_intents(store: Store) -> dict[str, tuple[str, str, datetime]]:
    with store.engine.connect() as conn:
        return {h: (m, i, at) for h, m, i, at in conn.execute(
            sa.select(intents.c.text_hash, intents.c.model_id, intents.c.intents, intents.c.scored_at))}


def test_scoring_stores_intents_beside_scores_once(store_url: str) -> None:
    store = Store.open(store_url)
    ms = [mention(i, text, lang) for i, (lang, text, _) in enumerate(CLEAR)]
    ms.append(mention(len(ms), CLEAR[0][1], "ko"))  # the same words again: one text, one row
    rows = []
    for m in ms:
        k = keyed(m)
        rows.append(mention_row(m, canonical_url=k.canonical_url, title_key=k.title_key, text_hash=k.text_hash,
                                brands=[m.brand]))
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows)
    scorer = get_scorer()

    report = score_pending(store, scorer, now=NOW)
    assert report.scored == len(CLEAR)
    stored = stored_intents(store)
    with store.engine.connect() as conn:
        scored = set(conn.execute(sa.select(scores.c.text_hash).where(scores.c.model_id == scorer.model_id)).scalars())
    assert set(stored) == scored == {r["text_hash"] for r in rows}
    assert {m for m, _, _ in stored.values()} == {scorer.model_id}
    by_text = {r["text"]: stored[r["text_hash"]][1] for r in rows}
    for _, text, intent in CLEAR:
        labels = by_text[text].split(",")
        assert intent in labels and labels == sorted(labels), (text, by_text[text])
    assert sum(report.intents.values()) >= len(CLEAR)

    again = score_pending(store, scorer, now=NOW + timedelta(hours=1))
    assert again.scored == 0 and pending_texts(store, scorer.model_id) == []
    assert stored_intents(store) == stored, "a re-run scores nothing and rewrites no intent"


def test_retention_drops_the_intents_of_pruned_mentions(home: Path) -> None:
    store = Store.open()
    old = replace(mention(0, "아크미 앱 알림은 어디서 끄나요?", "ko"), published_at=NOW - timedelta(days=90))
    recent = mention(1, "How do I turn off Acme notifications?", "en")
    rows = []
    for m in (old, recent):
        k = keyed(m)
        rows.append(mention_row(m, canonical_url=k.canonical_url, title_key=k.title_key, text_hash=k.text_hash,
                                brands=[m.brand]))
    with store.transaction() as conn:
        store.upsert(conn, mentions, rows)
    score_pending(store, get_scorer(), now=NOW)
    assert len(stored_intents(store)) == 2
    apply_retention(store, Retention(mention_days=30), now=NOW)
    assert set(stored_intents(store)) == {rows[1]["text_hash"]}


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("intent_eval", BENCH / "intent_eval.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_labelled_set_has_60_texts_per_language_with_known_labels(bench) -> None:
    table = read_tsv(BENCH / "data" / "intent_labelled.tsv", required=("id", "lang", "source", "intents", "text"))
    col = {name: i for i, name in enumerate(table.header)}
    for lang in ("ko", "ja", "en"):
        rows = [r for r in table.rows if r[col["lang"]] == lang]
        assert len(rows) >= 60, lang
        assert len({r[col["source"]] for r in rows}) >= 4, lang
        for intent in (*INTENTS, OTHER):
            assert sum(intent in r[col["intents"]].split(",") for r in rows) >= 8, (lang, intent)
    for r in table.rows:
        labels = r[col["intents"]].split(",")
        assert labels == sorted(labels) and (set(labels) <= set(INTENTS) or labels == [OTHER]), r
    assert len({r[col["id"]] for r in table.rows}) == len(table.rows)


def test_bench_metrics_count_each_intent_and_other(bench) -> None:
    gold = [bench.label_set(x) for x in ("question", "complaint,request", "other", "praise")]
    pred = [bench.label_set(x) for x in ("question,complaint", "request", "other", "other")]
    rows = {(r["lang"], r["intent"]): r for r in bench.metrics(gold, pred, ["en", "en", "ko", "ko"])}
    assert (rows["all", "complaint"]["precision"], rows["all", "complaint"]["recall"]) == (0.0, 0.0)
    assert (rows["en", "request"]["precision"], rows["en", "request"]["recall"]) == (1.0, 1.0)
    assert (rows["ko", "other"]["precision"], rows["ko", "other"]["recall"]) == (0.5, 1.0)
    assert rows["all", "exact set"]["precision"] == 0.25
