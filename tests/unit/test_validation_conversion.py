"""Converting input columns (String or native) to declared dtypes, and finding type garbage by position."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest

from backend.schema.declaration import ColumnSpec, ColumnType, DatasourceSchema
from backend.validation.conversion import convert_batch, normalized_strings

SCHEMA = DatasourceSchema(
    name="t",
    druid_datasource="t",
    timestamp_column="ts",
    columns=(
        ColumnSpec("ts", ColumnType.timestamp),
        ColumnSpec("n", ColumnType.long, required=False),
        ColumnSpec("x", ColumnType.double, required=False),
        ColumnSpec("s", ColumnType.string, required=False),
    ),
)


def _convert(**columns: pl.Series) -> tuple[dict[str, list[object]], dict[str, list[int]]]:
    height = len(next(iter(columns.values())))
    frame = pl.DataFrame(
        {
            "ts": columns.get("ts", pl.Series(["2025-01-03T10:00:00Z"] * height)),
            "n": columns.get("n", pl.Series([1] * height)),
            "x": columns.get("x", pl.Series([1.5] * height)),
            "s": columns.get("s", pl.Series(["a"] * height)),
        }
    )
    converted = convert_batch(frame, SCHEMA)
    assert converted.frame.schema == pl.Schema(
        {"ts": pl.Datetime("us", "UTC"), "n": pl.Int64(), "x": pl.Float64(), "s": pl.String()}
    )
    return converted.frame.to_dict(as_series=False), {
        column: positions.to_list() for column, positions in converted.type_errors.items()
    }


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


@pytest.mark.parametrize(
    "first",
    ["2025-01-03T10:00:00Z", "2025-01-03 10:00:00", "2025-01-03T10:00:00+02:00", "2025-01-03", "garbage"],
)
def test_every_timestamp_spelling_whatever_the_first_row_looks_like(first: str) -> None:
    texts = [
        first,
        "2025-01-03T10:00:00Z",
        "2025-01-03T10:00:00+02:00",
        "2025-01-03T10:00:00-05:30",
        "2025-01-03T10:00:00",
        "2025-01-03 10:00:00",
        "2025-01-03T10:00:00.123Z",
        "2025-01-03 10:00:00.5",
        "2025-01-03",
        " 2025-01-03T10:00:00Z ",
        "2025-01-03T10:00:00+0200",
        "yesterday",
        "2025-02-30",
        None,
        "",
        "  ",
    ]
    values, garbage = _convert(ts=pl.Series(texts))
    assert values["ts"][1:] == [
        utc(2025, 1, 3, 10),
        utc(2025, 1, 3, 8),
        utc(2025, 1, 3, 15, 30),
        utc(2025, 1, 3, 10),
        utc(2025, 1, 3, 10),
        utc(2025, 1, 3, 10, 0, 0, 123000),
        utc(2025, 1, 3, 10, 0, 0, 500000),
        utc(2025, 1, 3),
        utc(2025, 1, 3, 10),
        utc(2025, 1, 3, 8),
        None,
        None,
        None,
        None,
        None,
    ]
    expected_garbage = [11, 12] if first != "garbage" else [0, 11, 12]
    assert garbage == {"ts": expected_garbage}


def test_native_timestamps_naive_aware_and_dates_become_utc() -> None:
    naive = pl.Series([datetime(2025, 1, 3, 10)], dtype=pl.Datetime("ms"))
    values, garbage = _convert(ts=naive)
    assert values["ts"] == [utc(2025, 1, 3, 10)]
    aware = pl.Series([datetime(2025, 1, 3, 10, tzinfo=timezone(timedelta(hours=2)))]).dt.convert_time_zone(
        "Europe/Berlin"
    )
    assert _convert(ts=aware)[0]["ts"] == [utc(2025, 1, 3, 8)]
    assert _convert(ts=pl.Series([date(2025, 1, 3)]))[0]["ts"] == [utc(2025, 1, 3)]
    assert garbage == {}


def test_numbers_where_a_timestamp_belongs_are_garbage() -> None:
    assert _convert(ts=pl.Series([45000.0, None]))[1] == {"ts": [0]}


def test_long_from_text() -> None:
    values, garbage = _convert(n=pl.Series(["3", " 7 ", "3.0", "3.5", "abc", "", "  ", None, "1e3", "-2"]))
    assert values["n"] == [3, 7, 3, None, None, None, None, None, 1000, -2]
    assert garbage == {"n": [3, 4]}


def test_long_from_native_numbers() -> None:
    assert _convert(n=pl.Series([1, 2], dtype=pl.Int32))[0]["n"] == [1, 2]
    values, garbage = _convert(n=pl.Series([2.0, 2.5, float("nan"), None]))
    assert values["n"] == [2, None, None, None]
    assert garbage == {"n": [1, 2]}


def test_double_from_text_refuses_non_finite() -> None:
    values, garbage = _convert(x=pl.Series(["1.5", " 2 ", "NaN", "inf", "1,5", None, ""]))
    assert values["x"] == [1.5, 2.0, None, None, None, None, None]
    assert garbage == {"x": [2, 3, 4]}


def test_double_from_native_int() -> None:
    assert _convert(x=pl.Series([1, 2], dtype=pl.Int64))[0]["x"] == [1.0, 2.0]


def test_strings_keep_text_and_spreadsheet_whole_numbers_lose_the_point_zero() -> None:
    values, garbage = _convert(s=pl.Series(["NA", " a ", "", None]))
    assert values["s"] == ["NA", " a ", "", None]
    assert _convert(s=pl.Series([1001.0, 2.5]))[0]["s"] == ["1001", "2.5"]
    assert _convert(s=pl.Series([7, 8]))[0]["s"] == ["7", "8"]
    assert garbage == {}


def test_normalized_strings() -> None:
    assert normalized_strings(pl.Series("id", [1001.0, 2.5, None])).to_list() == ["1001", "2.5", None]
    assert normalized_strings(pl.Series("id", ["T1"])).to_list() == ["T1"]


def test_years_python_cannot_hold_are_type_errors_and_the_bounds_are_not() -> None:
    texts = ["0000-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2025-01-03T10:00:00Z",
             "-0001-06-01T00:00:00+00:00", "0001-01-01T00:30:00+01:00"]
    values, errors = _convert(ts=pl.Series(texts))
    assert values["ts"][1:4] == [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
                                 datetime(2025, 1, 3, 10, tzinfo=UTC)]
    # 00:30 at +01:00 is 23:30 UTC on 31 December of year 0.
    assert errors["ts"] == [0, 4, 5]
