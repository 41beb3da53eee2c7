"""A schema declaration to and from JSON: the form the schema registry stores in PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from backend.errors import ErrorCode, IngestError
from backend.schema.declaration import (
    ColumnRule,
    ColumnSpec,
    ColumnType,
    DatasourceSchema,
    RowCheck,
    RowCheckKind,
    RuleKind,
)

# JSON: plain dicts and lists only (no tuples), so a definition read back from Postgres compares equal to a
# freshly serialized one; a changed declaration is detected by that comparison.


def schema_to_json(schema: DatasourceSchema) -> dict[str, Any]:
    """The declaration as JSON-ready data (what the schema registry stores)."""
    return {
        "name": schema.name,
        "druid_datasource": schema.druid_datasource,
        "timestamp_column": schema.timestamp_column,
        "columns": [
            {
                "name": c.name,
                "type": c.type.value,
                "required": c.required,
                "rules": [_rule_to_json(r) for r in c.rules],
            }
            for c in schema.columns
        ],
        "row_checks": [
            {
                "kind": check.kind.value,
                "rule": check.rule,
                "column": check.column,
                "factors": list(check.factors),
                "discounts": list(check.discounts),
                "tolerance": check.tolerance,
            }
            for check in schema.row_checks
        ],
    }


def _rule_to_json(rule: ColumnRule) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": rule.kind.value}
    if rule.kind is RuleKind.one_of:
        out["values"] = list(rule.values)
    elif rule.kind is RuleKind.pattern:
        out["regex"] = rule.regex
        if rule.meaning is not None:
            out["meaning"] = rule.meaning
    elif rule.kind in (RuleKind.min, RuleKind.max):
        out["bound"] = rule.bound
        out["inclusive"] = rule.inclusive
    elif rule.kind is RuleKind.too_old:
        out["earliest"] = rule.earliest
    return out


def schema_from_json(data: Mapping[str, Any]) -> DatasourceSchema:
    """A declaration from its JSON form; a malformed one raises IngestError(invalid_field)."""
    try:
        return DatasourceSchema(
            name=_get(data, "name", str),
            druid_datasource=_get(data, "druid_datasource", str),
            timestamp_column=_get(data, "timestamp_column", str),
            columns=tuple(_column_from_json(c) for c in _get(data, "columns", list)),
            row_checks=tuple(_row_check_from_json(c) for c in data.get("row_checks", [])),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise IngestError(ErrorCode.invalid_field, f"Invalid schema definition: {exc}", {"field": "schema"}) from exc


def _column_from_json(data: Mapping[str, Any]) -> ColumnSpec:
    return ColumnSpec(
        name=_get(data, "name", str),
        type=ColumnType(_get(data, "type", str)),
        required=bool(data.get("required", True)),
        rules=tuple(_rule_from_json(r) for r in data.get("rules", [])),
    )


def _rule_from_json(data: Mapping[str, Any]) -> ColumnRule:
    bound = data.get("bound")
    if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int | float)):
        raise ValueError(f"rule bound must be a number, got {bound!r}")
    return ColumnRule(
        kind=RuleKind(_get(data, "kind", str)),
        values=tuple(str(v) for v in data.get("values", [])),
        regex=data.get("regex"),
        meaning=data.get("meaning"),
        bound=bound,
        inclusive=bool(data.get("inclusive", True)),
        earliest=data.get("earliest"),
    )


def _row_check_from_json(data: Mapping[str, Any]) -> RowCheck:
    return RowCheck(
        kind=RowCheckKind(_get(data, "kind", str)),
        rule=_get(data, "rule", str),
        column=_get(data, "column", str),
        factors=tuple(str(f) for f in _get(data, "factors", list)),
        discounts=tuple(str(d) for d in data.get("discounts", [])),
        tolerance=float(data.get("tolerance", 0.0)),
    )


_T = TypeVar("_T")


def _get(data: Mapping[str, Any], key: str, kind: type[_T]) -> _T:
    value = data[key]
    if not isinstance(value, kind):
        raise TypeError(f"`{key}` must be a {kind.__name__}, got {value!r}")
    return value
