"""Refitting the head (issue 16), without the encoder: sampling, brand copies, the binary-only loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from listening.nlp.brandnames import CHECK_BRAND, TRAINING_BRANDS, augmented
from listening.nlp.data import Example, load_split, report_groups
from listening.nlp.evaluation import brand_delta, evaluate
from listening.nlp.heads import SentimentHead
from listening.nlp.data import balanced
from listening.nlp.refit import RefitConfig, fit, training_rows


def _write(path: Path, rows: list[tuple[str, str, int, str]]) -> None:
    body = "".join(f"{lang}\t{text}\t{label}\t{source}\n" for lang, text, label, source in rows)
    path.write_text("lang\ttext\tlabel\tsource\n" + body, encoding="utf-8")


def test_three_class_files_are_read_and_reported_per_origin(tmp_path: Path) -> None:
    rows = [("ko", f"문장 {i}", i % 3, "keti-ko-social" if i % 2 else "fpb-ko-finnews") for i in range(300)]
    _write(tmp_path / "ko3_train.tsv", rows)
    val = load_split(tmp_path, "validation")["ko3_train"]
    groups = {g for grp in report_groups(val) for g in grp}
    assert groups == {"ko3_train", "ko3_train/keti-ko-social", "ko3_train/fpb-ko-finnews"}


def test_balanced_sample_spreads_over_origins_and_classes() -> None:
    rows = [Example(f"a{i}", 0, "ja", "ja3_train", "ews") for i in range(500)]
    rows += [Example(f"b{i}", label, "ja", "ja3_train", "stars") for i in range(40) for label in (1, 2)]
    sample = balanced(rows, 120)
    assert len(sample) == 120
    cells = {(e.origin, e.label): 0 for e in sample}
    for e in sample:
        cells[(e.origin, e.label)] += 1
    assert cells == {("ews", 0): 40, ("stars", 1): 40, ("stars", 2): 40}
    assert [e.text for e in balanced(rows, 120)] == [e.text for e in sample]


def test_training_rows_add_brand_named_copies(tmp_path: Path) -> None:
    _write(tmp_path / "umsab_train_val.tsv", [("en", f"tweet number {i}", i % 3, "umsab") for i in range(400)])
    rows = training_rows(tmp_path, RefitConfig(per_file={"umsab_train_val": 200}, brand_share=0.25))
    plain, copies = rows[:200], rows[200:]
    assert all(e.text.startswith("tweet number") for e in plain) and 25 <= len(copies) <= 80
    assert all(any(b in e.text for b in TRAINING_BRANDS) for e in copies)
    assert not any(CHECK_BRAND in e.text for e in rows)
    branded_label = {augmented(e.text): e.label for e in plain}
    assert all(branded_label[e.text] == e.label for e in copies)


def _head(dim: int = 8, hidden: int = 4) -> SentimentHead:
    rng = np.random.default_rng(0)
    weights = {
        "mean": np.zeros(dim, np.float32), "std": np.ones(dim, np.float32),
        "w1": rng.standard_normal((hidden, dim)).astype(np.float32), "b1": np.zeros(hidden, np.float32),
        "w2": rng.standard_normal((3, hidden)).astype(np.float32), "b2": np.zeros(3, np.float32),
    }
    return SentimentHead(weights, {})


def test_binary_only_rows_leave_the_neutral_output_untouched() -> None:
    head = _head()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    y = np.where(x[:, 0] > 0, 2, 0)
    binary = np.ones((64, 3), bool)
    binary[:, 1] = False
    cfg = RefitConfig(epochs=5, lr=1e-2, weight_decay=0.0, batch_size=16, dropout=0.0)
    masked = fit(head, x, y, binary, cfg)
    assert np.allclose(masked["w2"][1], head.weights["w2"][1]) and masked["b2"][1] == head.weights["b2"][1]
    assert not np.allclose(masked["w2"][0], head.weights["w2"][0])
    unmasked = fit(head, x, y, np.ones((64, 3), bool), cfg)
    assert not np.allclose(unmasked["w2"][1], head.weights["w2"][1])


def test_three_class_groups_report_per_class_recall() -> None:
    probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    m = evaluate([0, 1, 1, 2], probs, ["ko3_train"] * 4)["ko3_train"]
    assert (m["recall_negative"], m["recall_neutral"], m["recall_positive"]) == (1.0, 0.5, 1.0)
    binary = evaluate([0, 2], probs[[0, 3]], ["nsmc_ko"] * 2)["nsmc_ko"]
    assert "recall_neutral" not in binary and binary["binary_accuracy"] == 1.0


def test_brand_delta_counts_moved_labels_and_negatives() -> None:
    plain = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    branded = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])
    d = brand_delta([0, 1, 0, 2], plain, branded)
    assert d["changed"] == 0.25 and d["negative_share_plain"] == 0.5 and d["negative_share_branded"] == 0.25
    assert d["metric"] == "macro_f1" and d["branded"] < d["plain"] == 1.0


def test_eval_names_an_unknown_file(tmp_path: Path) -> None:
    import argparse

    import pytest

    from listening.errors import InputError
    from listening.nlp import cli

    parser = argparse.ArgumentParser(prog="listening")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["model", "eval", "--split", "validation", "--data-dir", str(tmp_path),
                              "--files", "ko3_train", "kr3_train"])
    with pytest.raises(InputError, match="kr3_train"):
        args.func(args)


def test_binary_only_rows_teach_the_finetune_nothing_about_neutral() -> None:
    """Fine-tuning masks a binary file's neutral logit too: its gradient there is exactly zero."""
    import torch

    from listening.nlp.finetune import sentiment_loss

    logits = torch.zeros((4, 3), requires_grad=True)
    labels = torch.tensor([0, 2, 0, 2])
    binary = torch.tensor([True, True, False, False])
    sentiment_loss(logits, labels, binary).backward()
    assert torch.all(logits.grad[:2, 1] == 0)
    assert torch.all(logits.grad[2:, 1] > 0), "three-class rows push neutral down when the label is not neutral"
