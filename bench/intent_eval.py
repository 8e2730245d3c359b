"""Per-intent precision and recall per language on a labelled TSV (see docs/inbox.md, "Intents").

Run: ``PYTHONPATH=. .venv/bin/python bench/intent_eval.py [--input bench/data/intent_labelled.tsv]
[--half fit|held-out|all] [--scored FILE] [--errors]``.
The input has columns ``lang``, ``intents`` (comma-separated gold labels, or ``other``) and ``text``;
each row's ``id`` ends in a number, and ``--half`` picks rows with an odd number (``fit``: the rows
the thresholds were chosen on) or an even one (``held-out``). With ``--scored`` the predictions are
read from the ``intent`` column of a ``listening score`` output instead of scoring here.
It prints a Markdown table: per language and intent, support, precision, recall; then
exact-set accuracy per language.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from listening.nlp.intent import INTENTS, OTHER
from listening.nlp.tsv import read_tsv

DEFAULT_INPUT = Path(__file__).parent / "data" / "intent_labelled.tsv"


def label_set(field: str) -> frozenset[str]:
    """The labels of one cell; ``other`` is the empty set."""
    return frozenset(x.strip() for x in field.split(",") if x.strip() and x.strip() != OTHER)


def metrics(gold: Sequence[frozenset[str]], pred: Sequence[frozenset[str]], langs: Sequence[str]) -> list[dict]:
    """Rows of (lang, intent, support, predicted, tp, precision, recall) for each language and ``all``."""
    rows = []
    for lang in [*sorted(set(langs)), "all"]:
        idx = [i for i, x in enumerate(langs) if lang in ("all", x)]
        for intent in (*INTENTS, OTHER):
            def has(labels: frozenset[str]) -> bool:
                return intent in labels if intent != OTHER else not labels
            support = sum(has(gold[i]) for i in idx)
            predicted = sum(has(pred[i]) for i in idx)
            tp = sum(has(gold[i]) and has(pred[i]) for i in idx)
            rows.append({"lang": lang, "intent": intent, "support": support, "predicted": predicted, "tp": tp,
                         "precision": tp / predicted if predicted else float("nan"),
                         "recall": tp / support if support else float("nan")})
        exact = sum(gold[i] == pred[i] for i in idx)
        rows.append({"lang": lang, "intent": "exact set", "support": len(idx), "predicted": len(idx), "tp": exact,
                     "precision": exact / len(idx) if idx else float("nan"), "recall": float("nan")})
    return rows


def format_table(rows: list[dict]) -> str:
    """Markdown table of :func:`metrics` rows."""
    out = ["| lang | intent | support | precision | recall |", "|---|---|---:|---:|---:|"]
    for r in rows:
        p = "" if r["precision"] != r["precision"] else f"{r['precision']:.2f}"
        rec = "" if r["recall"] != r["recall"] else f"{r['recall']:.2f}"
        out.append(f"| {r['lang']} | {r['intent']} | {r['support']} | {p} | {rec} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", type=Path, default=DEFAULT_INPUT, help="labelled TSV (lang, intents, text)")
    ap.add_argument("--half", choices=["fit", "held-out", "all"], default="all", help="which rows (default all)")
    ap.add_argument("--scored", type=Path, default=None, help="read predictions from this `listening score` output")
    ap.add_argument("--errors", action="store_true", help="also list every row whose predicted set differs")
    args = ap.parse_args(argv)
    table = read_tsv(args.input, required=("id", "lang", "intents", "text"))
    col = {name: i for i, name in enumerate(table.header)}
    rows = table.rows
    if args.scored:
        scored = read_tsv(args.scored, required=("text", "intent"))
        if len(scored.rows) != len(rows):
            raise SystemExit(f"{args.scored}: {len(scored.rows)} rows, {args.input} has {len(rows)}")
        predicted = [r[scored.header.index("intent")] for r in scored.rows]
    else:
        from listening.nlp.scoring import get_scorer

        predicted = [s.intents for s in get_scorer().score([r[col["text"]] for r in rows])]
    keep = [i for i, r in enumerate(rows) if args.half == "all"
            or (int(re.findall(r"\d+", r[col["id"]])[-1]) % 2 == 1) == (args.half == "fit")]
    gold = [label_set(rows[i][col["intents"]]) for i in keep]
    pred = [label_set(predicted[i]) for i in keep]
    print(format_table(metrics(gold, pred, [rows[i][col["lang"]] for i in keep])))
    if args.errors:
        print()
        for i in keep:
            if label_set(rows[i][col["intents"]]) != label_set(predicted[i]):
                print(rows[i][col["id"]], rows[i][col["intents"]], "->", predicted[i], rows[i][col["text"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
