"""Listed mentions as CSV, JSON Lines or Parquet files (polars), for spreadsheets and notebooks.

Values are the stored ones, not the terminal's shortened cells. In CSV, a text cell that a
spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, tab or CR) gets a
leading apostrophe, so a hostile post cannot become a formula; JSON Lines and Parquet keep the text
exactly as stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import polars as pl

from listening.errors import InputError

FORMATS = ("table", "csv", "jsonl", "parquet")

SCHEMA: dict[str, Any] = {
    "published_at": pl.Datetime("us", "UTC"), "brand": pl.String, "source": pl.String, "lang": pl.String,
    "sentiment": pl.String, "p": pl.Float64, "p_negative": pl.Float64, "p_neutral": pl.Float64, "p_positive": pl.Float64,
    "topic": pl.String, "reach": pl.Int64, "is_own": pl.Boolean, "author": pl.String, "title": pl.String,
    "text": pl.String, "replies": pl.Int64, "url": pl.String, "id": pl.String, "model_id": pl.String,
}
_TEXT = ("brand", "source", "author", "title", "text", "url", "topic")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def mentions_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """The listed mentions as a frame with a fixed schema (the same columns even when nothing matched)."""
    return pl.DataFrame([{k: r.get(k) for k in SCHEMA} for r in rows], schema=SCHEMA, orient="row")


def _defuse(frame: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for col in _TEXT:
        starts = pl.col(col).str.slice(0, 1).is_in(list(_FORMULA)).fill_null(False)
        exprs.append(pl.when(starts).then(pl.lit("'") + pl.col(col)).otherwise(pl.col(col)).alias(col))
    return frame.with_columns(exprs)


def write_mentions(rows: Iterable[Mapping[str, Any]], fmt: str, out: Path | IO[bytes]) -> int:
    """Write the rows as ``fmt`` (csv, jsonl or parquet) to a path or a binary stream; returns the row count.

    A file is written beside its target first and then moved into place, so an interrupted export
    never leaves half a file under the name asked for.
    """
    if fmt not in FORMATS[1:]:
        raise InputError(f"unknown export format {fmt!r} (use one of {', '.join(FORMATS[1:])})")
    frame = mentions_frame(rows)
    if fmt == "csv":
        frame = _defuse(frame)
    if not isinstance(out, Path):
        # polars reports a closed pipe as its own error; writing the bytes here raises BrokenPipeError, which the CLI ends quietly on
        buf = io.BytesIO()
        _write(frame, fmt, buf)
        out.write(buf.getvalue())
        out.flush()
        return frame.height
    tmp = out.with_name(out.name + ".tmp")
    _write(frame, fmt, tmp)
    tmp.replace(out)
    return frame.height


def _write(frame: pl.DataFrame, fmt: str, target: Path | IO[bytes]) -> None:
    if fmt == "csv":
        frame.write_csv(target)
    elif fmt == "jsonl":
        frame.write_ndjson(target)
    else:
        frame.write_parquet(target)
