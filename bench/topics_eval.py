"""Topic accuracy per language on a hand-labelled TSV (see models/README.md, "Topics").

Run: ``PYTHONPATH=. .venv/bin/python bench/topics_eval.py [--input bench/data/topics_labelled.tsv]
[--round 1|2|all] [--errors]``.
The input has columns ``id``, ``lang``, ``topic`` (one name of ``listening.nlp.topic_phrases``),
``round`` and ``text``. Round 1 rows were written with the phrases and their errors were looked at
while the phrases and the threshold were chosen; round 2 rows were written after both were frozen and
scored once. Texts are scored by the shipped model and default taxonomy with the set's brand names
masked, as the pipeline masks a config's brands.
It prints a Markdown table per round: per language, texts, correct and accuracy, plus how many rows
were predicted ``other``; with ``--errors``, every wrong row.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from listening.nlp.topic_phrases import OTHER, TOPIC_PHRASES
from listening.nlp.tsv import read_tsv

DEFAULT_INPUT = Path(__file__).parent / "data" / "topics_labelled.tsv"
#: The made-up brands the set's texts name.
BRANDS = ("Lumora Pixelia Telvo Brightpay Nimbo Quillo Ridely Orca 누리페이 하늘통신 모아뱅크 빛나리 구름드라이브 달리버리 "
          "ソラペイ ミドリ通信 ハナノート カゼノマップ クモストレージ").split()


def accuracy_rows(gold: Sequence[str], pred: Sequence[str], langs: Sequence[str]) -> list[dict]:
    """Per language and ``all``: support, correct, accuracy and how many predictions were ``other``."""
    rows = []
    for lang in [*sorted(set(langs)), "all"]:
        idx = [i for i, x in enumerate(langs) if lang in ("all", x)]
        correct = sum(gold[i] == pred[i] for i in idx)
        rows.append({"lang": lang, "support": len(idx), "correct": correct,
                     "accuracy": correct / len(idx) if idx else float("nan"),
                     "other": sum(pred[i] == OTHER for i in idx)})
    return rows


def format_table(rows: list[dict]) -> str:
    """Markdown table of :func:`accuracy_rows`."""
    out = ["| lang | texts | correct | accuracy | predicted other |", "|---|---:|---:|---:|---:|"]
    out += [f"| {r['lang']} | {r['support']} | {r['correct']} | {100 * r['accuracy']:.1f} % | {r['other']} |" for r in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", type=Path, default=DEFAULT_INPUT, help="labelled TSV (id, lang, topic, text)")
    ap.add_argument("--round", choices=["1", "2", "all"], default="all", help="which rows (default all, each round apart)")
    ap.add_argument("--errors", action="store_true", help="also list every row whose topic is wrong")
    args = ap.parse_args(argv)
    table = read_tsv(args.input, required=("id", "lang", "topic", "round", "text"))
    col = {name: i for i, name in enumerate(table.header)}
    unknown = {r[col["topic"]] for r in table.rows} - set(TOPIC_PHRASES)
    if unknown:
        raise SystemExit(f"{args.input}: topics not in the taxonomy: {sorted(unknown)}")
    rows = [r for r in table.rows if args.round in ("all", r[col["round"]])]

    from listening.nlp.masking import BrandMask
    from listening.nlp.scoring import Scorer

    predicted = [s.topic for s in Scorer.load(mask=BrandMask(BRANDS)).score([r[col["text"]] for r in rows])]
    for name in sorted({r[col["round"]] for r in rows}) + (["1+2"] if args.round == "all" else []):
        idx = [i for i, r in enumerate(rows) if name in ("1+2", r[col["round"]])]
        print(f"Round {name}:\n")
        print(format_table(accuracy_rows([rows[i][col["topic"]] for i in idx], [predicted[i] for i in idx],
                                         [rows[i][col["lang"]] for i in idx])))
        print()
    if args.errors:
        for r, p in zip(rows, predicted, strict=True):
            if r[col["topic"]] != p:
                print(r[col["id"]], r[col["topic"]], "->", p, r[col["text"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
