"""Model-free parts of the NLP room: file checks, data split, labels, topics, CLI input errors."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from listening.errors import InputError, ModelError
from listening.nlp import cli
from listening.nlp.data import is_validation, load_split, read_labelled_tsv
from listening.nlp.e5file import E5_SHA256, bundled_e5_path, verify_e5_file
from listening.nlp.labels import normalise_labels
from listening.nlp.keywords import keyword_tokens
from listening.nlp.topics import OTHER, TopicTaxonomy, cluster_themes


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="listening")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_bundled_file_matches_pinned_sha() -> None:
    verify_e5_file(bundled_e5_path(), E5_SHA256)


def test_tampered_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(b"E5S1 not the real thing")
    with pytest.raises(ModelError, match="sha256"):
        verify_e5_file(bad)
    with pytest.raises(ModelError, match="missing"):
        verify_e5_file(tmp_path / "absent.bin")


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["score"], id="score"),
        pytest.param(["model"], id="model"),
        pytest.param(["model", "train"], id="train"),
        pytest.param(["model", "eval"], id="eval"),
        pytest.param(["model", "blend"], id="blend"),
        pytest.param(["model", "pack"], id="pack"),
        pytest.param(["model", "convert"], id="convert"),
    ],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run_cli(*argv, "--help")
    assert exc.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_score_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="absent.tsv: file not found"):
        run_cli("score", "--input", str(tmp_path / "absent.tsv"), "--output", str(tmp_path / "o.tsv"))


def test_score_without_text_column(tmp_path: Path) -> None:
    src = tmp_path / "in.tsv"
    src.write_text("id\tbody\n1\thello\n", encoding="utf-8")
    with pytest.raises(InputError, match="in.tsv: no 'text' column"):
        run_cli("score", "--input", str(src), "--output", str(tmp_path / "o.tsv"))


def test_score_bad_encoding(tmp_path: Path) -> None:
    src = tmp_path / "in.tsv"
    src.write_bytes("text\n最悪\n".encode("shift_jis"))
    with pytest.raises(InputError, match="in.tsv:2: not valid UTF-8"):
        run_cli("score", "--input", str(src), "--output", str(tmp_path / "o.tsv"))


def test_score_ragged_row(tmp_path: Path) -> None:
    src = tmp_path / "in.tsv"
    src.write_text("id\ttext\n1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"in.tsv:2: 1 fields"):
        run_cli("score", "--input", str(src), "--output", str(tmp_path / "o.tsv"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b'id\ttext\n1\tfine\n2\t"a quoted\ttab"\n', "in.tsv:3: 3 fields, header has 2 (TSV fields are not quoted",
                     id="csv-style-quoted-tab"),
        pytest.param(b'id\ttext\n1\t"a quoted\nline break"\n', "in.tsv:3: 1 fields, header has 2", id="csv-style-line-break"),
        pytest.param(b"text\nok\n\xff\xfe\n", "in.tsv:3: not valid UTF-8", id="bad-utf8-names-the-line"),
        pytest.param(b"", "in.tsv: empty file", id="empty"),
        pytest.param(b"\xef\xbb\xbf", "in.tsv: empty file", id="only-a-bom"),
        pytest.param(b"text\rone\rtwo\r", "in.tsv: lines end in a bare CR", id="classic-mac-line-ends"),
        pytest.param(("body\t" * 50 + "\n").encode(), "no 'text' column in header ['body', 'body',", id="no-text-column"),
    ],
)
def test_score_refuses_what_it_cannot_keep_with_one_line_and_exit_2(
        tmp_path: Path, content: bytes, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    from listening.cli import main

    src, out = tmp_path / "in.tsv", tmp_path / "out.tsv"
    src.write_bytes(content)
    assert main(["score", "--input", str(src), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("listening score: error: ") and err.count("\n") == 1 and len(err) < 400
    assert expected in err
    assert not out.exists()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param('id\ttext\n1\t"Great" product\n2\t"\n3\t"never closed\n4\tclosed"\n5\t\n', id="quotes-lf"),
        pytest.param('\ufefftext\tid\r\n"a"\t1\r\n\t2\r\nx\ry\t3\r\n', id="bom-crlf"),
        pytest.param("text\n" + "\"big\" " * 1_500_000 + "\n", id="10-mb-field"),
    ],
)
def test_tsv_reads_and_writes_back_byte_for_byte(tmp_path: Path, content: str) -> None:
    from listening.nlp.tsv import read_tsv, write_tsv

    src, out = tmp_path / "in.tsv", tmp_path / "out.tsv"
    src.write_bytes(content.encode("utf-8"))
    table = read_tsv(src)
    assert len(table.rows) == content.count("\n") - 1
    write_tsv(out, table.header, table.rows, newline=table.newline, bom=table.bom)
    assert out.read_bytes() == src.read_bytes()


def test_labelled_reader_skips_unlabelled(tmp_path: Path) -> None:
    src = tmp_path / "nsmc_ko.tsv"
    src.write_text("lang\ttext\tlabel\tsource\nko\t좋아요\t2\tx\nko\t그냥 그래요\t\tnsmc-rating6\n", encoding="utf-8")
    assert [e.text for e in read_labelled_tsv(src)] == ["좋아요"]


def test_validation_split_is_deterministic_and_disjoint(tmp_path: Path) -> None:
    lines = "".join(f"en\ttext number {i}\t{i % 3}\tumsab-train\n" for i in range(400))
    (tmp_path / "umsab_train_val.tsv").write_text("lang\ttext\tlabel\tsource\n" + lines, encoding="utf-8")
    train = load_split(tmp_path, "train")["umsab_train_val"]
    val = load_split(tmp_path, "validation")["umsab_train_val"]
    assert len(train) + len(val) == 400
    assert 15 <= len(val) <= 70
    assert all(is_validation(e.text) for e in val) and not any(is_validation(e.text) for e in train)
    assert [e.text for e in load_split(tmp_path, "train", max_per_source=50)["umsab_train_val"]] == [
        e.text for e in load_split(tmp_path, "train", max_per_source=50)["umsab_train_val"]
    ]


def test_label_names_are_normalised() -> None:
    assert normalise_labels({0: "negative", 1: "neutral", 2: "positive"}) == [[0], [1], [2]]
    assert normalise_labels({0: "neg", 1: "pos"}) == [[0], [], [1]]
    assert normalise_labels({0: "LABEL_0", 1: "LABEL_1"}) == [[0], [], [1]]
    with pytest.raises(ModelError):
        normalise_labels({0: "sports", 1: "politics"})


def _fake_embed(texts):
    """Bag-of-keywords vectors: enough to exercise the geometry without a model."""
    vocab = ["crash", "price", "ship"]
    return np.array([[1.0 if w in t else 0.0 for w in vocab] + [0.2] for t in texts])


def test_taxonomy_assigns_best_topic_or_other() -> None:
    tax = TopicTaxonomy({"outage/bugs": ["crash"], "pricing": ["price"]}, threshold=0.8)
    tax.prepare(_fake_embed)
    assert tax.assign(_fake_embed(["app crash", "price up", "ship late"])) == ["outage/bugs", "pricing", OTHER]
    with pytest.raises(ValueError):
        TopicTaxonomy({"empty": []})


def test_keywords_handle_cjk_and_stopwords() -> None:
    assert keyword_tokens("The app crashed @user http://x.y") == ["app", "crashed"]
    assert keyword_tokens("アプリが落ちる", "ja") == ["アプリ"]
    assert keyword_tokens("앱이 멈춰요", "ko") == ["앱"]


def test_cluster_themes_groups_and_labels() -> None:
    rng = np.random.default_rng(1)
    centres = np.eye(3, 16)
    texts, emb, langs = [], [], []
    words = ["crash login error", "price expensive plan", "delivery late parcel"]
    for c in range(3):
        for i in range(10):
            texts.append(f"{words[c]} {i}")
            emb.append(centres[c] + 0.05 * rng.standard_normal(16))
            langs.append("en" if i % 2 else "ko")
    themes = cluster_themes(np.array(emb), texts, langs, k=3, min_size=3)
    assert sorted(t.size for t in themes) == [10, 10, 10]
    for theme in themes:
        assert set(theme.members) == {m for m in theme.members if texts[m].split()[0] == texts[theme.representative].split()[0]}
        assert texts[theme.representative].split()[0] in theme.keywords
        assert theme.languages == {"en": 5, "ko": 5}
    assert cluster_themes(np.zeros((0, 4)), [], None) == []


def test_missing_model_directory_is_a_model_error(tmp_path: Path) -> None:
    from listening.nlp.scoring import Scorer

    with pytest.raises(ModelError, match="does not exist"):
        Scorer.load(str(tmp_path / "nope"))
