"""Does the score depend on which brand is named? Configured names put into labelled texts.

Each chosen text is scored bare and again with one of the configured names (any
script, brand and insertion style picked by the text's hash), once as the model
reads it and once with the names masked as scoring masks them. The issue's aim:
macro-F1 within 1 point and the negative share within 2 points of the bare text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from listening.nlp.brandnames import STYLES, with_brand
from listening.nlp.data import text_hash
from listening.nlp.evaluation import macro_f1
from listening.nlp.masking import BrandMask

Probs = Callable[[Sequence[str], BrandMask | None], np.ndarray]


def name_inserted(text: str, names: Sequence[str]) -> str:
    """``text`` with one of ``names`` put in, both name and style chosen by the text's hash.

    >>> name_inserted("Great update", ["Orbitly"]) in {s.format(brand="Orbitly", text="Great update") for s in STYLES}
    True
    """
    digest = int(text_hash("name:" + text)[:8], 16)
    return with_brand(text, names[digest % len(names)], STYLES[(digest // len(names)) % len(STYLES)])


def _figures(gold: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    pred = probs.argmax(axis=1)
    return macro_f1(gold, pred, [0, 1, 2]), float(np.mean(pred == 0)) if len(pred) else 0.0


def robustness(texts: Sequence[str], gold: Sequence[int], groups: Sequence[str], names: Sequence[str],
               mask: BrandMask, probs_of: Probs, rows: int) -> dict[str, dict[str, float]]:
    """Per group (e.g. language) and ``all``: macro-F1 and negative share of the bare texts and of the
    name-inserted texts, unmasked and masked, on the group's first ``rows`` texts by hash."""
    chosen: list[int] = []
    for name in dict.fromkeys(groups):
        members = sorted((i for i, g in enumerate(groups) if g == name), key=lambda i: text_hash("names:" + texts[i]))
        chosen.extend(members[:rows])
    bare = [texts[i] for i in chosen]
    named = [name_inserted(t, names) for t in bare]
    runs = {
        "bare": probs_of(bare, None),
        "named": probs_of(named, None),
        "bare_masked": probs_of(bare, mask),
        "named_masked": probs_of(named, mask),
    }
    g = np.asarray(gold)[chosen]
    member = np.asarray([groups[i] for i in chosen])
    out: dict[str, dict[str, float]] = {}
    for name in ["all", *dict.fromkeys(member.tolist())]:
        sel = np.ones(len(chosen), bool) if name == "all" else member == name
        row: dict[str, float] = {"n": int(sel.sum())}
        for run, probs in runs.items():
            row[f"f1_{run}"], row[f"neg_{run}"] = _figures(g[sel], probs[sel])
        out[name] = row
    return out


def format_robustness(result: dict[str, dict[str, float]], placeholder: str) -> str:
    """Plain-text table: percentages, and each run's difference from the bare unmasked texts in points."""
    lines = [
        f"brand names inserted (masked with {placeholder!r}); macro-F1 / negative share %, (delta vs bare):",
        f"{'group':<10}{'n':>5}  {'bare':>11}  {'named':>23}  {'bare masked':>23}  {'named masked':>23}",
    ]
    for name, r in result.items():
        cells = [f"{100 * r['f1_bare']:>5.1f} /{100 * r['neg_bare']:>5.1f}"]
        for run in ("named", "bare_masked", "named_masked"):
            df, dn = 100 * (r[f"f1_{run}"] - r["f1_bare"]), 100 * (r[f"neg_{run}"] - r["neg_bare"])
            cells.append(f"{100 * r[f'f1_{run}']:>5.1f} /{100 * r[f'neg_{run}']:>5.1f} ({df:+.1f}/{dn:+.1f})")
        lines.append(f"{name:<10}{int(r['n']):>5}  " + "  ".join(f"{c:>23}" if i else f"{c:>11}" for i, c in enumerate(cells)))
    return "\n".join(lines)
