"""Parquet: native types, 1-based record numbers, exact row count, corrupt files refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from backend.errors import ErrorCode, IngestError
from backend.formats import FileFormat, ReadLimits, detect_format, open_tabular, read_head


def _limits(batch_rows: int) -> ReadLimits:
    return ReadLimits(
        batch_rows=batch_rows,
        max_spreadsheet_cells=1_000_000,
        max_spreadsheet_inflated_bytes=100_000_000,
        max_spreadsheet_ratio=100,
    )


def test_parquet_batches_keep_native_types_and_number_records(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    pl.DataFrame(
        {"qty": [1, None, 3, 4, 5], "at": [at] * 5, "name": ["a", "b", None, "d", "e"], "unused": [0.5] * 5}
    ).write_parquet(path, row_group_size=2)
    assert detect_format(read_head(path)) is FileFormat.parquet
    with open_tabular(path, FileFormat.parquet, _limits(batch_rows=2)) as table:
        assert table.columns == ["qty", "at", "name", "unused"]
        assert table.approx_total_rows == 5
        batches = list(table.batches({"qty": "Quantity", "at": "Timestamp"}))
        assert table.read_column_rows("qty").get_column("qty").to_list() == ["1", None, "3", "4", "5"]
    assert [batch.height for batch in batches] == [2, 2, 1]
    frame = pl.concat(batches)
    assert frame.schema == pl.Schema(
        [("__row", pl.Int64), ("Quantity", pl.Int64), ("Timestamp", pl.Datetime("us", "UTC"))]
    )
    assert frame.get_column("__row").to_list() == [1, 2, 3, 4, 5]


def test_corrupt_parquet_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "cut.parquet"
    pl.DataFrame({"a": list(range(1000))}).write_parquet(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(IngestError) as raised:
        open_tabular(path, FileFormat.parquet, _limits(batch_rows=10))
    assert raised.value.code is ErrorCode.malformed_file
