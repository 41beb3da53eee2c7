"""Validate many small records posts in one pass: one read, one Pandera validation and one staged file for all
of them, each job keeping its own counts, errors and rejects.

Pandera's cost is mostly per call (about a hundred small Polars queries, ~20 ms however few the rows), and so is
opening a reader; a program posting one record at a time would pay it for every record. So the worker hands up
to `MAX_JOBS` queued records jobs of one datasource and schema version to `validate_record_bodies`, which writes
their records, one per line, into one NDJSON file, remembers where each job's lines start, validates the file
with the same reader and validator as any upload, and splits the outcome back by line number. The staged rows
carry each job's own `ingest_job_id`, so one staged object serves every job of the batch (a Druid task keeps only
the rows of the jobs it carries).

A body is batched only when it is plainly a JSON object (or an array of them) whose keys are all the schema's
own column names, with plain values, every required column present and no unique value repeated; anything
else (a malformed body, nesting, unknown or missing columns, duplicates) goes through the single-job path, whose
messages name exactly what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from backend.formats.file_format import FileFormat
from backend.formats.reader import ReadLimits, open_tabular
from backend.formats.tabular import ROW_COLUMN
from backend.pipeline.lineage import LINEAGE_COLUMN
from backend.pipeline.staging import StagedFormat, StagedRows
from backend.pipeline.validate_file import ValidationTally
from backend.schema.declaration import DatasourceSchema
from backend.validation.validator import ERROR_REPORT_SCHEMA, RowError, validate_batch

MAX_JOBS = 500  # records jobs validated together
MAX_BODY_BYTES = 64 * 1024  # larger bodies take the single-job path
_JOB = "__job"


@dataclass
class JobOutcome:
    tally: ValidationTally
    rejects: list[pl.DataFrame] = field(default_factory=list)  # the job's invalid rows, rows renumbered
    errors: list[pl.DataFrame] = field(default_factory=list)  # its error report, rows renumbered


@dataclass
class BatchOutcome:
    staged: Path | None  # every valid row of every batched job (None when there is none)
    staged_format: StagedFormat
    jobs: dict[str, JobOutcome]
    alone: list[str]  # job ids for the single-job path


def batchable(body: bytes, schema: DatasourceSchema) -> list[dict[str, Any]] | None:
    """The body's records when it can be validated with others, else None."""
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    records = [parsed] if isinstance(parsed, dict) else parsed
    if not isinstance(records, list) or not records:
        return None
    names = set(schema.column_names)
    present: set[str] = set()
    for record in records:
        if not isinstance(record, dict) or not record or not set(record) <= names:
            return None
        if any(isinstance(value, dict | list) for value in record.values()):
            return None
        present |= set(record)
    if not set(schema.required_columns) <= present:
        return None
    for column in schema.unique_columns:
        values = [record.get(column) for record in records if record.get(column) is not None]
        if len({json.dumps(value) for value in values}) != len(values):
            return None
    return records


def validate_record_bodies(
    bodies: Sequence[tuple[str, bytes]],
    schema: DatasourceSchema,
    limits: ReadLimits,
    folder: Path,
    *,
    now: datetime,
    error_sample_limit: int,
) -> BatchOutcome:
    """Validate the (job id, body) pairs together; see the module docstring."""
    alone: list[str] = []
    job_ids: list[str] = []
    starts: list[int] = []
    combined = folder / "records.ndjson"
    line = 1
    with combined.open("w", encoding="utf-8") as out:
        for job_id, body in bodies:
            records = batchable(body, schema)
            if records is None:
                alone.append(job_id)
                continue
            job_ids.append(job_id)
            starts.append(line)
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
                out.write("\n")
            line += len(records)
    outcome = BatchOutcome(None, StagedFormat.csv, {job_id: JobOutcome(ValidationTally()) for job_id in job_ids},
                           alone)
    if not job_ids:
        return outcome
    # Each line's job, by where the jobs' lines start.
    start_series = pl.Series("start", starts, pl.Int64)
    names = pl.Series(_JOB, job_ids, pl.String)

    def job_of(rows: pl.Series) -> pl.Series:
        return names.gather(start_series.search_sorted(rows, side="right") - 1)

    staged_path = folder / "staged"
    unique = {column: frozenset[str]() for column in schema.unique_columns}
    with open_tabular(combined, FileFormat.ndjson, limits) as table:
        staged = StagedRows(staged_path, schema.timestamp_column, lineage_id="", plain_text=table.text_is_plain)
        try:
            for batch in table.batches({name: name for name in table.columns}):
                result = validate_batch(batch, schema, duplicates=unique, now=now)
                rows = batch.get_column(ROW_COLUMN)
                invalid_rows = result.invalid.get_column(ROW_COLUMN)
                valid_jobs = job_of(rows.filter(~rows.is_in(invalid_rows.implode())))
                staged.write(result.valid.with_columns(valid_jobs.alias(LINEAGE_COLUMN)))
                _tally(outcome, schema, rows, result.valid.with_columns(valid_jobs.alias(_JOB)), job_of,
                       result.invalid, result.error_report, start_series, names, error_sample_limit)
        finally:
            staged.close()
    outcome.staged = staged_path if any(job.tally.rows_valid for job in outcome.jobs.values()) else None
    outcome.staged_format = staged.format
    return outcome


def _tally(
    outcome: BatchOutcome, schema: DatasourceSchema, rows: pl.Series, valid: pl.DataFrame, job_of: Any,
    invalid: pl.DataFrame, report: pl.DataFrame, starts: pl.Series, names: pl.Series, sample_limit: int,
) -> None:
    for job_id, count in job_of(rows).value_counts().iter_rows():
        outcome.jobs[job_id].tally.rows_total += int(count)
    ts = schema.timestamp_column
    if valid.height:
        span = valid.group_by(_JOB).agg(pl.len().alias("n"), pl.col(ts).min().alias("lo"), pl.col(ts).max().alias("hi"))
        for job_id, count, low, high in span.iter_rows():
            tally = outcome.jobs[job_id].tally
            tally.rows_valid += int(count)
            tally.min_ts = low if tally.min_ts is None else min(tally.min_ts, low)
            tally.max_ts = high if tally.max_ts is None else max(tally.max_ts, high)
    if invalid.height == 0:
        return
    offset = {job_id: int(start) - 1 for job_id, start in zip(names, starts, strict=True)}
    invalid = invalid.with_columns(job_of(invalid.get_column(ROW_COLUMN)).alias(_JOB))
    report = report.with_columns(job_of(report.get_column("row")).alias(_JOB))
    for (job_id,), rejected in invalid.group_by(_JOB, maintain_order=True):
        job = outcome.jobs[str(job_id)]
        shift = offset[str(job_id)]
        job.tally.rows_invalid += rejected.height
        job.rejects.append(rejected.drop(_JOB).with_columns(pl.col(ROW_COLUMN) - shift))
    for (job_id,), errors in report.group_by(_JOB, maintain_order=True):
        job = outcome.jobs[str(job_id)]
        shift = offset[str(job_id)]
        renumbered = errors.drop(_JOB).with_columns(pl.col("row") - shift).select(list(ERROR_REPORT_SCHEMA))
        job.errors.append(renumbered)
        job.tally.errors_total += renumbered.height
        room = sample_limit - len(job.tally.error_sample)
        if room > 0:
            job.tally.error_sample.extend(RowError(*row) for row in renumbered.head(room).iter_rows())
