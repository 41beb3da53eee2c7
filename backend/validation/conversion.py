"""Convert each input column to its declared type, and find the cells that do not convert ("type garbage").

Readers hand over String columns (CSV, JSON) or native ones (Excel, Parquet: Int, Float, Datetime, Date).
A cast of the whole file would fail with no row number, so conversion is non-strict: a cell whose result is
null while its input was not is a `type` error at exactly that row and column. Blank input is not garbage: it
becomes null and is reported as missing (`required`).

Fast path: one vectorized conversion per column with the quickest parser that fits the data. Only the cells it
could not convert go through the slower, more lenient parsers, so garbage costs per bad cell, not per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from backend.schema.declaration import ColumnType, DatasourceSchema

TIMESTAMP_DTYPE = pl.Datetime("us", "UTC")
_DTYPE: dict[ColumnType, pl.DataType] = {
    ColumnType.string: pl.String(),
    ColumnType.long: pl.Int64(),
    ColumnType.double: pl.Float64(),
    ColumnType.timestamp: TIMESTAMP_DTYPE,
}


def polars_dtype(column_type: ColumnType) -> pl.DataType:
    """The dtype a column has after conversion (and in BatchResult.valid)."""
    return _DTYPE[column_type]


@dataclass(frozen=True)
class _TimestampFormat:
    pattern: str
    # True: the text carries an offset ("Z" or "+02:00") and polars returns UTC; False: naive, taken as UTC.
    has_offset: bool


# Fixed-width formats polars parses on its fast path (measured ~3x quicker than the general ones below). A
# literal "Z" parses as naive time that is UTC already.
_FAST_FORMATS = (
    _TimestampFormat("%Y-%m-%dT%H:%M:%SZ", has_offset=False),
    _TimestampFormat("%Y-%m-%d %H:%M:%S", has_offset=False),
    _TimestampFormat("%Y-%m-%dT%H:%M:%S", has_offset=False),
    _TimestampFormat("%Y-%m-%d", has_offset=False),
)
# Together these accept every supported spelling: "T" or space, optional fraction, "Z" or "+hh:mm"/"+hhmm"
# or no offset, or a bare date.
_GENERAL_FORMATS = (
    _TimestampFormat("%Y-%m-%dT%H:%M:%S%.f%#z", has_offset=True),
    _TimestampFormat("%Y-%m-%d %H:%M:%S%.f%#z", has_offset=True),
    _TimestampFormat("%Y-%m-%dT%H:%M:%S%.f", has_offset=False),
    _TimestampFormat("%Y-%m-%d %H:%M:%S%.f", has_offset=False),
    _TimestampFormat("%Y-%m-%d", has_offset=False),
)


@dataclass(frozen=True)
class ConvertedBatch:
    """The batch's schema columns converted to their declared dtypes (nulls where conversion failed)."""

    frame: pl.DataFrame
    # column -> 0-based positions of cells whose input was present but did not convert
    type_errors: dict[str, pl.Series]


def convert_batch(batch: pl.DataFrame, schema: DatasourceSchema) -> ConvertedBatch:
    """Convert every schema column of `batch` (which must have them all) to its declared dtype."""
    fast = batch.select([_fast_conversion(batch[c.name], c.type).alias(c.name) for c in schema.columns])
    columns: list[pl.Series] = []
    type_errors: dict[str, pl.Series] = {}
    for spec in schema.columns:
        original = batch[spec.name]
        converted = fast[spec.name]
        if spec.type is ColumnType.timestamp:
            converted = _in_python_range(converted)
        if spec.type is ColumnType.string and original.dtype == pl.String:
            columns.append(converted)  # text stays text: nothing can fail to convert
            continue
        failed_mask = converted.is_null() & original.is_not_null()
        if spec.type is ColumnType.double and original.dtype == pl.String:
            # The fast path casts text without its finiteness test ("NaN", "inf"); the retry refuses those.
            failed_mask = failed_mask | ~converted.is_finite()
        failed = failed_mask.arg_true()
        if failed.len() and original.dtype == pl.String:
            converted, failed = _retry_leniently(original, converted, failed, spec.type)
        if failed.len():
            type_errors[spec.name] = failed
        columns.append(converted)
    return ConvertedBatch(pl.DataFrame(columns), type_errors)


def normalized_strings(values: pl.Series) -> pl.Series:
    """A column as the strings the validator compares (e.g. for uniqueness): Excel's 1001.0 becomes "1001"."""
    return values.to_frame().select(normalized_string(pl.col(values.name), values.dtype)).to_series()


def normalized_string(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """`normalized_strings` as an expression over a column of `dtype`, for lazy queries."""
    return _to_string(col, dtype)


def _fast_conversion(values: pl.Series, column_type: ColumnType) -> pl.Expr:
    col = pl.col(values.name)
    dtype = values.dtype
    if column_type is ColumnType.string:
        return _to_string(col, dtype)
    if column_type is ColumnType.long:
        return _to_long(col, dtype)
    if column_type is ColumnType.double:
        return _to_double(col, dtype)
    return _to_timestamp(col, values)


def _to_string(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        return col
    if dtype.is_float():
        # Spreadsheets store every number as a float: an ID typed as 1001 must stay "1001", not "1001.0".
        whole = col.is_finite() & (col == col.floor())
        return pl.when(whole).then(col.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(col.cast(pl.String))
    return col.cast(pl.String, strict=False)


def _to_long(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_float():
        # 2.0 is a whole number stored as a float; 2.5 is not a long and must not be truncated to 2.
        return pl.when(col.is_finite() & (col == col.floor())).then(col.cast(pl.Int64, strict=False))
    if dtype == pl.Boolean:
        return pl.lit(None, pl.Int64)
    return col.cast(pl.Int64, strict=False)


def _to_double(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Boolean:
        return pl.lit(None, pl.Float64)
    number = col.cast(pl.Float64, strict=False)
    if dtype == pl.String:
        return number  # convert_batch sends non-finite results to the lenient retry
    return _finite(number)


def _finite(number: pl.Expr) -> pl.Expr:
    # "NaN" and "inf" cast fine but are no quantity or price; Druid would store them as they are.
    return pl.when(number.is_finite()).then(number)


def _to_timestamp(col: pl.Expr, values: pl.Series) -> pl.Expr:
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime):
        aware = col.dt.convert_time_zone("UTC") if dtype.time_zone else col.dt.replace_time_zone("UTC")
        return aware.dt.cast_time_unit("us")
    if dtype == pl.Date:
        return col.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype == pl.String:
        return _parse_timestamps(col, _likely_format(values))
    # Numbers (an Excel serial date in a cell without date format) or anything else: every present cell is
    # garbage. An all-empty column (dtype Null) lands here too, and has no present cells.
    return pl.lit(None, TIMESTAMP_DTYPE)


_PYTHON_RANGE = (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC))


def _in_python_range(timestamps: pl.Series) -> pl.Series:
    """Null (so a `type` error) where the year is outside 1..9999: Polars parses "0000-01-01", but a year Python's
    datetime cannot hold would break the rules that report values (Pandera turns failures into Python objects)."""
    # Compared as instants (integers underneath): extracting each value's year cost 10x as much.
    col = pl.col(timestamps.name)
    low, high = (pl.lit(bound, dtype=timestamps.dtype) for bound in _PYTHON_RANGE)
    return timestamps.to_frame().select(pl.when(col.is_between(low, high)).then(col)).to_series()


def _parse_timestamps(col: pl.Expr, fmt: _TimestampFormat) -> pl.Expr:
    # Transaction times are nearly all distinct, so polars' parse cache only costs (3x on 1M rows).
    parsed = col.str.to_datetime(fmt.pattern, time_unit="us", strict=False, cache=False)
    return parsed if fmt.has_offset else parsed.dt.replace_time_zone("UTC")


def _likely_format(values: pl.Series) -> _TimestampFormat:
    """The quickest format that parses the first parseable value: files are almost always consistent."""
    sample = values.head(1000).drop_nulls().head(20)
    for fmt in (*_FAST_FORMATS, *_GENERAL_FORMATS):
        parsed = sample.to_frame().select(_parse_timestamps(pl.col(values.name), fmt)).to_series()
        if parsed.null_count() < parsed.len():
            return fmt
    return _FAST_FORMATS[0]


def _retry_leniently(
    original: pl.Series, converted: pl.Series, failed: pl.Series, column_type: ColumnType
) -> tuple[pl.Series, pl.Series]:
    """Second chance for the cells the fast path refused: the column, and the positions still failing."""
    text = original.gather(failed).str.strip_chars()
    retried = _lenient(text.rename("v"), column_type)
    recovered = retried.is_not_null()
    # Every retried cell takes its retry's result: a value or null (a fast-path NaN must not survive).
    converted = converted.clone().scatter(failed, retried)
    # Blank text is missing, not garbage: it stays null and is reported as `required` if the column is.
    still_failing = ~recovered & (text.str.len_bytes() > 0)
    return converted, failed.filter(still_failing)


def _lenient(text: pl.Series, column_type: ColumnType) -> pl.Series:
    frame = text.to_frame()
    col = pl.col("v")
    if column_type is ColumnType.long:
        number = col.cast(pl.Float64, strict=False)
        # "3.0" (a spreadsheet's export of 3) is accepted; "3.5" is not.
        whole = pl.when(number.is_finite() & (number == number.floor())).then(number.cast(pl.Int64, strict=False))
        return frame.select(pl.coalesce(col.cast(pl.Int64, strict=False), whole)).to_series()
    if column_type is ColumnType.double:
        return frame.select(_finite(col.cast(pl.Float64, strict=False))).to_series()
    if column_type is ColumnType.timestamp:
        parsed = frame.select(pl.coalesce([_parse_timestamps(col, fmt) for fmt in _GENERAL_FORMATS])).to_series()
        return _in_python_range(parsed)
    return text
