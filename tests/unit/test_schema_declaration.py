"""The schema declaration: the built-in sales schema, lookups, declaration checks and the JSON round trip."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from backend.schema.builtins import SALES_SCHEMA
from backend.schema.codec import schema_from_json, schema_to_json
from backend.schema.declaration import (
    ColumnRule,
    ColumnSpec,
    ColumnType,
    DatasourceSchema,
    RowCheck,
    RuleKind,
)

SALES_COLUMNS = [
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
]


def _tiny(**overrides: object) -> DatasourceSchema:
    fields: dict[str, object] = {
        "name": "tiny",
        "druid_datasource": "tiny",
        "timestamp_column": "ts",
        "columns": (ColumnSpec("ts", ColumnType.timestamp), ColumnSpec("n", ColumnType.long)),
    }
    fields.update(overrides)
    return DatasourceSchema(**fields)  # type: ignore[arg-type]


def test_sales_schema_columns_in_order_all_required() -> None:
    assert SALES_SCHEMA.name == "sales"
    assert SALES_SCHEMA.druid_datasource == "sales"
    assert SALES_SCHEMA.timestamp_column == "TransactionTimestamp"
    assert SALES_SCHEMA.column_names == SALES_COLUMNS
    assert SALES_SCHEMA.required_columns == SALES_COLUMNS
    assert SALES_SCHEMA.unique_columns == ["TransactionID"]


def test_sales_schema_types() -> None:
    types = {c.name: c.type.value for c in SALES_SCHEMA.columns}
    assert types == {
        "TransactionID": "string",
        "TransactionTimestamp": "timestamp",
        "ProductLine": "string",
        "ProductName": "string",
        "CustomerID": "string",
        "Region": "string",
        "Country": "string",
        "SalesChannel": "string",
        "Quantity": "long",
        "UnitPrice": "double",
        "Discount": "double",
        "Currency": "string",
        "Revenue": "double",
    }


def test_sales_schema_rules() -> None:
    assert SALES_SCHEMA.column("Region").rules == (ColumnRule(RuleKind.one_of, values=("NA", "EMEA", "APAC", "LATAM")),)
    assert SALES_SCHEMA.column("Discount").rules == (
        ColumnRule(RuleKind.min, bound=0, inclusive=True),
        ColumnRule(RuleKind.max, bound=1, inclusive=False),
    )
    assert SALES_SCHEMA.column("TransactionTimestamp").rules == (
        ColumnRule(RuleKind.not_in_future),
        ColumnRule(RuleKind.too_old, earliest="2000-01-01T00:00:00Z"),
    )
    assert SALES_SCHEMA.row_checks == (
        RowCheck(
            rule="revenue_consistency",
            column="Revenue",
            factors=("Quantity", "UnitPrice"),
            discounts=("Discount",),
            tolerance=0.01,
        ),
    )
    assert SALES_SCHEMA.row_checks[0].formula() == "Quantity x UnitPrice x (1 - Discount)"






def test_json_round_trip_through_text() -> None:
    stored = json.loads(json.dumps(schema_to_json(SALES_SCHEMA)))
    read = schema_from_json(stored, name="sales", druid_datasource="sales")
    # Ids are the registry's: a declaration without them reads back numbered by position.
    assert [c.id for c in read.columns] == list(range(1, 14))
    assert read == replace(SALES_SCHEMA, description="",
                           columns=tuple(replace(c, id=i + 1) for i, c in enumerate(SALES_SCHEMA.columns)))
    # The registry detects a changed declaration by comparing with what Postgres returns.
    assert stored == schema_to_json(SALES_SCHEMA)


def test_json_literal_parts() -> None:
    data = schema_to_json(SALES_SCHEMA)
    assert data["time_column"] == "TransactionTimestamp"
    assert data["granularity"] == {"segment": "DAY", "query": "NONE"}
    assert data["columns"][0] == {
        "id": 0,
        "name": "TransactionID",
        "type": "string",
        "required": True,
        "rules": [{"kind": "not_blank"}, {"kind": "unique"}],
    }
    assert data["columns"][1]["rules"] == [
        {"kind": "not_in_future"},
        {"kind": "too_old", "earliest": "2000-01-01T00:00:00Z"},
    ]
    assert data["columns"][6]["rules"] == [
        {"kind": "pattern", "regex": "[A-Z]{2}", "meaning": "two upper-case letters"}
    ]
    assert data["columns"][10]["rules"] == [
        {"kind": "min", "bound": 0, "inclusive": True},
        {"kind": "max", "bound": 1, "inclusive": False},
    ]
    assert data["row_checks"] == [
        {
            "kind": "product_equals",
            "rule": "revenue_consistency",
            "column": "Revenue",
            "factors": ["Quantity", "UnitPrice"],
            "discounts": ["Discount"],
            "tolerance": 0.01,
        }
    ]


def test_definitions_stored_before_the_registry_took_requests_still_read() -> None:
    legacy = {"name": "sales", "druid_datasource": "sales", "timestamp_column": "TransactionTimestamp",
              "columns": [{**c, "rules": c["rules"]} for c in schema_to_json(SALES_SCHEMA)["columns"]],
              "row_checks": schema_to_json(SALES_SCHEMA)["row_checks"]}
    for column in legacy["columns"]:
        del column["id"]
    read = schema_from_json(legacy, name="sales", druid_datasource="sales")
    assert read.timestamp_column == "TransactionTimestamp"
    assert read.granularity.segment.value == "DAY"
    assert read.column("Revenue").id == 13


def test_declaration_refuses_rule_for_wrong_type() -> None:
    with pytest.raises(ValueError, match="cannot have rule"):
        _tiny(
            columns=(
                ColumnSpec("ts", ColumnType.timestamp),
                ColumnSpec("n", ColumnType.long, rules=(ColumnRule.one_of("a"),)),
            )
        )


def test_declaration_refuses_non_timestamp_time_column() -> None:
    with pytest.raises(ValueError, match="timestamp column"):
        _tiny(timestamp_column="n")


def test_declaration_refuses_reserved_and_repeated_names() -> None:
    with pytest.raises(ValueError, match="reserved"):
        _tiny(columns=(ColumnSpec("ts", ColumnType.timestamp), ColumnSpec("__row", ColumnType.long)))
    with pytest.raises(ValueError, match="twice"):
        _tiny(columns=(ColumnSpec("ts", ColumnType.timestamp), ColumnSpec("ts", ColumnType.long)))


def test_declaration_refuses_row_check_on_text_column() -> None:
    columns = (
        ColumnSpec("ts", ColumnType.timestamp),
        ColumnSpec("n", ColumnType.long),
        ColumnSpec("s", ColumnType.string),
    )
    with pytest.raises(ValueError, match="numeric column 's'"):
        _tiny(columns=columns, row_checks=(RowCheck(rule="total", column="n", factors=("s",)),))


def test_rule_constructors_check_their_arguments() -> None:
    with pytest.raises(ValueError):
        ColumnRule.one_of()
    with pytest.raises(ValueError):
        ColumnRule(RuleKind.min)
    with pytest.raises(ValueError):
        ColumnRule.not_before("not a date")


def test_pattern_must_be_one_polars_can_run() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        ColumnRule.matches("(?=A)[A-Z]{2}")
