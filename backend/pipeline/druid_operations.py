"""submitting -> indexing -> succeeded | failed for a job that operates on rows already in Druid (a compaction, a
retraction): measure the period, submit the operation's Druid task exactly once, follow it, then succeed only when
Druid SQL shows the outcome the operation promises.

- A compaction promises the same rows in the period, in the segments the task wrote (none of those it read is
  served any more); it records the segment count before and after.
- A retraction promises 0 rows of its target job in the period and every other row still there (counted before
  and after); the target job is marked retracted in the same transaction as the retraction succeeds.

Druid publishes an operation's segments all at once at its task's end, so a task that fails or is shut down
leaves the data as it was: the job ends `failed` with Druid's reason (or `cancelled`), and may be retried.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from backend.db import jobs_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.druid.operation_specs import build_compaction_spec, build_retraction_spec
from backend.druid.period_rows import PeriodRows, period_rows, serving_segments
from backend.druid.spec import priority_for
from backend.errors import ErrorCode, IngestError, first_line
from backend.pipeline.context import LeaseLost, StepContext
from backend.pipeline.datasources import RegisteredDatasource, job_datasource
from backend.pipeline.druid_task import PROGRESS_INDEXED, PROGRESS_SUBMITTED, TaskRun, wait_for_completion
from backend.pipeline.lineage import LINEAGE_COLUMN
from backend.vocabulary import TERMINAL_STATES, JobKind, JobState

_POLL_S = 0.5


def run_operation(run: TaskRun) -> None:
    """Drive the operation riding this task (one job) from wherever PostgreSQL says it is to its end."""
    ctx, task_id = run.ctx, run.task_id
    held = run.held_members()
    if not held:
        return
    job = held[0]
    registered = job_datasource(job.datasource, job.schema_version)
    if job.state == JobState.submitting and _submit(ctx, job, registered, task_id):
        return
    status = wait_for_completion(ctx, task_id)
    job = ctx.load_held_job(job.id)
    if job.state in TERMINAL_STATES:
        return  # cancelled while it ran
    if status.status != "SUCCESS":
        report = ctx.overlord.task_report(task_id) or {}
        reason = str(report.get("errorMsg") or status.error_message or "Druid reported the task FAILED")
        raise IngestError(
            ErrorCode.druid_task_failed,
            f"Druid task {task_id} failed: {first_line(reason, 1000)}. Nothing of it was published: the data is "
            "as it was.", {"task_id": task_id, "druid_error": reason[:4000]})
    ctx.update_job(job.id, progress=PROGRESS_INDEXED)
    ctx.add_event(job.id, JobState.indexing, "Druid task succeeded; waiting for Druid SQL to show the outcome",
                  {"task_id": task_id, "duration_ms": status.duration_ms})
    if job.kind is JobKind.compaction:
        _finish_compaction(ctx, job, registered)
    else:
        _finish_retraction(ctx, job, registered)


def _submit(ctx: StepContext, job: Job, registered: RegisteredDatasource, task_id: str) -> bool:
    """Measure the period (recorded before the task exists, so a worker that takes over after the submission
    still has the figures to compare with), submit unless the Overlord knows the task already, go `indexing`.
    True when there is nothing to submit: an earlier attempt's task did the work (its check timed out)."""
    operation = dict(job.operation or {})
    existing = ctx.overlord.task_status(task_id)
    if existing is None:
        interval = str(operation["interval"])
        before = _period(ctx, registered, interval, job)
        if job.kind is JobKind.compaction:
            segments = serving_segments(ctx.broker, registered.druid_datasource, interval)
            operation.update(rows_before=before.total, segments_before=len(segments),
                             segment_ids_before=sorted(s.segment_id for s in segments))
            spec = build_compaction_spec(
                registered.schema, datasource=registered.druid_datasource, task_id=task_id, interval=interval,
                priority=priority_for(job.priority.name),
                target_rows_per_segment=operation.get("target_rows_per_segment"))
        else:
            if before.of_job == 0 and before.total == operation.get("other_rows_before"):
                # The previous attempt's task removed the rows; only its check ran out of time.
                operation.update(target_rows_after=0, other_rows_after=before.total)
                ctx.transition(job.id, JobState.indexing, "Druid already holds none of the job's rows: the previous "
                               "attempt's task removed them", _shown(operation), progress=PROGRESS_INDEXED)
                _succeed(ctx, job, operation,
                         f"Retracted job {operation['target_job_id']}: an earlier attempt's Druid task removed its "
                         f"rows from {interval}; the other {before.total} rows are all there",
                         retracts=uuid.UUID(str(operation["target_job_id"])))
                return True
            if before.of_job == 0:
                raise IngestError(ErrorCode.conflict,
                                  f"Druid holds no rows of job {operation['target_job_id']} in {interval} any more "
                                  "(a later replace removed them?): nothing to retract.",
                                  {"target_job_id": operation["target_job_id"], "interval": interval})
            operation.update(target_rows_before=before.of_job, other_rows_before=before.total - before.of_job)
            spec = build_retraction_spec(
                registered.druid_datasource, task_id=task_id, interval=interval,
                priority=priority_for(job.priority.name), partitioning=registered.schema.partitioning,
                lineage_column=LINEAGE_COLUMN, job_id=str(operation["target_job_id"]))
        ctx.update_job(job.id, operation=operation)
        ctx.check_lease()
        ctx.overlord.submit_task(spec)
        message = f"Submitted Druid task {task_id}: {_what(job, operation)}"
    else:
        message = f"Druid task {task_id} was already submitted ({existing.status}); following it."
    try:
        ctx.transition(job.id, JobState.indexing, message, {"task_id": task_id, **_shown(operation)},
                       progress=PROGRESS_SUBMITTED)
    except LeaseLost:
        if existing is None and ctx.load_state(job.id) == JobState.cancelled:
            # Cancelled while the task was being submitted: a cancelled operation must not change the data.
            ctx.overlord.shutdown_task(task_id)
        raise
    return False


def _what(job: Job, operation: dict[str, Any]) -> str:
    if job.kind is JobKind.compaction:
        return (f"compact {operation['interval']} ({operation['segments_before']} segments, "
                f"{operation['rows_before']} rows)")
    return (f"rewrite {operation['interval']} without job {operation['target_job_id']}'s "
            f"{operation['target_rows_before']} rows (keeping {operation['other_rows_before']} others)")


def _shown(operation: dict[str, Any]) -> dict[str, Any]:
    """The operation's figures for an event (not the list of segment ids)."""
    return {key: value for key, value in operation.items() if key != "segment_ids_before"}


def _period(ctx: StepContext, registered: RegisteredDatasource, interval: str, job: Job) -> PeriodRows:
    target = (job.operation or {}).get("target_job_id")
    return period_rows(ctx.broker, registered.druid_datasource, interval, registered.schema.rollup,
                       LINEAGE_COLUMN, str(target) if target else None)


def _finish_compaction(ctx: StepContext, job: Job, registered: RegisteredDatasource) -> None:
    """Succeed once the period is served only by segments the task wrote, all loaded, with the same rows."""
    operation = dict(job.operation or {})
    interval = str(operation["interval"])
    replaced = set(operation.get("segment_ids_before") or [])
    deadline = time.monotonic() + ctx.settings.druid_query_visible_timeout_s
    while True:
        ctx.check_lease()
        segments = serving_segments(ctx.broker, registered.druid_datasource, interval)
        # Nothing served at all is a moment of the swap, not its end (the period had rows before).
        swapped = bool(segments) and all(s.available and s.segment_id not in replaced for s in segments)
        rows = _period(ctx, registered, interval, job).total if swapped else None
        if swapped and rows == operation["rows_before"]:
            break
        if time.monotonic() > deadline:
            raise IngestError(
                ErrorCode.druid_rows_mismatch,
                f"After {ctx.settings.druid_query_visible_timeout_s:.0f} s Druid serves "
                f"{'the compacted segments' if swapped else 'segments the compaction replaced'} in {interval}"
                + (f" with {rows} rows, expected {operation['rows_before']}" if swapped else "") + ".",
                {"interval": interval, "rows": rows, "rows_before": operation["rows_before"]})
        ctx.lease_lost.wait(_POLL_S)
    operation.update(rows_after=rows, segments_after=len(segments))
    _succeed(ctx, job, operation,
             f"Compacted {interval}: {operation['segments_before']} segments -> {len(segments)}, "
             f"{rows} rows before and after")


def _finish_retraction(ctx: StepContext, job: Job, registered: RegisteredDatasource) -> None:
    """Succeed once Druid SQL counts 0 rows of the target job and exactly the other rows there were."""
    operation = dict(job.operation or {})
    interval = str(operation["interval"])
    others_expected = int(operation["other_rows_before"])
    deadline = time.monotonic() + ctx.settings.druid_query_visible_timeout_s
    while True:
        ctx.check_lease()
        now = _period(ctx, registered, interval, job)
        if now.of_job == 0 and now.total == others_expected:
            break
        if time.monotonic() > deadline:
            raise IngestError(
                ErrorCode.druid_rows_mismatch,
                f"After {ctx.settings.druid_query_visible_timeout_s:.0f} s Druid counts {now.of_job} rows of job "
                f"{operation['target_job_id']} (expected 0) and {now.total - now.of_job} other rows (expected "
                f"{others_expected}) in {interval}.",
                {"interval": interval, "target_rows": now.of_job, "other_rows": now.total - now.of_job})
        ctx.lease_lost.wait(_POLL_S)
    operation.update(target_rows_after=0, other_rows_after=others_expected)
    _succeed(ctx, job, operation,
             f"Retracted job {operation['target_job_id']}: its {operation['target_rows_before']} rows are gone from "
             f"{interval}; the other {others_expected} rows are all there",
             retracts=uuid.UUID(str(operation["target_job_id"])))


def _succeed(ctx: StepContext, job: Job, operation: dict[str, Any], message: str,
             retracts: uuid.UUID | None = None) -> None:
    with session_scope() as session:
        moved = jobs_repository.transition(session, job.id, JobState.succeeded, message, details=_shown(operation),
                                           lease_owner=ctx.worker_id, operation=operation, progress=100)
        if moved and retracts is not None:
            jobs_repository.mark_retracted(session, retracts, job.id)
