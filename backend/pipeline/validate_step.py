"""validating -> staging -> submitting: validate the raw file (backend.pipeline.validate_file), record the outcome,
and store the staged rows where Druid reads them.

One pass does all of it. A job resumed in `staging` (its worker died before the staged object was stored) runs
the same deterministic pass again without recording its errors and events a second time.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.db import jobs_repository, row_errors_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.druid.spec import replace_intervals
from backend.errors import ErrorCode, IngestError
from backend.formats.detect import detect_format, read_head
from backend.formats.display import NAMES_SHOWN, display_names, display_text, displayable_error, first_names
from backend.formats.file_format import FileFormat
from backend.formats.reader import ReadLimits
from backend.pipeline.context import LeaseLost, StepContext
from backend.pipeline.datasources import job_datasource
from backend.pipeline.janitor import abort_incomplete_staging
from backend.pipeline.raw_input import fetch_raw
from backend.pipeline.staging import StagedFormat
from backend.pipeline.validate_file import OutputFiles, ValidationTally, validate_to_files
from backend.schema.declaration import SegmentGranularity
from backend.settings import Settings
from backend.storage import keys
from backend.validation.validator import RowError
from backend.vocabulary import JobState, OnInvalid

PROGRESS_VALIDATED = 60
PROGRESS_STAGED = 70
_PROGRESS_READING = 55  # validation spans progress 1..56
SAMPLE_VALUE_CHARS = 1_000  # of a value in the stored error sample
STAGED_CONTENT_TYPES = {StagedFormat.csv: "text/csv; charset=utf-8", StagedFormat.ndjson: "application/x-ndjson"}


def read_limits(settings: Settings) -> ReadLimits:
    return ReadLimits(
        batch_rows=settings.validation_batch_rows,
        max_spreadsheet_cells=settings.max_spreadsheet_cells,
        max_spreadsheet_inflated_bytes=settings.max_spreadsheet_inflated_bytes,
        max_spreadsheet_ratio=settings.max_spreadsheet_ratio,
    )


def validate_and_stage(ctx: StepContext, job: Job) -> None:
    recording = job.state == JobState.validating
    workdir = ctx.settings.var_dir / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    if not recording:
        abort_incomplete_staging(ctx.store, job.id)  # what an earlier worker, killed while staging, left behind
    with tempfile.TemporaryDirectory(dir=workdir, prefix=f"{job.id}-") as tmp:
        folder = Path(tmp)
        raw = folder / "raw"
        fetch_raw(ctx.store, job, raw)
        ctx.check_lease()
        # Detected from the file's head when it arrived (backend.pipeline.intake); the column allows NULL, so a
        # row written by other means is detected here the same way.
        fmt = FileFormat(job.format) if job.format else detect_format(read_head(raw))
        schema = job_datasource(job.datasource, job.schema_version).schema

        def on_batch(tally: ValidationTally, expected: int | None) -> None:
            ctx.check_lease()
            if recording and not tally.second_pass:  # a second pass keeps the progress the first one reached
                done = min(tally.rows_total / expected, 1.0) if expected else 0.5
                ctx.update_job(job.id, rows_total=tally.rows_total, progress=1 + int(done * _PROGRESS_READING))

        out = OutputFiles.in_folder(folder)
        try:
            tally = validate_to_files(
                raw, fmt, schema, read_limits(ctx.settings), out, lineage_id=str(job.id),
                now=datetime.now(UTC), error_sample_limit=ctx.settings.error_sample_limit, on_batch=on_batch,
            )
        except IngestError as error:
            # A refusal may quote the file (header names, a record): stored and shown escaped and bounded.
            raise displayable_error(error) from error.__cause__
        if recording and tally.extra_columns:
            ctx.add_event(job.id, JobState.validating, *_ignored_columns_event(tally.extra_columns, tally.used_columns))
        _finish(ctx, job, tally, out, recording, schema.granularity.segment)


def _ignored_columns_event(extra: list[str], used: list[str]) -> tuple[str, dict[str, Any]]:
    """The warning for columns the schema does not know: their count and first names; the columns that were used
    are listed whole (at most the schema's), so that every ignored one is known: the file's others."""
    message = f"Ignoring {len(extra)} column(s) not in the schema: {display_names(extra)}"
    if len(extra) > NAMES_SHOWN:
        message += f". Every column of the file other than {display_names(used, len(used))} was ignored"
    details = {"extra_columns": first_names(extra), "extra_columns_total": len(extra),
               "used_columns": first_names(used, len(used)), "level": "warning"}
    return message, details


def _finish(
    ctx: StepContext, job: Job, tally: ValidationTally, out: OutputFiles, recording: bool, segment: SegmentGranularity
) -> None:
    counts = {"rows_total": tally.rows_total, "rows_valid": tally.rows_valid, "rows_invalid": tally.rows_invalid,
              "errors_total": tally.errors_total}
    if tally.rows_invalid:
        ctx.store.upload_file(out.rejects, keys.rejects_key(job.id))
        ctx.store.upload_file(out.errors, keys.errors_key(job.id))
    rejected = bool(tally.rows_invalid) and (job.on_invalid == OnInvalid.reject or tally.rows_valid == 0)
    if recording:
        _record_validation(ctx, job, tally, counts, rejected)
    if rejected:
        return
    staged = keys.staged_key(job.id, job.attempt, tally.staged_format.value)
    ctx.store.upload_file(out.staged, staged, content_type=STAGED_CONTENT_TYPES[tally.staged_format])
    assert tally.min_ts is not None and tally.max_ts is not None
    intervals = replace_intervals(tally.min_ts, tally.max_ts, segment)
    ctx.transition(
        job.id, JobState.submitting, f"Staged {tally.rows_valid} rows for Druid",
        {"staged_key": staged, "intervals": intervals}, staged_keys=[staged], replace_intervals=intervals,
        progress=PROGRESS_STAGED, staged_format=tally.staged_format.value,
    )


def _record_validation(
    ctx: StepContext, job: Job, tally: ValidationTally, counts: dict[str, int], rejected: bool
) -> None:
    """The error sample, the counts and the next state commit together, or not at all."""
    summary = f"{tally.rows_invalid} of {tally.rows_total} rows failed validation ({tally.errors_total} errors)"
    with session_scope() as session:
        row_errors_repository.replace_errors(session, job.id, (error_row(e) for e in tally.error_sample))
        if rejected:
            why = "policy is reject: nothing was ingested" if tally.rows_valid else "no valid rows are left"
            moved = jobs_repository.transition(
                session, job.id, JobState.rejected, f"{summary}; {why}.", details=counts,
                lease_owner=ctx.worker_id, code=ErrorCode.validation_failed.value,
                # No API path here: the message is for people, and each client shows the errors in its own place
                # (the page's table, the CLI's listing; GET /api/v1/jobs/{id}/errors for programs).
                message=f"{summary}; {why}.", progress=100, **counts,
            )
        else:
            skipped = f"; {summary}, skipped" if tally.rows_invalid else ""
            moved = jobs_repository.transition(
                session, job.id, JobState.staging, f"Validated: {tally.rows_valid} valid rows{skipped}",
                details=counts, lease_owner=ctx.worker_id, progress=PROGRESS_VALIDATED, **counts,
            )
        if not moved:
            raise LeaseLost()


def error_row(error: RowError) -> dict[str, Any]:
    # The sample is for people (and PostgreSQL text holds no NUL): control characters escaped, long values cut.
    # The exact values are in the error report and the rejects file in S3.
    value = None if error.value is None else display_text(error.value, SAMPLE_VALUE_CHARS)
    return {"row_number": error.row, "column": error.column, "rule": error.rule, "value": value,
            "message": display_text(error.message)}
