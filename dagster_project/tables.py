"""Polars frames from :mod:`listening.tables` and :mod:`listening.hourly` as Dagster table metadata."""

import dagster as dg
import polars as pl


def _column_type(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    return "bool" if dtype == pl.Boolean else "string"


def table(frame: pl.DataFrame) -> dg.TableMetadataValue:
    """A frame of plain columns (text, numbers, booleans) as a table the UI draws, with its schema."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name, _column_type(dtype)) for name, dtype in frame.schema.items()])
    return dg.MetadataValue.table([dg.TableRecord(row) for row in frame.iter_rows(named=True)], schema=schema)
