"""Accuracy and macro-F1, overall and per group, for 3-class or binary gold labels.

Groups whose gold labels have no neutral (e.g. star-rating reviews) are also
scored as binary: positive when ``p_positive > p_negative``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def macro_f1(gold: Sequence[int], pred: Sequence[int], labels: Sequence[int]) -> float:
    """Unweighted mean of per-class F1 over ``labels``.

    >>> macro_f1([0, 1, 2, 2], [0, 1, 2, 1], [0, 1, 2])
    0.7777777777777777
    """
    g, p = np.asarray(gold), np.asarray(pred)
    scores = []
    for label in labels:
        tp = float(np.sum((g == label) & (p == label)))
        fp = float(np.sum((g != label) & (p == label)))
        fn = float(np.sum((g == label) & (p != label)))
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def group_metrics(gold: Sequence[int], probs: np.ndarray) -> dict[str, float]:
    """Metrics of one group of examples (probabilities in neg/neu/pos order).

    >>> m = group_metrics([0, 2], np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]]))
    >>> m["accuracy"], m["binary_accuracy"]
    (0.5, 1.0)
    """
    g = np.asarray(gold)
    pred = probs.argmax(axis=1)
    out: dict[str, float] = {
        "n": int(len(g)),
        "accuracy": float(np.mean(pred == g)) if len(g) else 0.0,
        "macro_f1": macro_f1(g, pred, [0, 1, 2]),
    }
    if len(g) and not np.any(g == 1):
        binary = np.where(probs[:, 2] > probs[:, 0], 2, 0)
        out["binary_accuracy"] = float(np.mean(binary == g))
        out["binary_macro_f1"] = macro_f1(g, binary, [0, 2])
    elif len(g):
        for label, name in enumerate(("negative", "neutral", "positive")):
            gold_here = g == label
            out[f"recall_{name}"] = float(np.mean(pred[gold_here] == label)) if gold_here.any() else 0.0
    return out


def brand_delta(gold: Sequence[int], plain: np.ndarray, branded: np.ndarray) -> dict[str, float]:
    """What inserting a brand name changes: the headline score, the negative share, labels.

    The headline score is binary accuracy where gold has no neutral, else macro-F1.

    >>> d = brand_delta([0, 2], np.array([[0.9, 0.05, 0.05], [0.1, 0.1, 0.8]]),
    ...                 np.array([[0.2, 0.7, 0.1], [0.1, 0.1, 0.8]]))
    >>> d["changed"], d["negative_share_plain"], d["negative_share_branded"]
    (0.5, 0.5, 0.0)
    """
    a, b = group_metrics(gold, plain), group_metrics(gold, branded)
    key = "binary_accuracy" if "binary_accuracy" in a else "macro_f1"
    pa, pb = plain.argmax(axis=1), branded.argmax(axis=1)
    return {
        "n": int(len(pa)),
        "metric": key,
        "plain": a[key],
        "branded": b[key],
        "negative_share_plain": float(np.mean(pa == 0)) if len(pa) else 0.0,
        "negative_share_branded": float(np.mean(pb == 0)) if len(pb) else 0.0,
        "changed": float(np.mean(pa != pb)) if len(pa) else 0.0,
    }


def evaluate(
    gold: Sequence[int], probs: np.ndarray, groups: Sequence[str | Sequence[str]] | None = None
) -> dict[str, dict[str, float]]:
    """``{"all": metrics, <group>: metrics, ...}``; an example may be in several groups.

    >>> r = evaluate([0, 2], np.array([[0.9, 0.05, 0.05], [0.2, 0.3, 0.5]]), [["a", "x"], "b"])
    >>> sorted(r), r["a"]["accuracy"]
    (['a', 'all', 'b', 'x'], 1.0)
    """
    g = np.asarray(gold)
    result = {"all": group_metrics(g, probs)}
    if groups is not None:
        member = [[grp] if isinstance(grp, str) else list(grp) for grp in groups]
        for name in sorted({n for names in member for n in names}):
            mask = np.array([name in names for names in member])
            result[name] = group_metrics(g[mask], probs[mask])
    return result


def format_metrics(result: dict[str, dict[str, float]]) -> str:
    """Plain-text table (percentages) for the CLI and the model card.

    >>> print(format_metrics({"all": {"n": 2, "accuracy": 0.5, "macro_f1": 0.25}}))
    group                         n  accuracy  macro_f1  bin_acc  bin_f1  rec_neg  rec_neu  rec_pos
    all                           2      50.0      25.0        -       -        -        -        -
    """
    def pct(m: dict[str, float], key: str, width: int) -> str:
        return f"{100 * m[key]:>{width}.1f}" if key in m else f"{'-':>{width}}"

    lines = [f"{'group':<25}{'n':>6}  accuracy  macro_f1  bin_acc  bin_f1  rec_neg  rec_neu  rec_pos"]
    for name, m in result.items():
        lines.append(
            f"{name:<25}{int(m['n']):>6}  {100 * m['accuracy']:>8.1f}  {100 * m['macro_f1']:>8.1f}"
            f"  {pct(m, 'binary_accuracy', 7)}  {pct(m, 'binary_macro_f1', 6)}"
            f"  {pct(m, 'recall_negative', 7)}  {pct(m, 'recall_neutral', 7)}  {pct(m, 'recall_positive', 7)}"
        )
    return "\n".join(lines)


def format_brand_delta(result: dict[str, dict[str, float]], brand: str) -> str:
    """Plain-text table of :func:`brand_delta` per group (percentages, differences in points)."""
    lines = [
        f"with '{brand}: ' prefixed:",
        f"{'group':<25}{'n':>6}  metric     plain  branded  delta  neg%_plain  neg%_branded  changed%",
    ]
    for name, d in result.items():
        metric = "bin_acc" if d["metric"] == "binary_accuracy" else "macro_f1"
        lines.append(
            f"{name:<25}{int(d['n']):>6}  {metric:<8}{100 * d['plain']:>8.1f}  {100 * d['branded']:>7.1f}"
            f"  {100 * (d['branded'] - d['plain']):>+5.1f}  {100 * d['negative_share_plain']:>10.1f}"
            f"  {100 * d['negative_share_branded']:>12.1f}  {100 * d['changed']:>8.1f}"
        )
    return "\n".join(lines)
