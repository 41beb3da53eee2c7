"""validating -> staging -> submitting: read the raw file in batches, validate every row, write the valid rows
(normalized) to the staged object Druid reads, and the invalid ones to downloadable reports.

One pass does all of it. A job resumed in `staging` (its worker died before the staged object was stored) runs
the same deterministic pass again without recording its errors and events a second time.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import polars as pl

from backend.db import jobs_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.errors import ErrorCode, IngestError
from backend.formats.detect import detect_format
from backend.formats.reader import ReadLimits, match_columns, open_tabular
from backend.druid.spec import day_intervals
from backend.pipeline.context import LeaseLost, StepContext
from backend.pipeline.datasources import load_datasource
from backend.pipeline.lineage import LINEAGE_COLUMN
from backend.pipeline.states import JobState, OnInvalid
from backend.storage import keys
from backend.validation.schema import DatasourceSchema
from backend.validation.validator import RowError, find_duplicate_values, validate_batch

PROGRESS_VALIDATED = 60
PROGRESS_STAGED = 70
_ERROR_FIELDS = ("row", "column", "rule", "value", "message")


@dataclass
class _Tally:
    rows_total: int = 0
    rows_valid: int = 0
    rows_invalid: int = 0
    errors_total: int = 0
    error_sample: list[RowError] = field(default_factory=list)
    min_ts: datetime | None = None
    max_ts: datetime | None = None


def validate_and_stage(ctx: StepContext, job: Job) -> None:
    recording = job.state == JobState.validating.value
    workdir = ctx.settings.var_dir / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix=f"{job.id}-") as tmp:
        folder = Path(tmp)
        raw = folder / "raw"
        ctx.store.download_file(job.raw_key, raw)
        ctx.check_lease()
        with raw.open("rb") as fh:
            fmt = detect_format(fh.read(64 * 1024))
        if recording and fmt.value != job.format:
            ctx.set_fields(job.id, format=fmt.value)
        with session_scope() as session:
            schema = load_datasource(session, job.datasource, job.schema_version).schema
        tally = _validate_file(ctx, job, raw, fmt, schema, folder, recording)
        _finish(ctx, job, tally, folder, recording)


def _validate_file(
    ctx: StepContext, job: Job, raw: Path, fmt: Any, schema: DatasourceSchema, folder: Path, recording: bool
) -> _Tally:
    settings = ctx.settings
    limits = ReadLimits(
        batch_rows=settings.validation_batch_rows,
        max_spreadsheet_cells=settings.max_spreadsheet_cells,
        max_spreadsheet_inflated_bytes=settings.max_spreadsheet_inflated_bytes,
        max_spreadsheet_ratio=settings.max_spreadsheet_ratio,
    )
    table = open_tabular(raw, fmt, limits)
    match = match_columns(table.columns, schema.column_names, schema.required_columns)
    if match.missing:
        raise IngestError(
            ErrorCode.missing_columns,
            f"Missing required column(s): {', '.join(match.missing)}. The file has: {', '.join(table.columns)}.",
            {"missing": match.missing, "found": table.columns},
        )
    if match.extra and recording:
        ctx.note(job.id, JobState.validating, f"Ignoring {len(match.extra)} column(s) not in the schema: "
                 f"{', '.join(match.extra)}", {"extra_columns": match.extra, "level": "warning"})
    found_for = {canonical: found for found, canonical in match.mapping.items()}
    duplicates = {
        column: find_duplicate_values(table.read_column(found_for[column])) for column in schema.unique_columns
    }
    now = datetime.now(UTC)
    tally = _Tally()
    expected = table.approx_total_rows
    with (
        (folder / "staged.csv").open("w", encoding="utf-8", newline="") as staged,
        (folder / "rejects.csv").open("w", encoding="utf-8", newline="") as rejects,
        (folder / "errors.csv").open("w", encoding="utf-8", newline="") as errors_file,
    ):
        error_writer = csv.writer(errors_file)
        error_writer.writerow(_ERROR_FIELDS)
        for batch in table.batches(match.mapping):
            ctx.check_lease()
            result = validate_batch(batch, schema, duplicates=duplicates, now=now)
            _write_valid(result.valid, schema, job, staged, header=tally.rows_total == 0)
            if result.rows_invalid:
                result.invalid.write_csv(rejects, include_header=tally.rows_invalid == 0)
            for error in result.errors:
                error_writer.writerow([error.row, error.column, error.rule, error.value, error.message])
            room = settings.error_sample_limit - len(tally.error_sample)
            if room > 0:
                tally.error_sample.extend(result.errors[:room])
            tally.errors_total += len(result.errors)
            tally.rows_total += result.rows_total
            tally.rows_valid += result.rows_valid
            tally.rows_invalid += result.rows_invalid
            _track_time_range(tally, result.valid, schema.timestamp_column)
            if recording:
                done = tally.rows_total / expected if expected else 0.5
                ctx.set_fields(job.id, rows_total=tally.rows_total, progress=int(min(done, 1.0) * 55) + 1)
    if tally.rows_total == 0:
        raise IngestError(ErrorCode.no_data_rows, "The file has a header but no data rows.")
    return tally


def _write_valid(valid: pl.DataFrame, schema: DatasourceSchema, job: Job, out: IO[str], *, header: bool) -> None:
    """Normalized rows for Druid: schema column order, ISO-8601 UTC timestamps, plus the lineage column."""
    ts = schema.timestamp_column
    frame = valid.with_columns(
        pl.col(ts).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
        pl.lit(str(job.id)).alias(LINEAGE_COLUMN),
    )
    frame.write_csv(out, include_header=header)


def _track_time_range(tally: _Tally, valid: pl.DataFrame, ts: str) -> None:
    if valid.height == 0:
        return
    low, high = valid[ts].min(), valid[ts].max()
    assert isinstance(low, datetime) and isinstance(high, datetime)
    tally.min_ts = low if tally.min_ts is None else min(tally.min_ts, low)
    tally.max_ts = high if tally.max_ts is None else max(tally.max_ts, high)


def _finish(ctx: StepContext, job: Job, tally: _Tally, folder: Path, recording: bool) -> None:
    counts = {"rows_total": tally.rows_total, "rows_valid": tally.rows_valid, "rows_invalid": tally.rows_invalid,
              "errors_total": tally.errors_total}
    if tally.rows_invalid:
        ctx.store.upload_file(folder / "rejects.csv", keys.rejects_key(job.id))
        ctx.store.upload_file(folder / "errors.csv", keys.errors_key(job.id))
    rejected = tally.rows_invalid and (job.on_invalid == OnInvalid.reject.value or tally.rows_valid == 0)
    if recording:
        with session_scope() as session:
            jobs_repository.replace_errors(session, job.id, (_error_row(e) for e in tally.error_sample))
            summary = (f"{tally.rows_invalid} of {tally.rows_total} rows failed validation "
                       f"({tally.errors_total} errors)")
            if rejected:
                why = ("policy is reject: nothing was ingested" if tally.rows_valid
                       else "no valid rows are left to ingest")
                moved = jobs_repository.transition(
                    session, job.id, JobState.rejected, f"{summary}; {why}.",
                    details=counts, lease_owner=ctx.worker_id, code=ErrorCode.validation_failed.value,
                    message=f"{summary}; {why}. See /api/v1/jobs/{job.id}/errors.", progress=100, **counts,
                )
            else:
                note = f"{tally.rows_valid} valid rows" + (f"; {summary}, skipped" if tally.rows_invalid else "")
                moved = jobs_repository.transition(
                    session, job.id, JobState.staging, f"Validated: {note}", details=counts,
                    lease_owner=ctx.worker_id, progress=PROGRESS_VALIDATED, **counts,
                )
            if not moved:
                session.rollback()
                raise LeaseLost()
    if rejected:
        return
    staged = keys.staged_key(job.id, job.attempt)
    ctx.store.upload_file(folder / "staged.csv", staged)
    assert tally.min_ts is not None and tally.max_ts is not None
    intervals = day_intervals(tally.min_ts, tally.max_ts)
    ctx.move(
        job.id, JobState.submitting, f"Staged {tally.rows_valid} rows for Druid",
        {"staged_key": staged, "intervals": intervals}, staged_keys=[staged], replace_intervals=intervals,
        progress=PROGRESS_STAGED,
    )


def _error_row(error: RowError) -> dict[str, Any]:
    return {"row_number": error.row, "column": error.column, "rule": error.rule, "value": error.value,
            "message": error.message}
