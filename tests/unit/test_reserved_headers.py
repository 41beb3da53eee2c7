"""A file whose header names a column `__row` (the readers' own row-number column): in every format it is an extra
column, ignored with the others, never a crash (an XLSX raised polars' DuplicateError, a Parquet file was called
unreadable)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from backend.formats.file_format import FileFormat
from backend.formats.limits import ReadLimits
from backend.pipeline.validate_file import OutputFiles, validate_to_files
from backend.sample_data import generate_sales
from backend.schema.builtins import SALES_SCHEMA


def _write(frame: pl.DataFrame, path: Path, fmt: FileFormat) -> None:
    if fmt is FileFormat.csv:
        frame.write_csv(path)
    elif fmt is FileFormat.ndjson:
        frame.write_ndjson(path)
    elif fmt is FileFormat.parquet:
        frame.write_parquet(path)
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append(list(row))
        book.save(path)


@pytest.mark.parametrize("fmt", [FileFormat.csv, FileFormat.ndjson, FileFormat.parquet, FileFormat.xlsx])
def test_a_column_named_row_is_an_ignored_extra_column(tmp_path: Path, fmt: FileFormat) -> None:
    frame = generate_sales(5, seed=1).with_columns(pl.lit("x").alias("__row"))
    path = tmp_path / f"sales.{fmt.value}"
    _write(frame, path, fmt)
    limits = ReadLimits(1000, 1_000_000, 100_000_000, 100)
    tally = validate_to_files(path, fmt, SALES_SCHEMA, limits, OutputFiles.in_folder(tmp_path), lineage_id="job",
                              now=datetime.now(UTC), error_sample_limit=10)
    assert (tally.rows_valid, tally.rows_invalid, tally.extra_columns) == (5, 0, ["__row"])
