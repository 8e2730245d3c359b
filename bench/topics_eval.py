"""Topic accuracy per language on a hand-labelled TSV (see models/README.md, "Topics").

Run: ``PYTHONPATH=. .venv/bin/python bench/topics_eval.py [--input bench/data/topics_labelled.tsv]
[--half fit|held-out|all] [--errors]``.
The input has columns ``id``, ``lang``, ``topic`` (one name of ``listening.nlp.topic_phrases``) and
``text``; each row's ``id`` ends in a number, and ``--half`` picks rows with an odd number (``fit``:
the rows looked at while the phrases were written) or an even one (``held-out``). Texts are scored by
the shipped scorer (bundled model, default taxonomy), as the pipeline scores mentions.
It prints a Markdown table: per language, support, correct and accuracy, plus how many rows fell
in ``other``; with ``--errors``, every wrong row.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from listening.nlp.topic_phrases import OTHER, TOPIC_PHRASES
from listening.nlp.tsv import read_tsv

DEFAULT_INPUT = Path(__file__).parent / "data" / "topics_labelled.tsv"


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
    ap.add_argument("--half", choices=["fit", "held-out", "all"], default="all", help="which rows (default all)")
    ap.add_argument("--errors", action="store_true", help="also list every row whose topic is wrong")
    args = ap.parse_args(argv)
    table = read_tsv(args.input, required=("id", "lang", "topic", "text"))
    col = {name: i for i, name in enumerate(table.header)}
    unknown = {r[col["topic"]] for r in table.rows} - set(TOPIC_PHRASES)
    if unknown:
        raise SystemExit(f"{args.input}: topics not in the taxonomy: {sorted(unknown)}")
    rows = [r for r in table.rows if args.half == "all"
            or (int(re.findall(r"\d+", r[col["id"]])[-1]) % 2 == 1) == (args.half == "fit")]

    from listening.nlp.scoring import get_scorer

    predicted = [s.topic for s in get_scorer().score([r[col["text"]] for r in rows])]
    gold = [r[col["topic"]] for r in rows]
    print(format_table(accuracy_rows(gold, predicted, [r[col["lang"]] for r in rows])))
    if args.errors:
        print()
        for r, p in zip(rows, predicted, strict=True):
            if r[col["topic"]] != p:
                print(r[col["id"]], r[col["topic"]], "->", p, r[col["text"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
