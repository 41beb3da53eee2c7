"""Declaration -> Pandera schema: columns, dtypes, nullability and named checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pandera.polars as pa
import polars as pl
import pytest

from backend.schema.builtins import SALES_SCHEMA
from backend.schema.declaration import ColumnRule, ColumnSpec, ColumnType, DatasourceSchema
from backend.validation.pandera_schema import build_pandera_schema

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _check_names(schema: pa.DataFrameSchema) -> dict[str, list[str]]:
    return {name: [check.name for check in column.checks] for name, column in schema.columns.items()}


def test_columns_dtypes_and_nullability() -> None:
    schema = build_pandera_schema(SALES_SCHEMA, now=NOW, duplicates={"TransactionID": frozenset()})
    assert schema.name == "sales"
    assert list(schema.columns) == SALES_SCHEMA.column_names
    assert {name: str(column.dtype) for name, column in schema.columns.items()} == {
        "TransactionID": "String",
        "TransactionTimestamp": "Datetime(time_unit='us', time_zone='UTC')",
        "ProductLine": "String",
        "ProductName": "String",
        "CustomerID": "String",
        "Region": "String",
        "Country": "String",
        "SalesChannel": "String",
        "Quantity": "Int64",
        "UnitPrice": "Float64",
        "Discount": "Float64",
        "Currency": "String",
        "Revenue": "Float64",
    }
    assert not any(column.nullable for column in schema.columns.values())
    assert not any(column.coerce for column in schema.columns.values())


def test_checks_are_named_after_rules() -> None:
    schema = build_pandera_schema(SALES_SCHEMA, now=NOW, duplicates={"TransactionID": frozenset({"T1"})})
    assert _check_names(schema) == {
        "TransactionID": ["not_blank", "unique"],
        "TransactionTimestamp": ["not_in_future", "too_old"],
        "ProductLine": ["not_blank"],
        "ProductName": ["not_blank"],
        "CustomerID": ["not_blank"],
        "Region": ["one_of"],
        "Country": ["pattern"],
        "SalesChannel": ["one_of"],
        "Quantity": ["min"],
        "UnitPrice": ["min"],
        "Discount": ["min", "max"],
        "Currency": ["pattern"],
        "Revenue": ["min", "revenue_consistency"],
    }
    # The row check runs as a check of the column it reports on, not at dataframe level.
    assert schema.checks == []
    assert schema.columns["TransactionID"].unique is False


def test_a_unique_column_without_file_wide_duplicates_has_no_uniqueness_check() -> None:
    schema = build_pandera_schema(SALES_SCHEMA, now=NOW, duplicates={"TransactionID": frozenset()})
    assert _check_names(schema)["TransactionID"] == ["not_blank"]
    assert schema.columns["TransactionID"].unique is False


def test_check_statistics_carry_the_declared_values() -> None:
    schema = build_pandera_schema(SALES_SCHEMA, now=NOW, duplicates={"TransactionID": frozenset({"T1", "T2"})})
    assert schema.columns["Quantity"].checks[0].statistics == {"bound": 1, "inclusive": True}
    assert schema.columns["UnitPrice"].checks[0].statistics == {"bound": 0, "inclusive": False}
    assert schema.columns["Region"].checks[0].statistics == {"allowed": ["NA", "EMEA", "APAC", "LATAM"]}
    assert schema.columns["Country"].checks[0].statistics == {"regex": "[A-Z]{2}"}
    assert schema.columns["TransactionID"].checks[1].statistics == {"duplicates": 2}
    assert schema.columns["Revenue"].checks[1].statistics == {
        "column": "Revenue",
        "formula": "Quantity x UnitPrice x (1 - Discount)",
        "tolerance": 0.01,
    }


def test_without_context_future_check_is_left_out_and_uniqueness_is_within_frame() -> None:
    schema = build_pandera_schema(SALES_SCHEMA)
    assert _check_names(schema)["TransactionTimestamp"] == ["too_old"]
    assert _check_names(schema)["TransactionID"] == ["not_blank"]
    assert schema.columns["TransactionID"].unique is True


def test_schema_validates_a_typed_frame() -> None:
    schema = build_pandera_schema(SALES_SCHEMA, now=NOW, duplicates={"TransactionID": frozenset()})
    frame = pl.DataFrame(
        {
            "TransactionID": ["T1", "T2"],
            "TransactionTimestamp": [datetime(2025, 1, 3, 10, tzinfo=UTC), datetime(2025, 1, 4, tzinfo=UTC)],
            "ProductLine": ["Hardware", "Hardware"],
            "ProductName": ["Widget", "Widget"],
            "CustomerID": ["C1", "C2"],
            "Region": ["NA", "EMEA"],
            "Country": ["US", "DE"],
            "SalesChannel": ["Online", "Retail"],
            "Quantity": [2, 0],
            "UnitPrice": [10.0, 10.0],
            "Discount": [0.1, 0.0],
            "Currency": ["USD", "EUR"],
            "Revenue": [18.0, 5.0],
        },
        schema_overrides={"TransactionTimestamp": pl.Datetime("us", "UTC")},
    )
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        schema.validate(frame, lazy=True)
    failures = caught.value.failure_cases.select("column", "check", "index").sort("index", "column").rows()
    assert failures == [("Quantity", "min", 1), ("Revenue", "revenue_consistency", 1)]


@pytest.mark.parametrize("allowed", [("a", "b"), (*(f"v{i}" for i in range(20)), "a", "b")])
def test_one_of_short_and_long_lists_fail_the_same_rows(allowed: tuple[str, ...]) -> None:
    # Up to eight values are compared one by one, more are looked up: the same rows fail either way.
    declared = DatasourceSchema(
        name="t", druid_datasource="t", timestamp_column="ts",
        columns=(ColumnSpec("ts", ColumnType.timestamp),
                 ColumnSpec("c", ColumnType.string, required=False, rules=(ColumnRule.one_of(*allowed),))),
    )
    frame = pl.DataFrame({"ts": [NOW] * 5, "c": ["a", None, "A", "b", ""]},
                         schema={"ts": pl.Datetime("us", "UTC"), "c": pl.String})
    with pytest.raises(pa.errors.SchemaErrors) as failed:
        build_pandera_schema(declared, now=NOW).validate(frame, lazy=True)
    assert failed.value.failure_cases.get_column("index").to_list() == [2, 4]
