"""Labelled sentiment data: reading the shared TSVs and a reproducible split.

The validation split is a pure function of each text (hash → 10 %), so anyone
with the same files gets the same split without a stored list.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from listening.errors import InputError
from listening.textfile import read_text

LABELS = ("negative", "neutral", "positive")
SOURCE_FILES = (
    "umsab_train_val.tsv",
    "tweeteval_en.tsv",
    "nsmc_ko.tsv",
    "amazon_ja.tsv",
    "ko3_train.tsv",
    "ja3_train.tsv",
)
# Files labelled positive/negative only: they say nothing about neutral, so training uses
# them for the positive-vs-negative odds alone and evaluation scores them as binary.
BINARY_SOURCES = frozenset({"nsmc_ko", "amazon_ja"})
# Files mixing several origins (the ``source`` column): evaluation reports each one.
MIXED_SOURCES = frozenset({"ko3_train", "ja3_train"})
VALIDATION_PERCENT = 10
MAX_VALIDATION_PER_SOURCE = 2000
DEFAULT_MAX_PER_SOURCE = 10000


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text (label 0 negative, 1 neutral, 2 positive)."""

    text: str
    label: int
    lang: str
    source: str
    origin: str = ""


def default_data_dir() -> Path:
    """``$LISTENING_SENTIMENT_DATA`` or ``../shared/data/sentiment`` beside the repo."""
    env = os.environ.get("LISTENING_SENTIMENT_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "sentiment"


def text_hash(text: str) -> str:
    """Stable key of a text (split assignment, caches).

    >>> text_hash("hello")[:8]
    '2cf24dba'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_validation(text: str) -> bool:
    """Whether a text belongs to the held-out 10 % (decided by its hash)."""
    return int(text_hash(text)[:8], 16) % 100 < VALIDATION_PERCENT


def read_labelled_tsv(path: Path, source: str | None = None) -> Iterator[Example]:
    """Yield labelled rows; unlabelled rows (empty label) are skipped."""
    reader = csv.reader(io.StringIO(read_text(path, "a labelled TSV").text, newline=""),
                        delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if not header or "text" not in header or "label" not in header:
        raise InputError(f"{path}: header must contain 'text' and 'label' columns")
    col = {name: i for i, name in enumerate(header)}
    for lineno, row in enumerate(reader, start=2):
        if len(row) < len(header):
            continue
        label = row[col["label"]].strip()
        if label == "":
            continue
        if label not in ("0", "1", "2"):
            raise InputError(f"{path}:{lineno}: label {label!r} is not 0, 1 or 2")
        lang = row[col["lang"]] if "lang" in col else ""
        origin = row[col["source"]] if "source" in col else ""
        yield Example(row[col["text"]], int(label), lang, source or path.stem, origin)


def report_groups(examples: list[Example]) -> list[list[str]]:
    """Evaluation groups of each example: its file, plus ``umsab/<lang>`` for UMSAB tweets
    and ``<file>/<origin>`` for files that mix several sources.

    >>> report_groups([Example("t", 1, "es", "umsab_train_val"), Example("t", 1, "ko", "ko3_train", "fpb-ko")])
    [['umsab_train_val', 'umsab/es'], ['ko3_train', 'ko3_train/fpb-ko']]
    """
    out = []
    for e in examples:
        extra = []
        if e.source.startswith("umsab"):
            extra = [f"umsab/{e.lang}"]
        elif e.source in MIXED_SOURCES and e.origin:
            extra = [f"{e.source}/{e.origin}"]
        out.append([e.source] + extra)
    return out


def _cap(examples: list[Example], limit: int) -> list[Example]:
    """Deterministic subsample: the ``limit`` examples with the smallest hashes."""
    if limit <= 0 or len(examples) <= limit:
        return examples
    return sorted(examples, key=lambda e: text_hash("cap:" + e.text))[:limit]


def load_split(
    data_dir: Path,
    split: str,
    max_per_source: int = DEFAULT_MAX_PER_SOURCE,
    max_validation: int = MAX_VALIDATION_PER_SOURCE,
    files: tuple[str, ...] = SOURCE_FILES,
) -> dict[str, list[Example]]:
    """Examples of ``split`` ("train" or "validation") per source file, deduplicated.

    A smaller ``max_validation`` keeps a prefix of the same hash order, so a capped
    validation set is always a subset of the full one.
    """
    if split not in ("train", "validation"):
        raise InputError(f"unknown split {split!r}; use 'train' or 'validation'")
    if not data_dir.is_dir():
        raise InputError(f"sentiment data directory {data_dir} does not exist; pass --data-dir")
    out: dict[str, list[Example]] = {}
    for name in files:
        path = data_dir / name
        if not path.is_file():
            continue
        seen: set[str] = set()
        chosen = []
        for ex in read_labelled_tsv(path, source=path.stem):
            if ex.text in seen or is_validation(ex.text) != (split == "validation"):
                continue
            seen.add(ex.text)
            chosen.append(ex)
        limit = max_validation if split == "validation" else max_per_source
        out[path.stem] = _cap(chosen, limit)
    if not out:
        raise InputError(f"no sentiment files ({', '.join(SOURCE_FILES)}) in {data_dir}")
    return out


def _by_hash(examples: list[Example], tag: str) -> list[Example]:
    return sorted(examples, key=lambda e: text_hash(f"{tag}:{e.text}"))


def balanced(examples: list[Example], limit: int) -> list[Example]:
    """At most ``limit`` examples, spread evenly over (origin, label) cells; deterministic.

    A cell with fewer rows than its share gives the rest to the other cells.

    >>> rows = [Example(f"t{i}", i % 3, "ko", "f", "a") for i in range(30)]
    >>> sorted(e.label for e in balanced(rows, 6))
    [0, 0, 1, 1, 2, 2]
    """
    cells: dict[tuple[str, int], list[Example]] = defaultdict(list)
    for e in _by_hash(examples, "cap"):
        cells[(e.origin, e.label)].append(e)
    taken: dict[tuple[str, int], int] = {c: 0 for c in cells}
    left = min(limit, len(examples))
    while left > 0:
        open_cells = [c for c in sorted(cells) if taken[c] < len(cells[c])]
        share = max(1, left // len(open_cells))
        for c in open_cells:
            step = min(share, len(cells[c]) - taken[c], left)
            taken[c] += step
            left -= step
            if left == 0:
                break
    return [e for c in sorted(cells) for e in cells[c][: taken[c]]]
