"""validating -> staging -> submitting (or rejected) for a batch of small records posts, validated together
(backend.pipeline.record_batch) in one of the worker's processes.

The rows of every job that passes are staged in one object; its reports, counts, error sample and state changes
are recorded per job, all of the batch in one transaction, so a batch is recorded whole or not at all (a worker
killed midway leaves every job in `validating`, to be validated again). Jobs whose bodies need the single-job
path's messages are returned, still `validating`, for the worker to run one by one.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from backend.db import inline_bodies_repository, jobs_repository, row_errors_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.druid.spec import replace_intervals
from backend.errors import ErrorCode
from backend.pipeline.context import StepContext
from backend.pipeline.datasources import job_datasource
from backend.pipeline.record_batch import JobOutcome, validate_record_bodies
from backend.pipeline.validate_step import (
    PROGRESS_STAGED,
    PROGRESS_VALIDATED,
    STAGED_CONTENT_TYPES,
    error_row,
    read_limits,
)
from backend.schema.declaration import SegmentGranularity
from backend.storage import keys
from backend.vocabulary import JobState, OnInvalid


def validate_records(ctx: StepContext, job_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Validate and stage the held `validating` jobs among `job_ids` together; returns those left to the single
    path."""
    with session_scope() as session:
        jobs = [job for job in (jobs_repository.get_job(session, job_id) for job_id in job_ids)
                if job is not None and job.state == JobState.validating and job.lease_owner == ctx.worker_id]
        bodies = inline_bodies_repository.inline_bodies(session, [job.id for job in jobs])
    if not jobs:
        return []
    first = jobs[0]
    schema = job_datasource(first.datasource, first.schema_version).schema
    by_id = {str(job.id): job for job in jobs}
    workdir = ctx.settings.var_dir / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="records-") as tmp:
        folder = Path(tmp)
        outcome = validate_record_bodies(
            [(str(job.id), bodies[job.id]) for job in jobs if job.id in bodies], schema, read_limits(ctx.settings),
            folder, now=datetime.now(UTC), error_sample_limit=ctx.settings.error_sample_limit)
        alone = [uuid.UUID(job_id) for job_id in outcome.alone] + [job.id for job in jobs if job.id not in bodies]
        staged_key = None
        if outcome.staged is not None:
            staged_key = keys.staged_batch_key(uuid.uuid4(), outcome.staged_format.value)
            ctx.store.upload_file(outcome.staged, staged_key, content_type=STAGED_CONTENT_TYPES[outcome.staged_format])
        for job_id, result in outcome.jobs.items():
            if result.tally.rows_invalid:
                _upload_reports(ctx, by_id[job_id], result, folder)
        ctx.check_lease()
        with session_scope() as session:
            _record(session, ctx, [(by_id[job_id], result) for job_id, result in outcome.jobs.items()], staged_key,
                    outcome.staged_format.value, schema.granularity.segment)
    return alone


def _upload_reports(ctx: StepContext, job: Job, result: JobOutcome, folder: Path) -> None:
    rejects, errors = folder / f"{job.id}-rejects.csv", folder / f"{job.id}-errors.csv"
    pl.concat(result.rejects).write_csv(rejects)
    pl.concat(result.errors).write_csv(errors)
    ctx.store.upload_file(rejects, keys.rejects_key(job.id))
    ctx.store.upload_file(errors, keys.errors_key(job.id))


def _record(
    session: Session, ctx: StepContext, results: list[tuple[Job, JobOutcome]], staged_key: str | None,
    staged_format: str, segment: SegmentGranularity,
) -> None:
    """Every job's outcome, in a few statements for the whole batch; a job no longer held (cancelled meanwhile)
    is left as it is."""
    together = {"validated_with": len(results) - 1} if len(results) > 1 else {}
    row_errors_repository.replace_errors_of_many(
        session, {job.id: [error_row(e) for e in result.tally.error_sample] for job, result in results})
    rejected: list[jobs_repository.Move] = []
    validated: list[jobs_repository.Move] = []
    staged: list[jobs_repository.Move] = []
    for job, result in results:
        tally = result.tally
        counts = {"rows_total": tally.rows_total, "rows_valid": tally.rows_valid,
                  "rows_invalid": tally.rows_invalid, "errors_total": tally.errors_total}
        summary = f"{tally.rows_invalid} of {tally.rows_total} rows failed validation ({tally.errors_total} errors)"
        if tally.rows_invalid and (job.on_invalid == OnInvalid.reject or tally.rows_valid == 0):
            why = "policy is reject: nothing was ingested" if tally.rows_valid else "no valid rows are left"
            rejected.append(jobs_repository.Move(
                job.id, f"{summary}; {why}.", {**counts, **together},
                {"code": ErrorCode.validation_failed.value, "message": f"{summary}; {why}.", "progress": 100,
                 **counts}))
            continue
        skipped = f"; {summary}, skipped" if tally.rows_invalid else ""
        validated.append(jobs_repository.Move(
            job.id, f"Validated: {tally.rows_valid} valid rows{skipped}", {**counts, **together},
            {"progress": PROGRESS_VALIDATED, **counts}))
        assert staged_key is not None and tally.min_ts is not None and tally.max_ts is not None
        intervals = replace_intervals(tally.min_ts, tally.max_ts, segment)
        staged.append(jobs_repository.Move(
            job.id, f"Staged {tally.rows_valid} rows for Druid",
            {"staged_key": staged_key, "intervals": intervals, "staged_with": len(results) - 1},
            {"staged_keys": [staged_key], "replace_intervals": intervals, "progress": PROGRESS_STAGED,
             "staged_format": staged_format}))
    jobs_repository.transition_many(session, rejected, JobState.rejected, lease_owner=ctx.worker_id)
    moved = jobs_repository.transition_many(session, validated, JobState.staging, lease_owner=ctx.worker_id)
    jobs_repository.transition_many(session, [move for move in staged if move.job_id in moved], JobState.submitting,
                                    lease_owner=ctx.worker_id)
