"""Reading foreign classifiers' label names as negative/neutral/positive."""

from __future__ import annotations

import re

from listening.errors import ModelError

_GENERIC = re.compile(r"^label[_ ]?(\d+)$")
_STARS = re.compile(r"^(\d)\s*stars?$")


def _slot(name: str, index: int, n_labels: int) -> int:
    low = name.strip().lower()
    if low.startswith("neg") or low in {"bad", "0_negative"}:
        return 0
    if low.startswith("neu") or low in {"mixed", "none"}:
        return 1
    if low.startswith("pos") or low in {"good"}:
        return 2
    stars = _STARS.match(low)
    if stars:
        value = int(stars.group(1))
        return 0 if value <= 2 else 1 if value == 3 else 2
    generic = _GENERIC.match(low)
    idx = int(generic.group(1)) if generic else index if low.isdigit() else None
    if idx is not None and n_labels == 3:
        return idx
    if idx is not None and n_labels == 2:
        return 0 if idx == 0 else 2
    raise ModelError(f"cannot read classifier label {name!r} as negative/neutral/positive")


def normalise_labels(id2label: dict[int, str]) -> list[list[int]]:
    """For each of negative/neutral/positive, the classifier columns that feed it.

    >>> normalise_labels({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    [[0], [1], [2]]
    >>> normalise_labels({0: "POSITIVE", 1: "NEGATIVE"})
    [[1], [], [0]]
    >>> normalise_labels({0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"})
    [[0, 1], [2], [3, 4]]
    """
    order: list[list[int]] = [[], [], []]
    for raw_index, name in sorted(id2label.items(), key=lambda kv: int(kv[0])):
        index = int(raw_index)
        order[_slot(str(name), index, len(id2label))].append(index)
    if not order[0] or not order[2]:
        raise ModelError(f"classifier labels {dict(id2label)} lack a negative or a positive class")
    return order
