"""Plain TSV files as `listening score` and `listening model eval` read and write them.

One line is one row and a tab separates fields. Nothing is quoted or escaped, so
every text reads back byte for byte, including one that starts with ``"`` (a CSV
reader would take that for a quoted field and merge rows). A UTF-8 byte-order
mark and CRLF line ends are accepted (any other encoding is refused, see
:mod:`listening.textfile`), and kept when the table is written back.
What cannot be read as such a table is an :class:`InputError` naming the line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from listening.errors import InputError
from listening.textfile import BOM, read_text


@dataclass(frozen=True)
class Tsv:
    """A header, its rows, and how the file spelled line ends and the byte-order mark."""

    header: list[str]
    rows: list[list[str]]
    newline: str = "\n"
    bom: bool = False


def _names(header: Sequence[str]) -> str:
    """The header for an error message: a few names, each clipped, on one line."""
    shown = [name if len(name) <= 40 else name[:40] + "…" for name in header[:8]]
    return repr(shown) + (f" and {len(header) - 8} more" if len(header) > 8 else "")


def read_tsv(path: Path, required: tuple[str, ...] = ("text",)) -> Tsv:
    """The table in ``path``; every row has as many fields as the header."""
    file = read_text(path, "a TSV file")
    text, bom = file.text, file.bom
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines:
        raise InputError(f"{path}: empty file, expected a header row with a 'text' column")
    newline = "\r\n" if lines[0].endswith("\r") else "\n"
    lines = [line.removesuffix("\r") for line in lines]
    header = lines[0].split("\t")
    if "\r" in lines[0]:
        raise InputError(f"{path}: lines end in a bare CR (classic Mac); save the file with LF or CRLF line ends")
    for column in required:
        if column not in header:
            raise InputError(f"{path}: no '{column}' column in header {_names(header)}")
    rows = []
    for lineno, line in enumerate(lines[1:], start=2):
        row = line.split("\t")
        if len(row) != len(header):
            raise InputError(f"{path}:{lineno}: {len(row)} fields, header has {len(header)} (TSV fields are not "
                             "quoted: a tab or line break inside a text must be replaced, e.g. by a space)")
        rows.append(row)
    return Tsv(header, rows, newline, bom)


def write_tsv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *, newline: str = "\n",
              bom: bool = False) -> None:
    """Write a table atomically (a reader never sees half a file); fields are written as they are."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            fh.write((BOM if bom else "") + "\t".join(header) + newline)
            for row in rows:
                fh.write("\t".join(row) + newline)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write output ({exc.strerror})") from exc
