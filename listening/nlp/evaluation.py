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
    return out


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
    group                n  accuracy  macro_f1  bin_acc  bin_f1
    all                  2      50.0      25.0        -       -
    """
    lines = [f"{'group':<16}{'n':>6}  accuracy  macro_f1  bin_acc  bin_f1"]
    for name, m in result.items():
        bin_acc = f"{100 * m['binary_accuracy']:.1f}" if "binary_accuracy" in m else "-"
        bin_f1 = f"{100 * m['binary_macro_f1']:.1f}" if "binary_macro_f1" in m else "-"
        lines.append(
            f"{name:<16}{int(m['n']):>6}  {100 * m['accuracy']:>8.1f}  {100 * m['macro_f1']:>8.1f}"
            f"  {bin_acc:>7}  {bin_f1:>6}"
        )
    return "\n".join(lines)
