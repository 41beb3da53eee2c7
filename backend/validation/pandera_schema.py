"""Build the Pandera (polars backend) schema from a datasource's declaration.

It checks converted frames (declared dtypes; see backend.validation.conversion). Every check is named after
the rule it enforces, so a failure case's `check` is the `rule` a row reports; not-null is Pandera's own
`not_nullable` (reported as `required`), and a row check runs under its rule name as a check of the column it
reports on (it reads the row's other columns from the frame).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache, reduce

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from backend.schema.declaration import (
    ColumnRule,
    ColumnSpec,
    ColumnType,
    DatasourceSchema,
    RowCheck,
    RuleKind,
    parse_instant,
)
from backend.validation.conversion import polars_dtype

# Pandera's own names for its built-in column checks.
PANDERA_NOT_NULL = "not_nullable"
PANDERA_UNIQUE = "field_uniqueness"

# Float arithmetic must not turn a difference of exactly the tolerance (100.01 vs 100.00) into a failure.
_FLOAT_SLACK = 1e-9


def build_pandera_schema(
    schema: DatasourceSchema,
    *,
    now: datetime | None = None,
    duplicates: Mapping[str, frozenset[str]] | None = None,
) -> pa.DataFrameSchema:
    """The Pandera schema for `schema`'s converted frames.

    `now` bounds `not_in_future` (the rule is left out without it). `duplicates` holds each unique
    column's file-wide duplicated values (find_duplicate_values; a column whose set is empty needs no
    check); without it, uniqueness is checked within the frame only.
    """
    return pa.DataFrameSchema(
        {c.name: _column(c, schema.row_checks, now, duplicates) for c in schema.columns},
        name=schema.name,
        # Unknown extra columns are the caller's business (it reports them); validation ignores them.
        strict=False,
        ordered=False,
    )


def _column(
    spec: ColumnSpec,
    row_checks: tuple[RowCheck, ...],
    now: datetime | None,
    duplicates: Mapping[str, frozenset[str]] | None,
) -> pa.Column:
    checks: list[pa.Check] = []
    unique_in_frame = False
    for rule in spec.rules:
        if rule.kind is RuleKind.unique:
            if duplicates is None:
                unique_in_frame = True
            elif duplicates.get(spec.name):
                checks.append(_not_duplicated(duplicates[spec.name]))
            # else: the file has no duplicated value in this column, so every row passes; no check to run.
            continue
        if rule.kind is RuleKind.not_in_future and now is None:
            continue
        checks.append(_check(rule, now))
    # A row check is a check of the column it reports on, not a dataframe-level one: Pandera then keeps only
    # that column's failing values, where a dataframe check turns every failing row into a dict in Python.
    checks.extend(_row_check(check) for check in row_checks if check.column == spec.name)
    return pa.Column(
        polars_dtype(spec.type),
        checks=checks,
        nullable=not spec.required,
        unique=unique_in_frame,
        # Conversion already happened, with row-level reports; Pandera's coercion would fail whole columns.
        coerce=False,
        required=True,
        name=spec.name,
    )


def _check(rule: ColumnRule, now: datetime | None) -> pa.Check:
    kind = rule.kind
    if kind is RuleKind.not_blank:
        return pa.Check(_not_blank, name=kind.value, ignore_na=True)
    if kind is RuleKind.one_of:
        return _expr_check(kind, _one_of(rule.values), allowed=list(rule.values))
    if kind is RuleKind.pattern:
        assert rule.regex is not None
        anchored = f"^(?:{rule.regex})$"
        return _expr_check(kind, lambda c: c.str.contains(anchored), regex=rule.regex)
    if kind in (RuleKind.min, RuleKind.max):
        assert rule.bound is not None
        bound = rule.bound
        if kind is RuleKind.min:
            fn: Callable[[pl.Expr], pl.Expr] = (lambda c: c >= bound) if rule.inclusive else (lambda c: c > bound)
        else:
            fn = (lambda c: c <= bound) if rule.inclusive else (lambda c: c < bound)
        return _expr_check(kind, fn, bound=bound, inclusive=rule.inclusive)
    if kind is RuleKind.not_in_future:
        assert now is not None
        return _expr_check(kind, lambda c: c <= pl.lit(now, dtype=polars_dtype(ColumnType.timestamp)), now=now)
    if kind is RuleKind.too_old:
        assert rule.earliest is not None
        earliest = parse_instant(rule.earliest)
        return _expr_check(
            kind, lambda c: c >= pl.lit(earliest, dtype=polars_dtype(ColumnType.timestamp)), earliest=earliest
        )
    raise ValueError(f"no Pandera check for rule {kind}")  # unique is handled by the caller


# Up to this many allowed values, comparing with each is quicker than a hash lookup (250k rows: 4 values 1.0 vs
# 2.4 ms, 8 values 1.9 vs 2.6 ms, 12 values 2.9 vs 1.5 ms).
_COMPARED_ONE_BY_ONE = 8


def _one_of(values: tuple[str, ...]) -> Callable[[pl.Expr], pl.Expr]:
    if len(values) <= _COMPARED_ONE_BY_ONE:
        return lambda c: pl.any_horizontal(c == value for value in values)  # null stays null, as with is_in
    allowed = pl.lit(pl.Series(values=list(values), dtype=pl.String)).implode()
    return lambda c: c.is_in(allowed)


def _not_blank(data: PolarsData) -> pl.LazyFrame:
    """True where the text has a non-whitespace character.

    Stripping every value costs more than all other string checks together, and polars evaluates both
    branches of a when/then. Text starting with a printable ASCII character is not blank, which a string
    comparison decides without copying; only the rest (empty, leading space, non-ASCII) is stripped.
    """
    values = data.lazyframe.select(pl.col(data.key)).collect().to_series()
    ok = (values >= "!") & (values < "\x7f")
    unsure = (~ok).arg_true()  # nulls are neither: ignore_na passes them
    if unsure.len():
        stripped = values.gather(unsure).str.strip_chars().str.len_bytes() > 0
        ok = ok.scatter(unsure, stripped)
    return pl.LazyFrame({data.key: ok})


def _not_duplicated(values: frozenset[str]) -> pa.Check:
    dupes = pl.lit(_as_series(values)).implode()
    return _expr_check(RuleKind.unique, lambda c: ~c.cast(pl.String).is_in(dupes), duplicates=len(values))


@lru_cache(maxsize=4)
def _as_series(values: frozenset[str]) -> pl.Series:
    # A job passes the same file-wide set for every batch; convert it once, not once per batch.
    return pl.Series(values=list(values), dtype=pl.String)


def _expr_check(name: str, predicate: Callable[[pl.Expr], pl.Expr], **statistics: object) -> pa.Check:
    """A vectorized column check: `predicate` gets the column expression and returns a boolean one."""

    def run(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(predicate(pl.col(data.key)))

    # Nulls pass value checks (ignore_na): a missing value is reported once, as `required`.
    return pa.Check(run, name=str(name), statistics=statistics, ignore_na=True)


def _row_check(check: RowCheck) -> pa.Check:
    def run(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(row_check_expression(check))

    return pa.Check(
        run,
        name=check.rule,
        statistics={"column": check.column, "formula": check.formula(), "tolerance": check.tolerance},
        ignore_na=True,
    )


def expected_value(check: RowCheck) -> pl.Expr:
    """What `check.column` should hold, from the row's other columns."""
    terms = [pl.col(f) for f in check.factors] + [1 - pl.col(d) for d in check.discounts]
    return reduce(lambda a, b: a * b, terms)


def row_check_expression(check: RowCheck) -> pl.Expr:
    """True where the row passes; null (skipped) where an input is missing, which is reported elsewhere."""
    return (pl.col(check.column) - expected_value(check)).abs() <= check.tolerance + _FLOAT_SLACK
