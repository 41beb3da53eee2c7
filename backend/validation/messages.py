"""What a failed rule says to a person: the problem with one cell, phrased so they can fix the file.

A problem is written to follow the column name: "Quantity" + "must be >= 1, got 0". RowError.message is the
two joined by a space; the rejects file's `errors` cell joins them with ": ".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from backend.schema.declaration import ColumnSpec, ColumnType, RowCheck, RuleKind, parse_instant

TYPE = "type"
REQUIRED = "required"
REQUIRED_PROBLEM = "is required"

# The problem for one cell value; built once per (column, rule) because a batch can have many failing cells.
ProblemFormatter = Callable[[str | None], str]

_TYPE_PROBLEMS = {
    ColumnType.long: "must be a whole number",
    ColumnType.double: "must be a number",
    ColumnType.timestamp: "must be a date-time such as 2025-01-03T10:00:00Z or 2025-01-03 10:00:00",
    ColumnType.string: "must be text",
}
_COMPARISONS = {
    (RuleKind.min, True): ">=",
    (RuleKind.min, False): ">",
    (RuleKind.max, True): "<=",
    (RuleKind.max, False): "<",
}


def problem_formatter(spec: ColumnSpec, rule: str, *, now: datetime | None) -> ProblemFormatter:
    """The problem text for a value of column `spec` failing `rule` (a RuleKind value, `type`, `required`)."""
    if rule == TYPE:
        return _quoting(f"{_TYPE_PROBLEMS[spec.type]}, got ")
    if rule == REQUIRED:
        return lambda _: REQUIRED_PROBLEM
    kind = RuleKind(rule)
    if kind is RuleKind.not_blank:
        return lambda _: "must not be blank"
    if kind is RuleKind.unique:
        return lambda value: f"must be unique in the file, {quoted(value)} appears more than once"
    declared = spec.rule(kind)
    if declared is None:
        raise ValueError(f"column {spec.name!r} has no {kind} rule")
    if kind is RuleKind.one_of:
        return _quoting(f"must be one of {', '.join(declared.values)}, got ")
    if kind is RuleKind.pattern:
        return _quoting(f"must be {declared.meaning or f'text matching {declared.regex}'}, got ")
    if kind in (RuleKind.min, RuleKind.max):
        assert declared.bound is not None
        prefix = f"must be {_COMPARISONS[(kind, declared.inclusive)]} {format_number(declared.bound)}, got "
        return lambda value: f"{prefix}{value}"
    if kind is RuleKind.not_in_future:
        return _quoting(f"must not be in the future (now is {format_instant(now)}), got ")
    assert declared.earliest is not None
    return _quoting(f"must not be before {format_instant(parse_instant(declared.earliest))}, got ")


RowCheckFormatter = Callable[[str | None, float | None], str]


def row_check_formatter(check: RowCheck) -> RowCheckFormatter:
    """What is wrong with a row failing `check`, given the cell and the expected value, e.g. "must equal
    Quantity x UnitPrice x (1 - Discount) = 20.00 (within 0.01), got 25.5". The fixed text is built once."""
    formula = check.formula()
    within = f"(within {format_number(check.tolerance)}), got "

    def problem(value: str | None, expected: float | None) -> str:
        target = f"{formula} = {expected:.2f}" if expected is not None else formula
        return f"must equal {target} {within}{value}"

    return problem


def format_number(number: float) -> str:
    return f"{number:g}"


def format_instant(instant: datetime | None) -> str:
    if instant is None:
        return "unknown"
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


QUOTED_CHARS = 200
"""How much of a cell value a message quotes (the value itself is in the error report whole)."""


def quoted(value: str | None) -> str:
    """The value as a message quotes it: repr (control characters escaped), cut after QUOTED_CHARS."""
    if value is None:
        return "nothing"
    if len(value) > QUOTED_CHARS:
        return f"{value[:QUOTED_CHARS]!r}... ({len(value):,} characters)"
    return repr(value)


def _quoting(prefix: str) -> ProblemFormatter:
    return lambda value: prefix + quoted(value)
