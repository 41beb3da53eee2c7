"""Deterministic sales data for tests, benchmarks and the committed sample file.

`generate_sales` returns the 13 columns of the built-in `sales` schema, every row valid. TransactionTimestamp
is a String in the form a CSV carries ("2025-01-03T14:05:09Z", UTC); `write_sample` turns it into native date
cells for Excel and a UTC Datetime for Parquet, the way those files arrive in real life.

    python -m backend.sample_data samples/sales_sample.csv 3000 [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from backend.formats.file_format import FileFormat

SALES_COLUMNS = (
    "TransactionID",
    "TransactionTimestamp",
    "ProductLine",
    "ProductName",
    "CustomerID",
    "Region",
    "Country",
    "SalesChannel",
    "Quantity",
    "UnitPrice",
    "Discount",
    "Currency",
    "Revenue",
)

DEFAULT_START = dt.datetime(2025, 1, 1)  # fixed so output never depends on today; must stay in the past
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# (product line, product name, list price)
_CATALOG: tuple[tuple[str, str, float], ...] = (
    ("Electronics", "Laptop", 899.0),
    ("Electronics", "Smartphone", 699.0),
    ("Electronics", "Headphones", 129.0),
    ("Electronics", "Monitor", 249.0),
    ("Electronics", "Keyboard", 59.0),
    ("Home", "Blender", 79.0),
    ("Home", "Vacuum Cleaner", 199.0),
    ("Home", "Desk Lamp", 35.0),
    ("Home", "Cookware Set", 149.0),
    ("Office", "Desk Chair", 189.0),
    ("Office", "Notebook", 4.5),
    ("Office", "Printer", 159.0),
    ("Office", "Stapler", 12.0),
    ("Outdoor", "Tent", 229.0),
    ("Outdoor", "Backpack", 89.0),
    ("Outdoor", "Water Bottle", 19.0),
    ("Outdoor", "Camping Stove", 65.0),
)

# (country, region, currency)
_COUNTRIES: tuple[tuple[str, str, str], ...] = (
    ("US", "NA", "USD"),
    ("CA", "NA", "CAD"),
    ("GB", "EMEA", "GBP"),
    ("DE", "EMEA", "EUR"),
    ("FR", "EMEA", "EUR"),
    ("NL", "EMEA", "EUR"),
    ("ES", "EMEA", "EUR"),
    ("JP", "APAC", "JPY"),
    ("AU", "APAC", "AUD"),
    ("IN", "APAC", "INR"),
    ("SG", "APAC", "SGD"),
    ("BR", "LATAM", "BRL"),
    ("MX", "LATAM", "MXN"),
    ("CL", "LATAM", "USD"),
)

_CHANNELS = ("Online", "Retail", "Partner")
_CHANNEL_WEIGHTS = (0.55, 0.3, 0.15)
_DISCOUNTS = (0.0, 0.05, 0.1, 0.15, 0.2)
_DISCOUNT_WEIGHTS = (0.55, 0.2, 0.12, 0.08, 0.05)


def _padded(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    # Adding 10**width and dropping the leading "1" zero-pads about twice as fast as str.zfill.
    digits = (pl.Series(numbers, dtype=pl.Int64) + 10**width).cast(pl.String).str.slice(1)
    return pl.select(pl.concat_str(pl.lit(prefix), digits)).to_series()


def generate_sales(
    n_rows: int, seed: int = 7, start: dt.datetime = DEFAULT_START, days: int = 30
) -> pl.DataFrame:
    """`n_rows` valid sales rows, identical for identical arguments; timestamps sorted, from `start` on."""
    if n_rows < 0 or days < 1:
        raise ValueError("n_rows must be >= 0 and days >= 1")
    rng = np.random.default_rng(seed)

    seconds = np.sort(rng.integers(0, days * 86_400, size=n_rows))
    product = rng.integers(0, len(_CATALOG), size=n_rows)
    country = rng.integers(0, len(_COUNTRIES), size=n_rows)
    channel = rng.choice(len(_CHANNELS), size=n_rows, p=_CHANNEL_WEIGHTS)
    quantity = np.minimum(rng.geometric(0.45, size=n_rows), 50)
    discount = rng.choice(np.array(_DISCOUNTS), size=n_rows, p=_DISCOUNT_WEIGHTS)
    list_price = np.array([p for _, _, p in _CATALOG])[product]
    unit_price = np.maximum(np.round(list_price * rng.uniform(0.9, 1.1, size=n_rows), 2), 0.01)
    customer = rng.integers(1, max(1000, n_rows // 5) + 1, size=n_rows)

    def pick(table: Sequence[tuple[object, ...]], field: int, index: np.ndarray) -> pl.Series:
        return pl.Series([str(row[field]) for row in table], dtype=pl.String).gather(index)

    frame = pl.DataFrame(
        {
            "TransactionID": _padded("TXN-", np.arange(1, n_rows + 1), 10),
            "TransactionTimestamp": pl.Series(seconds, dtype=pl.Int64),
            "ProductLine": pick(_CATALOG, 0, product),
            "ProductName": pick(_CATALOG, 1, product),
            "CustomerID": _padded("CUST-", customer, 6),
            "Region": pick(_COUNTRIES, 1, country),
            "Country": pick(_COUNTRIES, 0, country),
            "SalesChannel": pl.Series(list(_CHANNELS), dtype=pl.String).gather(channel),
            "Quantity": pl.Series(quantity, dtype=pl.Int64),
            "UnitPrice": pl.Series(unit_price, dtype=pl.Float64),
            "Discount": pl.Series(discount, dtype=pl.Float64),
            "Currency": pick(_COUNTRIES, 2, country),
        }
    )
    return frame.with_columns(
        (pl.lit(start) + pl.duration(seconds=pl.col("TransactionTimestamp")))
        .dt.strftime(TIMESTAMP_FORMAT)
        .alias("TransactionTimestamp"),
        (pl.col("Quantity") * pl.col("UnitPrice") * (1 - pl.col("Discount"))).round(2).alias("Revenue"),
    ).select(SALES_COLUMNS)


def _with_native_timestamps(df: pl.DataFrame, time_zone: str | None) -> pl.DataFrame:
    if df.schema.get("TransactionTimestamp") != pl.String:
        return df
    parsed = pl.col("TransactionTimestamp").str.to_datetime(TIMESTAMP_FORMAT, time_unit="us")
    if time_zone is not None:
        parsed = parsed.dt.replace_time_zone(time_zone)
    return df.with_columns(parsed)


def _write_xlsx(path: Path, df: pl.DataFrame) -> None:
    # xlsxwriter (behind polars.write_excel) is not a dependency; openpyxl's write-only mode streams rows.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sales")
    sheet.append(df.columns)
    for row in _with_native_timestamps(df, None).iter_rows():
        sheet.append(list(row))
    workbook.save(path)


def _write_xls(path: Path, df: pl.DataFrame) -> None:
    import xlwt

    if df.height + 1 > 65_536:
        raise ValueError(f".xls holds at most 65,535 data rows, not {df.height}")
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Sales")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
    for col, name in enumerate(df.columns):
        sheet.write(0, col, name)
    for r, row in enumerate(_with_native_timestamps(df, None).iter_rows(), start=1):
        for col, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write(r, col, value, date_style)
            elif value is not None:
                sheet.write(r, col, value)
    workbook.save(str(path))


def write_sample(path: Path, fmt: FileFormat, df: pl.DataFrame) -> Path:
    """Write `df` as `fmt` the way people's tools do: native date cells in Excel, UTC Datetime in Parquet."""
    if fmt is FileFormat.csv:
        df.write_csv(path)
    elif fmt is FileFormat.xlsx:
        _write_xlsx(path, df)
    elif fmt is FileFormat.xls:
        _write_xls(path, df)
    elif fmt is FileFormat.parquet:
        _with_native_timestamps(df, "UTC").write_parquet(path)
    elif fmt is FileFormat.ndjson:
        df.write_ndjson(path)
    elif fmt is FileFormat.json:
        df.write_json(path)
    else:  # pragma: no cover - exhaustive over FileFormat
        raise ValueError(f"no writer for {fmt}")
    return path


_SUFFIXES = {
    ".csv": FileFormat.csv,
    ".xlsx": FileFormat.xlsx,
    ".xls": FileFormat.xls,
    ".parquet": FileFormat.parquet,
    ".ndjson": FileFormat.ndjson,
    ".jsonl": FileFormat.ndjson,
    ".json": FileFormat.json,
}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: write a generated sample; the format follows the file suffix."""
    parser = argparse.ArgumentParser(description="Write deterministic sales sample data.")
    parser.add_argument("path", type=Path)
    parser.add_argument("rows", type=int)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    fmt = _SUFFIXES.get(args.path.suffix.lower())
    if fmt is None:
        parser.error(f"unknown suffix {args.path.suffix!r}; use one of {', '.join(_SUFFIXES)}")
    write_sample(args.path, fmt, generate_sales(args.rows, seed=args.seed))


if __name__ == "__main__":
    main()
