"""Read a raw file in batches, validate every row, and write three local files: the normalized valid rows
(what Druid will read, see backend.pipeline.staging), the rejected rows with their errors, and the full error
report.

One pass, optimistic about uniqueness: a unique column's value can only be judged against the whole file, so
the pass validates each batch without that rule and keeps an 8-byte hash of each value. Files almost never
repeat an ID; when two hashes match, the values behind them are read back, and if the file really repeats a
value, a second pass validates every batch again knowing the duplicated values (every row holding one is
invalid). Only such files pay for two passes.

The two cores share the work: Polars' streaming reader parses ahead in its own threads, and the staged rows of
one batch are written in a worker thread while the next batch is validated.

No database and no object store here, so the benchmark measures exactly what the worker runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from backend.formats.columns import match_columns, require_columns
from backend.formats.file_format import FileFormat
from backend.formats.reader import ReadLimits, TabularFile, open_tabular
from backend.pipeline.staging import BackgroundStager, StagedFormat, StagedRows
from backend.schema.declaration import DatasourceSchema
from backend.validation.validator import (
    ERROR_REPORT_SCHEMA,
    RowError,
    find_duplicate_values,
    note_formula_cells,
    repeated_hashes,
    validate_batch,
    value_hashes,
    values_with_hashes,
)

_ERROR_HEADER = (",".join(ERROR_REPORT_SCHEMA) + "\n").encode()  # row,column,rule,value,message


@dataclass
class ValidationTally:
    rows_total: int = 0
    rows_valid: int = 0
    rows_invalid: int = 0
    errors_total: int = 0
    error_sample: list[RowError] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    used_columns: list[str] = field(default_factory=list)  # the file's names of the schema columns it has
    min_ts: datetime | None = None
    max_ts: datetime | None = None
    staged_format: StagedFormat = StagedFormat.csv
    # True during the second pass over a file that repeats a unique value (progress was reported already).
    second_pass: bool = False


@dataclass(frozen=True)
class OutputFiles:
    staged: Path
    rejects: Path
    errors: Path

    @classmethod
    def in_folder(cls, folder: Path) -> OutputFiles:
        return cls(folder / "staged", folder / "rejects.csv", folder / "errors.csv")


ProgressCallback = Callable[[ValidationTally, int | None], None]


def validate_to_files(
    raw: Path,
    fmt: FileFormat,
    schema: DatasourceSchema,
    limits: ReadLimits,
    out: OutputFiles,
    *,
    lineage_id: str,
    now: datetime,
    error_sample_limit: int,
    on_batch: ProgressCallback | None = None,
) -> ValidationTally:
    with open_tabular(raw, fmt, limits) as table:
        match = match_columns(table.columns, schema.column_names, schema.required_columns)
        require_columns(match, table.columns, keyed=table.keyed)
        found_for = {canonical: found for found, canonical in match.mapping.items()}
        run = _Pass(table, match.mapping, schema, out, table.text_is_plain, lineage_id=lineage_id, now=now,
                    error_sample_limit=error_sample_limit, on_batch=on_batch)
        tally, hashes = run.validate({column: frozenset() for column in schema.unique_columns}, second_pass=False)
        duplicates = {
            column: _duplicates_behind(table, found_for[column], repeated)
            for column, column_hashes in hashes.items()
            if not (repeated := repeated_hashes(column_hashes)).is_empty()
        }
        if any(duplicates.values()):
            tally, _ = run.validate(
                {column: duplicates.get(column, frozenset()) for column in schema.unique_columns}, second_pass=True
            )
        tally.extra_columns = list(match.extra)
        tally.used_columns = list(match.mapping)
    return tally


@dataclass
class _Pass:
    """One read + validate + stage pass over the file, writing the three output files afresh."""

    table: TabularFile
    wanted: Mapping[str, str]
    schema: DatasourceSchema
    out: OutputFiles
    plain_text: Callable[[], bool]
    lineage_id: str
    now: datetime
    error_sample_limit: int
    on_batch: ProgressCallback | None

    def validate(
        self, duplicates: Mapping[str, frozenset[str]], *, second_pass: bool
    ) -> tuple[ValidationTally, dict[str, pl.Series]]:
        """The tally, and for each unique column the hashes of its values (see `value_hashes`)."""
        schema = self.schema
        tally = ValidationTally(second_pass=second_pass)
        hashes: dict[str, list[pl.Series]] = {column: [] for column in schema.unique_columns}
        formula_rows = {self.wanted[name]: rows for name, rows in self.table.formula_rows().items()
                        if name in self.wanted}
        staged = StagedRows(self.out.staged, schema.timestamp_column, self.lineage_id, plain_text=self.plain_text)
        with (
            BackgroundStager(staged) as stager,
            self.out.rejects.open("w", encoding="utf-8", newline="") as rejects,
            self.out.errors.open("wb") as errors_file,
        ):
            errors_file.write(_ERROR_HEADER)
            for batch in self.table.batches(self.wanted):
                if not second_pass:
                    for column, parts in hashes.items():
                        parts.append(value_hashes(batch.lazy(), column).collect().get_column(column))
                result = validate_batch(batch, schema, duplicates=duplicates, now=self.now)
                result = note_formula_cells(result, formula_rows)
                stager.stage(result.valid)
                if result.rows_invalid:
                    result.invalid.write_csv(rejects, include_header=tally.rows_invalid == 0)
                    result.error_report.write_csv(errors_file, include_header=False)
                    room = self.error_sample_limit - len(tally.error_sample)
                    if room > 0:
                        tally.error_sample.extend(result.first_errors(room))
                tally.errors_total += result.error_report.height
                tally.rows_total += result.rows_total
                tally.rows_valid += result.rows_valid
                tally.rows_invalid += result.rows_invalid
                _track_time_range(tally, result.valid, schema.timestamp_column)
                if self.on_batch:
                    self.on_batch(tally, self.table.approx_total_rows)
        tally.staged_format = staged.format
        return tally, {column: pl.concat(parts) if parts else pl.Series(column, [], pl.UInt64)
                       for column, parts in hashes.items()}


def _duplicates_behind(table: TabularFile, file_column: str, repeated: pl.Series) -> frozenset[str]:
    """The values of `file_column` whose hash is in `repeated` and that really occur more than once."""
    candidates = table.map_column(file_column, lambda rows: values_with_hashes(rows, file_column, repeated))
    return find_duplicate_values(candidates.get_column(file_column))


def _track_time_range(tally: ValidationTally, valid: pl.DataFrame, ts: str) -> None:
    if valid.height == 0:
        return
    low, high = valid[ts].min(), valid[ts].max()
    assert isinstance(low, datetime) and isinstance(high, datetime)
    tally.min_ts = low if tally.min_ts is None else min(tally.min_ts, low)
    tally.max_ts = high if tally.max_ts is None else max(tally.max_ts, high)
