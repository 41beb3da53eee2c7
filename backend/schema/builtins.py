"""The schemas that ship with the service, registered as datasources on start (backend.pipeline.datasources)."""

from __future__ import annotations

from backend.schema.declaration import ColumnRule, ColumnSpec, ColumnType, DatasourceSchema, RowCheck

SALES_SCHEMA = DatasourceSchema(
    name="sales",
    druid_datasource="sales",
    description="Sales transactions (the built-in example datasource).",
    timestamp_column="TransactionTimestamp",
    columns=(
        ColumnSpec("TransactionID", ColumnType.string, rules=(ColumnRule.not_blank(), ColumnRule.unique())),
        ColumnSpec(
            "TransactionTimestamp",
            ColumnType.timestamp,
            rules=(ColumnRule.not_in_future(), ColumnRule.not_before("2000-01-01T00:00:00Z")),
        ),
        ColumnSpec("ProductLine", ColumnType.string, rules=(ColumnRule.not_blank(),)),
        ColumnSpec("ProductName", ColumnType.string, rules=(ColumnRule.not_blank(),)),
        ColumnSpec("CustomerID", ColumnType.string, rules=(ColumnRule.not_blank(),)),
        ColumnSpec("Region", ColumnType.string, rules=(ColumnRule.one_of("NA", "EMEA", "APAC", "LATAM"),)),
        ColumnSpec("Country", ColumnType.string, rules=(ColumnRule.matches("[A-Z]{2}", "two upper-case letters"),)),
        ColumnSpec("SalesChannel", ColumnType.string, rules=(ColumnRule.one_of("Online", "Retail", "Partner"),)),
        ColumnSpec("Quantity", ColumnType.long, rules=(ColumnRule.at_least(1),)),
        ColumnSpec("UnitPrice", ColumnType.double, rules=(ColumnRule.greater_than(0),)),
        ColumnSpec("Discount", ColumnType.double, rules=(ColumnRule.at_least(0), ColumnRule.less_than(1))),
        ColumnSpec("Currency", ColumnType.string, rules=(ColumnRule.matches("[A-Z]{3}", "three upper-case letters"),)),
        ColumnSpec("Revenue", ColumnType.double, rules=(ColumnRule.at_least(0),)),
    ),
    row_checks=(
        RowCheck(
            rule="revenue_consistency",
            column="Revenue",
            factors=("Quantity", "UnitPrice"),
            discounts=("Discount",),
            tolerance=0.01,
        ),
    ),
)

BUILTIN_SCHEMAS: tuple[DatasourceSchema, ...] = (SALES_SCHEMA,)
