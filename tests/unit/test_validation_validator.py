"""validate_batch against the sales schema: every rule failing at exact rows and columns, the valid and
invalid frames, duplicates across batches, Revenue's tolerance, native dtypes."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from backend.errors import ErrorCode, IngestError
from backend.schema.builtins import SALES_SCHEMA
from backend.schema.declaration import ColumnSpec, ColumnType, DatasourceSchema
from backend.validation.validator import (
    BatchResult,
    RowError,
    find_duplicate_values,
    repeated_hashes,
    validate_batch,
    value_hashes,
    values_with_hashes,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
GOOD: dict[str, Any] = {
    "TransactionID": "T1",
    "TransactionTimestamp": "2025-01-03T10:00:00Z",
    "ProductLine": "Hardware",
    "ProductName": "Widget",
    "CustomerID": "C1",
    "Region": "NA",
    "Country": "US",
    "SalesChannel": "Online",
    "Quantity": "2",
    "UnitPrice": "10.00",
    "Discount": "0.1",
    "Currency": "USD",
    "Revenue": "18.00",
}


def _batch(*changes: dict[str, Any], first_row: int = 2) -> pl.DataFrame:
    """Rows of GOOD with `changes` applied, unique IDs unless a change sets one, numbered from `first_row`."""
    rows = [{**GOOD, "TransactionID": f"T{first_row + i}", **change} for i, change in enumerate(changes)]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(GOOD, pl.String))
    return frame.with_columns(pl.int_range(first_row, first_row + len(rows), dtype=pl.Int64).alias("__row"))


def _validate(batch: pl.DataFrame, duplicates: frozenset[str] | None = None) -> BatchResult:
    found = find_duplicate_values(batch["TransactionID"]) if duplicates is None else duplicates
    return validate_batch(batch, SALES_SCHEMA, duplicates={"TransactionID": found}, now=NOW)


def _failures(result: BatchResult) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.rule) for e in result.errors]


def test_good_rows_are_valid_typed_and_in_schema_order() -> None:
    result = _validate(_batch({}, {"Region": "EMEA"}))
    assert (result.rows_total, result.rows_valid, result.rows_invalid) == (2, 2, 0)
    assert result.errors == []
    assert result.valid.schema == pl.Schema(
        {
            "TransactionID": pl.String(),
            "TransactionTimestamp": pl.Datetime("us", "UTC"),
            "ProductLine": pl.String(),
            "ProductName": pl.String(),
            "CustomerID": pl.String(),
            "Region": pl.String(),
            "Country": pl.String(),
            "SalesChannel": pl.String(),
            "Quantity": pl.Int64(),
            "UnitPrice": pl.Float64(),
            "Discount": pl.Float64(),
            "Currency": pl.String(),
            "Revenue": pl.Float64(),
        }
    )
    assert result.valid.row(0) == (
        "T2", datetime(2025, 1, 3, 10, tzinfo=UTC), "Hardware", "Widget", "C1", "NA", "US", "Online",
        2, 10.0, 0.1, "USD", 18.0,
    )  # fmt: skip
    assert result.invalid.columns == ["__row", *SALES_SCHEMA.column_names, "errors"]
    assert result.invalid.height == 0


def test_region_na_is_north_america_not_missing() -> None:
    result = _validate(_batch({"Region": "NA"}))
    assert result.rows_valid == 1
    assert result.valid["Region"].to_list() == ["NA"]


@pytest.mark.parametrize(
    ("change", "column", "rule", "value", "message"),
    [
        ({"Quantity": "abc"}, "Quantity", "type", "abc", "Quantity must be a whole number, got 'abc'"),
        ({"Quantity": "2.5"}, "Quantity", "type", "2.5", "Quantity must be a whole number, got '2.5'"),
        ({"UnitPrice": "ten"}, "UnitPrice", "type", "ten", "UnitPrice must be a number, got 'ten'"),
        (
            {"TransactionTimestamp": "yesterday"},
            "TransactionTimestamp",
            "type",
            "yesterday",
            "TransactionTimestamp must be a date-time such as 2025-01-03T10:00:00Z or 2025-01-03 10:00:00, "
            "got 'yesterday'",
        ),
        ({"CustomerID": None}, "CustomerID", "required", None, "CustomerID is required"),
        ({"Quantity": None}, "Quantity", "required", None, "Quantity is required"),
        ({"Quantity": "  "}, "Quantity", "required", "  ", "Quantity is required"),
        (
            {"TransactionTimestamp": None},
            "TransactionTimestamp",
            "required",
            None,
            "TransactionTimestamp is required",
        ),
        ({"ProductLine": ""}, "ProductLine", "not_blank", "", "ProductLine must not be blank"),
        ({"ProductName": "   "}, "ProductName", "not_blank", "   ", "ProductName must not be blank"),
        ({"Region": "XX"}, "Region", "one_of", "XX", "Region must be one of NA, EMEA, APAC, LATAM, got 'XX'"),
        ({"Region": "na"}, "Region", "one_of", "na", "Region must be one of NA, EMEA, APAC, LATAM, got 'na'"),
        (
            {"SalesChannel": "Phone"},
            "SalesChannel",
            "one_of",
            "Phone",
            "SalesChannel must be one of Online, Retail, Partner, got 'Phone'",
        ),
        (
            {"Country": "usa"},
            "Country",
            "pattern",
            "usa",
            "Country must be two upper-case letters, got 'usa'",
        ),
        (
            {"Country": "USA"},
            "Country",
            "pattern",
            "USA",
            "Country must be two upper-case letters, got 'USA'",
        ),
        (
            {"Currency": "US"},
            "Currency",
            "pattern",
            "US",
            "Currency must be three upper-case letters, got 'US'",
        ),
        ({"Quantity": "0", "Revenue": "0"}, "Quantity", "min", "0", "Quantity must be >= 1, got 0"),
        ({"UnitPrice": "0", "Revenue": "0"}, "UnitPrice", "min", "0", "UnitPrice must be > 0, got 0"),
        ({"Discount": "-0.1", "Revenue": "22"}, "Discount", "min", "-0.1", "Discount must be >= 0, got -0.1"),
        ({"Discount": "1", "Revenue": "0"}, "Discount", "max", "1", "Discount must be < 1, got 1"),
        (
            {"Revenue": "25"},
            "Revenue",
            "revenue_consistency",
            "25",
            "Revenue must equal Quantity x UnitPrice x (1 - Discount) = 18.00 (within 0.01), got 25",
        ),
        (
            {"TransactionTimestamp": "2026-01-01T00:00:01Z"},
            "TransactionTimestamp",
            "not_in_future",
            "2026-01-01T00:00:01Z",
            "TransactionTimestamp must not be in the future (now is 2026-01-01T00:00:00Z), got '2026-01-01T00:00:01Z'",
        ),
        (
            {"TransactionTimestamp": "1999-12-31T23:59:59Z"},
            "TransactionTimestamp",
            "too_old",
            "1999-12-31T23:59:59Z",
            "TransactionTimestamp must not be before 2000-01-01T00:00:00Z, got '1999-12-31T23:59:59Z'",
        ),
    ],
)
def test_each_rule_fails_at_its_row_and_column(
    change: dict[str, Any], column: str, rule: str, value: str | None, message: str
) -> None:
    result = _validate(_batch({}, change, {}, first_row=10))
    assert result.errors == [RowError(11, column, rule, value, message)]
    assert (result.rows_valid, result.rows_invalid) == (2, 1)
    assert result.invalid["__row"].to_list() == [11]
    assert result.invalid["errors"].to_list() == [f"{column}: {message.removeprefix(column + ' ')}"]
    assert result.valid["TransactionID"].to_list() == ["T10", "T12"]


def test_errors_are_ordered_by_row_then_schema_column() -> None:
    result = _validate(
        _batch(
            {},
            {"Revenue": "1", "Country": "x", "Quantity": "abc"},
            {},
            {"TransactionTimestamp": "nope", "Region": None},
        )
    )
    assert _failures(result) == [
        (3, "Country", "pattern"),
        (3, "Quantity", "type"),
        (5, "TransactionTimestamp", "type"),
        (5, "Region", "required"),
    ]
    assert result.invalid["errors"].to_list() == [
        "Country: must be two upper-case letters, got 'x'; Quantity: must be a whole number, got 'abc'",
        "TransactionTimestamp: must be a date-time such as 2025-01-03T10:00:00Z or 2025-01-03 10:00:00, got "
        "'nope'; Region: is required",
    ]


def test_invalid_rows_keep_their_original_text() -> None:
    result = _validate(_batch({}, {"Quantity": "abc", "TransactionTimestamp": "2025-01-03T10:00:00+02:00"}))
    assert result.invalid.schema == pl.Schema(
        {"__row": pl.Int64(), **dict.fromkeys(SALES_SCHEMA.column_names, pl.String()), "errors": pl.String()}
    )
    assert result.invalid.row(0, named=True) == {
        "__row": 3,
        **GOOD,
        "TransactionID": "T3",
        "TransactionTimestamp": "2025-01-03T10:00:00+02:00",
        "Quantity": "abc",
        "errors": "Quantity: must be a whole number, got 'abc'",
    }


def test_timestamp_offsets_are_converted_to_utc() -> None:
    result = _validate(
        _batch(
            {"TransactionTimestamp": "2025-01-03T10:00:00Z"},
            {"TransactionTimestamp": "2025-01-03T10:00:00+02:00"},
            {"TransactionTimestamp": "2025-01-03T10:00:00"},
            {"TransactionTimestamp": "2025-01-03 10:00:00"},
            {"TransactionTimestamp": "2025-01-03T10:00:00.123Z"},
            {"TransactionTimestamp": "2025-01-03"},
        )
    )
    assert result.errors == []
    assert result.valid["TransactionTimestamp"].to_list() == [
        datetime(2025, 1, 3, 10, tzinfo=UTC),
        datetime(2025, 1, 3, 8, tzinfo=UTC),
        datetime(2025, 1, 3, 10, tzinfo=UTC),
        datetime(2025, 1, 3, 10, tzinfo=UTC),
        datetime(2025, 1, 3, 10, 0, 0, 123000, tzinfo=UTC),
        datetime(2025, 1, 3, tzinfo=UTC),
    ]


def test_time_bounds_are_inclusive() -> None:
    result = _validate(
        _batch(
            {"TransactionTimestamp": "2026-01-01T00:00:00Z"},
            {"TransactionTimestamp": "2000-01-01T00:00:00Z"},
            {"TransactionTimestamp": "2026-01-01T01:00:00+02:00"},
        )
    )
    assert result.errors == []


def test_an_offset_can_move_a_timestamp_into_the_future() -> None:
    result = _validate(_batch({"TransactionTimestamp": "2026-01-01T00:30:00-01:00"}))
    assert _failures(result) == [(2, "TransactionTimestamp", "not_in_future")]


@pytest.mark.parametrize(
    ("revenue", "valid"),
    [
        ("100.00", True),
        ("100.01", True),
        ("99.99", True),
        ("100.02", False),
        ("99.98", False),
        ("100.011", False),
    ],
)
def test_revenue_tolerance_boundary(revenue: str, valid: bool) -> None:
    result = _validate(_batch({"Quantity": "1", "UnitPrice": "100", "Discount": "0", "Revenue": revenue}))
    assert result.rows_valid == (1 if valid else 0)
    assert _failures(result) == ([] if valid else [(2, "Revenue", "revenue_consistency")])


def test_revenue_with_discount_and_float_noise() -> None:
    # 3 x 19.99 x 0.85 = 50.9745: the file's rounded 50.97 is within 0.01.
    result = _validate(_batch({"Quantity": "3", "UnitPrice": "19.99", "Discount": "0.15", "Revenue": "50.97"}))
    assert result.errors == []


def test_revenue_is_not_checked_when_an_input_is_garbage() -> None:
    result = _validate(_batch({"Quantity": "lots", "Revenue": "999"}))
    assert _failures(result) == [(2, "Quantity", "type")]


def test_negative_revenue_fails_both_its_rules() -> None:
    result = _validate(_batch({"Revenue": "-18"}))
    assert _failures(result) == [(2, "Revenue", "min"), (2, "Revenue", "revenue_consistency")]


def test_duplicates_within_a_batch_mark_every_copy() -> None:
    result = _validate(_batch({"TransactionID": "A"}, {"TransactionID": "B"}, {"TransactionID": "A"}))
    assert _failures(result) == [(2, "TransactionID", "unique"), (4, "TransactionID", "unique")]
    assert result.errors[0].message == "TransactionID must be unique in the file, 'A' appears more than once"


def test_duplicates_across_batches_are_caught_from_the_file_wide_pre_pass() -> None:
    first = _batch({"TransactionID": "A"}, {"TransactionID": "B"}, first_row=2)
    second = _batch({"TransactionID": "C"}, {"TransactionID": "A"}, first_row=4)
    duplicates = find_duplicate_values(pl.concat([first["TransactionID"], second["TransactionID"]]))
    assert duplicates == frozenset({"A"})
    assert _failures(_validate(first, duplicates)) == [(2, "TransactionID", "unique")]
    assert _failures(_validate(second, duplicates)) == [(5, "TransactionID", "unique")]


def test_a_blank_or_missing_id_is_reported_once_not_also_as_duplicate() -> None:
    result = _validate(
        _batch({"TransactionID": ""}, {"TransactionID": ""}, {"TransactionID": None}, {"TransactionID": None})
    )
    assert _failures(result) == [
        (2, "TransactionID", "not_blank"),
        (3, "TransactionID", "not_blank"),
        (4, "TransactionID", "required"),
        (5, "TransactionID", "required"),
    ]


def test_find_duplicate_values() -> None:
    assert find_duplicate_values(pl.Series(["a", "b", "a", None, None, "c", "b"])) == frozenset({"a", "b"})
    assert find_duplicate_values(pl.Series([1001.0, 1001.0, 1002.0])) == frozenset({"1001"})
    assert find_duplicate_values(pl.Series([], dtype=pl.String)) == frozenset()


def _hashes(values: pl.Series) -> pl.Series:
    return value_hashes(values.to_frame("v").lazy(), "v").collect().get_column("v")


def test_hashed_pre_pass_finds_what_the_exact_one_finds() -> None:
    ids = pl.Series(["a", "b", "a", None, None, "c", "b", "d", "a"])
    repeated = repeated_hashes(_hashes(ids))
    assert repeated.len() == 2  # a and b; nulls are not values
    candidates = values_with_hashes(ids.to_frame("v").lazy(), "v", repeated).collect().get_column("v")
    assert sorted(candidates.to_list()) == ["a", "a", "a", "b", "b"]
    assert find_duplicate_values(candidates) == find_duplicate_values(ids) == frozenset({"a", "b"})


def test_hashes_compare_values_as_the_unique_rule_does() -> None:
    # A spreadsheet's 1001.0 is the ID "1001", as in the batches.
    floats = pl.Series([1001.0, 1001.0, 1002.0])
    repeated = repeated_hashes(_hashes(floats))
    assert repeated.to_list() == _hashes(pl.Series(["1001"])).to_list()
    candidates = values_with_hashes(floats.to_frame("v").lazy(), "v", repeated).collect().get_column("v")
    assert candidates.to_list() == ["1001", "1001"]


def test_a_hash_match_alone_is_never_a_duplicate() -> None:
    # Whatever selects the candidates (a collision included), only equal text is reported.
    ids = pl.Series(["x", "y", "z"])
    candidates = values_with_hashes(ids.to_frame("v").lazy(), "v", _hashes(ids)).collect().get_column("v")
    assert candidates.to_list() == ["x", "y", "z"]
    assert find_duplicate_values(candidates) == frozenset()
    assert repeated_hashes(_hashes(ids)).is_empty()
    assert repeated_hashes(pl.Series([], dtype=pl.UInt64)).is_empty()


def test_validation_leaves_polars_engine_affinity_as_it_found_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLARS_ENGINE_AFFINITY", "streaming")
    result = _validate(_batch({"Quantity": "0"}))
    assert _failures(result) == [(2, "Quantity", "min"), (2, "Revenue", "revenue_consistency")]
    assert os.environ["POLARS_ENGINE_AFFINITY"] == "streaming"


def test_native_dtypes_are_accepted() -> None:
    batch = pl.DataFrame(
        {
            "TransactionID": ["T1", "T2", "T3", "T4"],
            "TransactionTimestamp": [
                datetime(2025, 1, 3, 10),
                datetime(2025, 1, 4),
                None,
                datetime(2025, 1, 5),
            ],
            "ProductLine": ["Hardware"] * 4,
            "ProductName": ["Widget"] * 4,
            "CustomerID": ["C1"] * 4,
            "Region": ["NA"] * 4,
            "Country": ["US"] * 4,
            "SalesChannel": ["Online"] * 4,
            "Quantity": pl.Series([2, 2, 2, 0], dtype=pl.Int64),
            "UnitPrice": pl.Series([10.0, 10.0, 10.0, 10.0], dtype=pl.Float64),
            "Discount": [0.1, 0.1, 0.1, 0.1],
            "Currency": ["USD"] * 4,
            "Revenue": [18.0, 18.0, 18.0, 0.0],
            "__row": pl.Series([2, 3, 4, 5], dtype=pl.Int64),
        }
    )
    result = _validate(batch)
    assert _failures(result) == [(4, "TransactionTimestamp", "required"), (5, "Quantity", "min")]
    assert result.valid["TransactionTimestamp"].to_list() == [
        datetime(2025, 1, 3, 10, tzinfo=UTC),
        datetime(2025, 1, 4, tzinfo=UTC),
    ]
    assert result.invalid["Quantity"].to_list() == ["2", "0"]

    dates = batch.with_columns(pl.Series("TransactionTimestamp", [date(2025, 1, 3)] * 4))
    assert _validate(dates).valid["TransactionTimestamp"].to_list() == [datetime(2025, 1, 3, tzinfo=UTC)] * 3

    aware = batch.with_columns(pl.col("TransactionTimestamp").dt.replace_time_zone("Asia/Tokyo"))
    assert _validate(aware).valid["TransactionTimestamp"].to_list() == [
        datetime(2025, 1, 3, 1, tzinfo=UTC),
        datetime(2025, 1, 3, 15, tzinfo=UTC),
    ]


def test_excel_style_floats_for_whole_numbers() -> None:
    batch = _batch({}).with_columns(pl.lit(2.0).alias("Quantity"), pl.lit(1001.0).alias("TransactionID"))
    result = _validate(batch)
    assert result.errors == []
    assert result.valid.select("TransactionID", "Quantity").row(0) == ("1001", 2)


def test_empty_batch() -> None:
    result = _validate(_batch({}).clear())
    assert (result.rows_total, result.rows_valid, result.rows_invalid) == (0, 0, 0)
    assert result.valid.columns == SALES_SCHEMA.column_names


def test_batch_needs_row_numbers_and_duplicates() -> None:
    with pytest.raises(ValueError, match="__row"):
        _validate(_batch({}).drop("__row"))
    with pytest.raises(ValueError, match="TransactionID"):
        validate_batch(_batch({}), SALES_SCHEMA, duplicates={}, now=NOW)


def test_missing_required_column_is_the_callers_error_to_report() -> None:
    with pytest.raises(IngestError) as caught:
        _validate(_batch({}).drop("Currency"))
    assert caught.value.code is ErrorCode.missing_columns


def test_missing_optional_column_is_empty() -> None:
    schema = DatasourceSchema(
        name="t",
        druid_datasource="t",
        timestamp_column="ts",
        columns=(
            ColumnSpec("ts", ColumnType.timestamp),
            ColumnSpec("note", ColumnType.string, required=False),
        ),
    )
    batch = pl.DataFrame({"ts": ["2025-01-03"], "__row": [2]})
    result = validate_batch(batch, schema, duplicates={}, now=NOW)
    assert result.valid.to_dict(as_series=False) == {"ts": [datetime(2025, 1, 3, tzinfo=UTC)], "note": [None]}
