"""Validate one batch of rows against a datasource schema: typed valid rows, original invalid rows, and a
row-level error report (row number, column, rule, value, message).

Steps: convert each column to its type (type garbage -> `type` errors), run the Pandera schema lazily so
every failure is collected, map Pandera's 0-based `index` back to the person-visible `__row`, keep one report
per cell where one failure explains the others, then split the batch. Python work is per error, never per
valid row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

import pandera.polars as pa
import polars as pl
from pandera.config import ValidationDepth, config_context
from pandera.errors import SchemaErrors

from backend.errors import ErrorCode, IngestError
from backend.schema.declaration import DatasourceSchema, RuleKind
from backend.validation import messages
from backend.validation.conversion import (
    ConvertedBatch,
    convert_batch,
    normalized_string,
    normalized_strings,
    polars_dtype,
)
from backend.validation.pandera_schema import (
    PANDERA_NOT_NULL,
    PANDERA_UNIQUE,
    build_pandera_schema,
    expected_value,
)

ROW_COLUMN = "__row"
ERRORS_COLUMN = "errors"

# A missing or unreadable value makes every other rule on that cell noise (an empty ID is also "duplicated"),
# so the first of these that fails is the only report for its cell.
_EXPLAINS_THE_REST = (messages.TYPE, messages.REQUIRED, RuleKind.not_blank.value)
_RULE_ORDER = {rule: i for i, rule in enumerate(dict.fromkeys((*_EXPLAINS_THE_REST, *(k.value for k in RuleKind))))}
_PANDERA_RULE_NAMES = {PANDERA_NOT_NULL: messages.REQUIRED, PANDERA_UNIQUE: RuleKind.unique.value}
_CELLS_SCHEMA = {"position": pl.Int64, "column": pl.String, "rule": pl.String}


class RowError(NamedTuple):
    """One failing (row, column, rule). `value` is the cell as the file had it (None when empty).

    A tuple in the error report's column order, so a csv writer takes it as it is (a large file has many).
    """

    row: int
    column: str
    rule: str
    value: str | None
    message: str


ERROR_REPORT_SCHEMA = {"row": pl.Int64, "column": pl.String, "rule": pl.String, "value": pl.String,
                       "message": pl.String}


@dataclass
class BatchResult:
    # Valid rows: schema columns in schema order, declared dtypes (timestamp Datetime('us','UTC')), no __row.
    valid: pl.DataFrame
    # Invalid rows: __row, the schema columns as the file had them (String), `errors` ("Col: problem; ...").
    invalid: pl.DataFrame
    # Every failing (row, column, rule, value, message) as ERROR_REPORT_SCHEMA, ordered by row, then schema
    # column order. A frame, not objects: a file with many bad rows has many errors, written out by Polars.
    error_report: pl.DataFrame
    rows_total: int
    rows_valid: int
    rows_invalid: int

    @property
    def errors(self) -> list[RowError]:
        return self.first_errors(self.error_report.height)

    def first_errors(self, count: int) -> list[RowError]:
        return [RowError(*row) for row in self.error_report.head(count).iter_rows()]


FORMULA_NOTE = ("the cell holds a formula with no saved value; open and save the file in Excel, "
                "or export the values, and upload it again")


def note_formula_cells(result: BatchResult, formula_rows: Mapping[str, frozenset[int]]) -> BatchResult:
    """`result` with each `required` error on a cell that holds an unsaved formula saying so.

    `formula_rows`: for each schema column, the rows whose cell holds a formula with no saved value (a spreadsheet
    written by a program that does not compute formulas; its reader sees an empty cell).
    """
    if not result.rows_invalid or not formula_rows:
        return result
    is_formula = pl.lit(False)
    for column, rows in formula_rows.items():
        is_formula = is_formula | ((pl.col("column") == column) & pl.col("row").is_in(sorted(rows)))
    noted = pl.col("message") + pl.lit(f": {FORMULA_NOTE}")
    report = result.error_report.with_columns(
        pl.when(is_formula & (pl.col("rule") == messages.REQUIRED)).then(noted).otherwise(pl.col("message"))
        .alias("message")
    )
    errors = pl.col(ERRORS_COLUMN)
    for column, rows in formula_rows.items():
        required = f"{column}: {messages.REQUIRED_PROBLEM}"
        errors = pl.when(pl.col(ROW_COLUMN).is_in(sorted(rows))).then(
            errors.str.replace(f"(^|; ){re.escape(required)}", f"${{1}}{required} ({FORMULA_NOTE})")
        ).otherwise(errors)
    invalid = result.invalid.with_columns(errors.alias(ERRORS_COLUMN))
    return BatchResult(result.valid, invalid, report, result.rows_total, result.rows_valid, result.rows_invalid)


def find_duplicate_values(values: pl.Series) -> frozenset[str]:
    """Values that occur more than once in a whole file's column (the pre-pass behind the `unique` rule)."""
    strings = normalized_strings(values).drop_nulls()
    return frozenset(strings.filter(strings.is_duplicated()).unique().to_list())


# The file-wide pre-pass in two cheap steps instead of holding the whole column as text: a UInt64 hash per
# value (8 bytes a row, computed while the column streams in), then the text of only the rows whose hash
# repeats, which `find_duplicate_values` compares exactly (a hash collision costs a look, never a report).
_HASH_SEED = 0x1D5


def value_hashes(rows: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """A hash of each present value of `column`, normalized as the `unique` rule compares it."""
    value = _comparable(rows, column)
    return rows.filter(value.is_not_null()).select(value.hash(_HASH_SEED).alias(column))


def repeated_hashes(hashes: pl.Series) -> pl.Series:
    """The hashes that occur more than once."""
    # Sorting 8-byte keys and comparing neighbours is ~5x quicker than is_duplicated's hash table (1.1 s for
    # 5M hashes here).
    ordered = hashes.sort()
    return ordered.filter(ordered == ordered.shift(1)).unique()


def values_with_hashes(rows: pl.LazyFrame, column: str, hashes: pl.Series) -> pl.LazyFrame:
    """The present values of `column` (normalized) whose hash is one of `hashes`."""
    value = _comparable(rows, column)
    wanted = value.hash(_HASH_SEED).is_in(pl.lit(hashes).implode())
    return rows.filter(value.is_not_null() & wanted).select(value.alias(column))


def _comparable(rows: pl.LazyFrame, column: str) -> pl.Expr:
    return normalized_string(pl.col(column), rows.collect_schema()[column])


def validate_batch(
    batch: pl.DataFrame,
    schema: DatasourceSchema,
    *,
    duplicates: Mapping[str, frozenset[str]],
    now: datetime,
) -> BatchResult:
    """Check every row of `batch` (schema columns + `__row`) against `schema`.

    `duplicates`: for each unique column, its file-wide duplicated values (find_duplicate_values); every row
    holding one is invalid. `now`: the bound of `not_in_future`, one value for all batches of a file.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    batch = _with_schema_columns(batch, schema)
    missing = [c for c in schema.unique_columns if c not in duplicates]
    if missing:
        raise ValueError(f"duplicates has no entry for unique column(s) {missing}; run find_duplicate_values")
    converted = convert_batch(batch, schema)
    pandera_schema = _pandera_schema(schema, now, tuple(sorted(duplicates.items())))
    cells = _failing_cells(converted, _pandera_failures(pandera_schema, converted.frame), schema)
    if cells.height == 0:
        no_rows = _invalid_frame(_as_strings(batch.clear(), schema), pl.Series(ERRORS_COLUMN, [], pl.String))
        return BatchResult(converted.frame, no_rows, pl.DataFrame(schema=ERROR_REPORT_SCHEMA), batch.height,
                           batch.height, 0)

    positions = cells["position"].unique(maintain_order=True).to_list()
    gather = pl.Series(positions, dtype=pl.UInt32)
    originals = _as_strings(batch[gather], schema)
    error_report, problems = _report(cells, positions, originals, converted.frame[gather], schema, now)
    invalid_mask = pl.repeat(False, batch.height, eager=True).scatter(gather, True)
    valid = converted.frame.filter(~invalid_mask)
    invalid = _invalid_frame(originals, problems)
    return BatchResult(valid, invalid, error_report, batch.height, valid.height, invalid.height)


@lru_cache(maxsize=1)
def _pandera_schema(
    schema: DatasourceSchema, now: datetime, duplicates: tuple[tuple[str, frozenset[str]], ...]
) -> pa.DataFrameSchema:
    # Every batch of a file has the same schema, `now` and duplicates: build the Pandera schema once per file
    # (one entry: at most the last file's duplicate set stays in memory).
    return build_pandera_schema(schema, now=now, duplicates=dict(duplicates))


def _with_schema_columns(batch: pl.DataFrame, schema: DatasourceSchema) -> pl.DataFrame:
    if ROW_COLUMN not in batch.columns:
        raise ValueError(f"the batch needs a `{ROW_COLUMN}` column with the row numbers to report")
    absent = [c for c in schema.columns if c.name not in batch.columns]
    required = [c.name for c in absent if c.required]
    if required:
        raise IngestError(
            ErrorCode.missing_columns,
            f"Missing required column(s): {', '.join(required)}.",
            {"missing": required},
        )
    # An optional column the file lacks is a column of empty values.
    return batch.with_columns(pl.lit(None, polars_dtype(c.type)).alias(c.name) for c in absent)


def _pandera_failures(pandera_schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.DataFrame | None:
    """Pandera's failure cases (column, check, index), or None when every row passed."""
    # An environment's PANDERA_VALIDATION_DEPTH=SCHEMA_ONLY would silently skip every value check.
    # Pandera collects ~100 small lazy queries per batch (each check, its pass flag, its failures); Polars runs
    # them on the streaming engine by default, whose start-up costs more than these queries: the in-memory
    # engine makes this call ~30% quicker. The setting is process-wide while it lasts, but the reader, the
    # pre-pass and the staging writer name their engine, so they are unaffected.
    with config_context(validation_depth=ValidationDepth.SCHEMA_AND_DATA), pl.Config(engine_affinity="in-memory"):
        try:
            pandera_schema.validate(frame, lazy=True)
        except SchemaErrors as exc:
            failures: pl.DataFrame = exc.failure_cases
        else:
            return None
    whole_frame = failures.filter(pl.col("index").is_null())
    if whole_frame.height:
        # Conversion guarantees dtypes and columns; a frame-level failure is a bug (or a check that raised).
        raise IngestError(
            ErrorCode.internal_error,
            "Validation failed for the whole batch instead of per row.",
            {"failures": whole_frame.select("column", "check", "failure_case").rows(named=True)},
        )
    return failures.select("index", "column", "check")


def _failing_cells(converted: ConvertedBatch, failures: pl.DataFrame | None, schema: DatasourceSchema) -> pl.DataFrame:
    """position (0-based), column, rule: one row per reported failure, in report order."""
    parts = [
        pl.DataFrame(
            {"position": positions.cast(pl.Int64), "column": column, "rule": messages.TYPE},
            schema=_CELLS_SCHEMA,
        )
        for column, positions in converted.type_errors.items()
    ]
    if failures is not None:
        parts.append(
            failures.select(
                pl.col("index").cast(pl.Int64).alias("position"),
                "column",
                pl.col("check").replace(_PANDERA_RULE_NAMES).alias("rule"),
            )
        )
    if not parts:
        return pl.DataFrame(schema=_CELLS_SCHEMA)
    column_order = {name: i for i, name in enumerate(schema.column_names)}
    rank = pl.col("rule").replace_strict(_RULE_ORDER, default=len(_RULE_ORDER), return_dtype=pl.Int64)
    cell = ["position", "column"]
    return (
        pl.concat(parts)
        .unique()
        .with_columns(rank.alias("rank"))
        # A missing or unreadable value is the only report for its cell (see _EXPLAINS_THE_REST).
        .filter(
            (pl.col("rank").min().over(cell) >= len(_EXPLAINS_THE_REST))
            | (pl.col("rank") == pl.col("rank").min().over(cell))
        )
        .with_columns(pl.col("column").replace_strict(column_order, return_dtype=pl.Int64).alias("column_rank"))
        .sort("position", "column_rank", "rank", "rule")
        .select(*cell, "rule")
    )


def _report(
    cells: pl.DataFrame,
    positions: list[int],
    originals: pl.DataFrame,
    converted: pl.DataFrame,
    schema: DatasourceSchema,
    now: datetime,
) -> tuple[pl.DataFrame, pl.Series]:
    """The error report (ERROR_REPORT_SCHEMA, by row then column) and each invalid row's `errors` text (in
    `positions` order), built column-wise: Python only words each distinct (column, rule, value) once."""
    slots = pl.DataFrame({"position": positions, "slot": range(len(positions))}, schema={"position": pl.Int64,
                                                                                         "slot": pl.Int64})
    values = (
        originals.with_row_index("slot")
        .with_columns(pl.col("slot").cast(pl.Int64))
        .unpivot(index=["slot", ROW_COLUMN], on=list(schema.column_names), variable_name="column",
                 value_name="value")
    )
    expected = [
        converted.select(pl.lit(check.rule).alias("rule"), expected_value(check).cast(pl.Float64).alias("expected"))
        .with_row_index("slot").with_columns(pl.col("slot").cast(pl.Int64))
        for check in schema.row_checks
    ]
    report = (
        cells.join(slots, on="position", how="left", maintain_order="left")
        .join(values, on=["slot", "column"], how="left", maintain_order="left")
    )
    if expected:
        report = report.join(pl.concat(expected), on=["slot", "rule"], how="left", maintain_order="left")
    else:
        report = report.with_columns(pl.lit(None, pl.Float64).alias("expected"))
    key = ["column", "rule", "value", "expected"]
    problems = _problems(report.select(key).unique(), schema, now)
    report = report.join(problems, on=key, how="left", nulls_equal=True, maintain_order="left")
    per_row = (
        report.group_by("slot", maintain_order=True)
        .agg(pl.concat_str(pl.col("column"), pl.lit(": "), pl.col("problem")).str.join("; ").alias(ERRORS_COLUMN))
        .sort("slot")
    )
    error_report = (
        report.select(
            pl.col(ROW_COLUMN).cast(pl.Int64).alias("row"), "column", "rule", "value",
            pl.concat_str(pl.col("column"), pl.lit(" "), pl.col("problem")).alias("message"),
        )
        # Batches arrive in row order, but a reader may number rows otherwise; the report is by row number.
        .sort("row", maintain_order=True)
    )
    return error_report, per_row.get_column(ERRORS_COLUMN)


def _problems(distinct: pl.DataFrame, schema: DatasourceSchema, now: datetime) -> pl.DataFrame:
    """`problem` for each distinct (column, rule, value, expected): what is wrong, for a person."""
    row_checks = {check.rule: messages.row_check_formatter(check) for check in schema.row_checks}
    formatters: dict[tuple[str, str], messages.ProblemFormatter] = {}
    said: list[str] = []
    for column, rule, value, expectation in distinct.iter_rows():
        if rule in row_checks:
            said.append(row_checks[rule](value, expectation))
            continue
        formatter = formatters.get((column, rule))
        if formatter is None:
            formatter = formatters[(column, rule)] = messages.problem_formatter(schema.column(column), rule, now=now)
        said.append(formatter(value))
    return distinct.with_columns(pl.Series("problem", said, dtype=pl.String))


def _as_strings(rows: pl.DataFrame, schema: DatasourceSchema) -> pl.DataFrame:
    """The rows as the file had them, for the report and the rejects file (native values as text)."""
    return rows.select(
        pl.col(ROW_COLUMN).cast(pl.Int64), *(pl.col(name).cast(pl.String) for name in schema.column_names)
    )


def _invalid_frame(originals: pl.DataFrame, problems: pl.Series) -> pl.DataFrame:
    return originals.with_columns(problems.alias(ERRORS_COLUMN))
