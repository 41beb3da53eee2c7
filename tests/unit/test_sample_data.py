"""The sales sample generator: deterministic, valid by construction, readable back in every format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from backend.formats import FileFormat, ReadLimits, detect_format, match_columns, open_tabular, read_head
from backend.sample_data import SALES_COLUMNS, generate_sales, main, write_sample

REPO = Path(__file__).resolve().parents[2]


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    assert generate_sales(500).equals(generate_sales(500))
    assert not generate_sales(500).equals(generate_sales(500, seed=8))


def test_columns_and_every_rule_hold() -> None:
    frame = generate_sales(20_000)
    assert tuple(frame.columns) == SALES_COLUMNS
    assert frame.height == 20_000
    assert frame.get_column("TransactionID").n_unique() == 20_000
    stamps = frame.get_column("TransactionTimestamp").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", strict=True)
    assert stamps.min() >= dt.datetime(2025, 1, 1)  # type: ignore[operator]
    assert stamps.max() < dt.datetime(2025, 1, 31)  # type: ignore[operator]
    checks = frame.select(
        region=pl.col("Region").is_in(["NA", "EMEA", "APAC", "LATAM"]).all(),
        country=pl.col("Country").str.contains(r"^[A-Z]{2}$").all(),
        channel=pl.col("SalesChannel").is_in(["Online", "Retail", "Partner"]).all(),
        quantity=(pl.col("Quantity") >= 1).all(),
        price=((pl.col("UnitPrice") > 0) & ((pl.col("UnitPrice") * 100).round(6) % 1 == 0)).all(),
        discount=((pl.col("Discount") >= 0) & (pl.col("Discount") < 1)).all(),
        currency=pl.col("Currency").str.contains(r"^[A-Z]{3}$").all(),
        revenue=(
            pl.col("Revenue") == (pl.col("Quantity") * pl.col("UnitPrice") * (1 - pl.col("Discount"))).round(2)
        ).all(),
        nulls=pl.all_horizontal(pl.all().is_not_null()).all(),
    )
    assert checks.row(0) == (True,) * checks.width


def test_start_and_days_move_the_window() -> None:
    frame = generate_sales(100, start=dt.datetime(2024, 6, 1), days=1)
    assert frame.get_column("TransactionTimestamp").str.starts_with("2024-06-01T").all()


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_written_samples_read_back(tmp_path: Path, fmt: FileFormat) -> None:
    frame = generate_sales(50)
    path = write_sample(tmp_path / f"sample.{fmt.value}", fmt, frame)
    assert detect_format(read_head(path)) is fmt
    limits = ReadLimits(
        batch_rows=20,
        max_spreadsheet_cells=10_000,
        max_spreadsheet_inflated_bytes=10_000_000,
        max_spreadsheet_ratio=100,
    )
    with open_tabular(path, fmt, limits) as table:
        match = match_columns(table.columns, list(SALES_COLUMNS), list(SALES_COLUMNS))
        assert not match.missing and not match.extra
        read = pl.concat(table.batches(match.mapping))
    assert read.height == 50
    assert read.get_column("TransactionID").to_list() == frame.get_column("TransactionID").to_list()
    assert read.get_column("Region").to_list() == frame.get_column("Region").to_list()


def test_committed_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    regenerated = tmp_path / "sales_sample.csv"
    main([str(regenerated), "3000"])
    assert regenerated.read_bytes() == (REPO / "samples" / "sales_sample.csv").read_bytes()
