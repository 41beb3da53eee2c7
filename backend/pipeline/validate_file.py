"""Read a raw file in batches, validate every row, and write three local files: the normalized valid rows
(what Druid will read), the rejected rows with their errors, and the full error report.

One cheap pass over the unique columns first (file-wide duplicates), then the batches. The two cores share
the work: Polars' streaming reader parses ahead in its own threads, and the staged NDJSON of one batch is
written in a worker thread while the next batch is validated.

No database and no object store here, so the benchmark measures exactly what the worker runs.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO

import polars as pl

from backend.formats.columns import match_columns, require_columns
from backend.formats.kinds import FileFormat
from backend.formats.reader import ReadLimits, TabularFile, open_tabular
from backend.pipeline.lineage import LINEAGE_COLUMN
from backend.validation.schema import DatasourceSchema
from backend.validation.validator import (
    RowError,
    find_duplicate_values,
    repeated_hashes,
    validate_batch,
    value_hashes,
    values_with_hashes,
)

_ERROR_FIELDS = ("row", "column", "rule", "value", "message")


@dataclass
class ValidationTally:
    rows_total: int = 0
    rows_valid: int = 0
    rows_invalid: int = 0
    errors_total: int = 0
    error_sample: list[RowError] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    min_ts: datetime | None = None
    max_ts: datetime | None = None


@dataclass(frozen=True)
class OutputFiles:
    staged: Path
    rejects: Path
    errors: Path

    @classmethod
    def in_folder(cls, folder: Path) -> OutputFiles:
        return cls(folder / "staged.json", folder / "rejects.csv", folder / "errors.csv")


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
    on_batch: Callable[[ValidationTally, int | None], None] | None = None,
) -> ValidationTally:
    with open_tabular(raw, fmt, limits) as table:
        match = match_columns(table.columns, schema.column_names, schema.required_columns)
        require_columns(match, table.columns)
        found_for = {canonical: found for found, canonical in match.mapping.items()}
        # File-wide uniqueness needs the whole column once; batches then only look values up.
        duplicates = {column: _file_wide_duplicates(table, found_for[column]) for column in schema.unique_columns}
        tally = ValidationTally(extra_columns=list(match.extra))
        with (
            out.staged.open("wb") as staged_file,
            _BackgroundStager(staged_file, schema.timestamp_column, lineage_id) as stager,
            out.rejects.open("w", encoding="utf-8", newline="") as rejects,
            out.errors.open("w", encoding="utf-8", newline="") as errors_file,
        ):
            error_writer = csv.writer(errors_file, lineterminator="\n")
            error_writer.writerow(_ERROR_FIELDS)
            for batch in table.batches(match.mapping):
                result = validate_batch(batch, schema, duplicates=duplicates, now=now)
                stager.stage(result.valid)
                if result.rows_invalid:
                    result.invalid.write_csv(rejects, include_header=tally.rows_invalid == 0)
                    error_writer.writerows((e.row, e.column, e.rule, e.value, e.message) for e in result.errors)
                    room = error_sample_limit - len(tally.error_sample)
                    if room > 0:
                        tally.error_sample.extend(result.errors[:room])
                tally.errors_total += len(result.errors)
                tally.rows_total += result.rows_total
                tally.rows_valid += result.rows_valid
                tally.rows_invalid += result.rows_invalid
                _track_time_range(tally, result.valid, schema.timestamp_column)
                if on_batch:
                    on_batch(tally, table.approx_total_rows)
    return tally


def _file_wide_duplicates(table: TabularFile, file_column: str) -> frozenset[str]:
    """The values of `file_column` that occur more than once in the whole file (see `find_duplicate_values`).

    Two reads of one column: a hash per value first; the text only of rows whose hash repeats, and only if any
    does. Holding 8 bytes a row instead of the text keeps memory low on large files.
    """
    hashes = table.map_column(file_column, lambda rows: value_hashes(rows, file_column)).get_column(file_column)
    repeated = repeated_hashes(hashes)
    del hashes
    if repeated.is_empty():
        return frozenset()
    candidates = table.map_column(file_column, lambda rows: values_with_hashes(rows, file_column, repeated))
    return find_duplicate_values(candidates.get_column(file_column))


class _BackgroundStager:
    """Writes each batch's valid rows to the staged file in a worker thread, in batch order.

    Serializing NDJSON costs about as much as validating the batch; Polars releases the GIL while it formats
    and writes, so writing batch i on one core overlaps validating batch i+1 on the other. At most one batch
    waits to be written, so memory stays bounded. Leaving the `with` waits for the last write; a write's
    error is raised on the next `stage` or on leaving.
    """

    def __init__(self, out: IO[bytes], timestamp_column: str, lineage_id: str) -> None:
        self._out = out
        self._timestamp_column = timestamp_column
        self._lineage_id = lineage_id
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage-ndjson")
        self._pending: Future[None] | None = None

    def stage(self, valid: pl.DataFrame) -> None:
        self._wait()
        if valid.height:
            self._pending = self._pool.submit(_write_valid, valid, self._timestamp_column, self._lineage_id, self._out)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> _BackgroundStager:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self._wait()
            elif self._pending is not None:
                # Already failing: let the write finish (the file closes after us) but keep the first error.
                self._pending.exception()
        finally:
            self._pool.shutdown(wait=True)


def _write_valid(valid: pl.DataFrame, ts: str, lineage_id: str, out: IO[bytes]) -> None:
    """Normalized rows for Druid as newline-delimited JSON (a value may hold a line break, which Druid's CSV
    reader cannot carry): ISO-8601 UTC timestamps, typed numbers, plus the lineage column."""
    # Formatting naive UTC skips a time-zone lookup per value (a third of strftime's cost); the text is the same.
    utc = pl.col(ts).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    frame = valid.with_columns(
        utc.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
        pl.lit(lineage_id).alias(LINEAGE_COLUMN),
    )
    frame.write_ndjson(out)


def _track_time_range(tally: ValidationTally, valid: pl.DataFrame, ts: str) -> None:
    if valid.height == 0:
        return
    low, high = valid[ts].min(), valid[ts].max()
    assert isinstance(low, datetime) and isinstance(high, datetime)
    tally.min_ts = low if tally.min_ts is None else min(tally.min_ts, low)
    tally.max_ts = high if tally.max_ts is None else max(tally.max_ts, high)
