"""indexing -> succeeded | failed: follow the Druid task to its end, then count the job's rows in Druid SQL."""

from __future__ import annotations

import time
from typing import Any

from backend.db.models import Job
from backend.druid.overlord import TaskStatus, build_segments_stats
from backend.druid.sql import quoted_identifier
from backend.errors import ErrorCode, IngestError, first_line
from backend.pipeline.context import StepContext
from backend.pipeline.datasources import job_datasource
from backend.pipeline.lineage import LINEAGE_COLUMN
from backend.vocabulary import JobState


def follow_task(ctx: StepContext, job: Job) -> None:
    assert job.druid_task_id is not None
    status = _wait_for_completion(ctx, job.druid_task_id)
    report = ctx.overlord.task_report(job.druid_task_id) or {}
    stats = build_segments_stats(report) if report else None
    if (status.status != "SUCCESS" and _lost(status) and job.attempt < ctx.settings.druid_lost_task_attempts
            and _rows_in_druid(ctx, job) == 0):
        # Nothing of the lost task is queryable (index_parallel publishes at its very end): safe to submit again.
        _submit_again(ctx, job, status)
        return
    if status.status != "SUCCESS":
        # The report's errorMsg is complete (the status one is cut to 100 characters) but may be a stack trace:
        # its first line is the reason, the rest goes to the details.
        reason = str(report.get("errorMsg") or status.error_message or "Druid reported the task FAILED")
        raise IngestError(
            ErrorCode.druid_task_failed,
            f"Druid task {job.druid_task_id} failed: {first_line(reason, 1000)}",
            {"task_id": job.druid_task_id, "row_stats": stats, "druid_error": reason[:4000],
             "unparseable_events": report.get("unparseableEvents")},
        )
    ctx.update_job(job.id, druid_row_stats=stats, progress=90)
    ctx.add_event(job.id, JobState.indexing, "Druid task succeeded; waiting for the rows to be queryable",
             {"task_id": job.druid_task_id, "row_stats": stats, "duration_ms": status.duration_ms})
    druid_rows = _wait_for_receipt(ctx, job)
    ctx.transition(
        job.id,
        JobState.succeeded,
        f"{druid_rows} rows are queryable in Druid",
        {"druid_rows": druid_rows, "rows_valid": job.rows_valid, "row_stats": stats},
        druid_rows=druid_rows,
        progress=100,
    )


# What the Overlord says of a task whose indexer (or MiddleManager) went away: an infrastructure fault, not the
# data's, and the task published nothing (index_parallel publishes all its segments at once, at its end).
_LOST_TASK_MARKERS = ("canceled as unknown task",)


def _lost(status: TaskStatus) -> bool:
    reason = (status.error_message or "").lower()
    return any(marker in reason for marker in _LOST_TASK_MARKERS)


def _submit_again(ctx: StepContext, job: Job, status: TaskStatus) -> None:
    """Back to `submitting` as the next attempt: a new task id, the same staged rows."""
    attempt = job.attempt + 1
    ctx.transition(
        job.id, JobState.submitting,
        f"Druid lost task {job.druid_task_id} ({first_line(status.error_message or 'no reason given', 200)}); "
        f"submitting it again as attempt {attempt} of {ctx.settings.druid_lost_task_attempts}",
        {"previous_task": job.druid_task_id, "attempt": attempt, "druid_error": status.error_message},
        attempt=attempt, druid_task_id=None, druid_submitted_at=None, druid_row_stats=None,
    )


def _rows_in_druid(ctx: StepContext, job: Job) -> int:
    druid_datasource = job_datasource(job.datasource, job.schema_version).druid_datasource
    sql = f'SELECT COUNT(*) AS "rows" FROM {quoted_identifier(druid_datasource)} WHERE "{LINEAGE_COLUMN}" = ?'
    try:
        rows: list[dict[str, Any]] = ctx.broker.query(sql, [str(job.id)])
    except IngestError:
        return 0  # the datasource is not known to the broker yet: nothing of it is queryable
    return int(rows[0]["rows"]) if rows else 0


def _wait_for_completion(ctx: StepContext, task_id: str) -> TaskStatus:
    settings = ctx.settings
    deadline = time.monotonic() + settings.druid_task_timeout_s
    delay = settings.druid_poll_initial_s
    pending_since: float | None = None
    while True:
        ctx.check_lease()
        status = ctx.overlord.task_status(task_id)
        if status is None:
            raise IngestError(ErrorCode.druid_task_failed, f"The Overlord does not know task {task_id}.")
        if status.is_complete:
            return status
        if status.runner_status in {"PENDING", "WAITING"}:
            pending_since = pending_since or time.monotonic()
            if time.monotonic() - pending_since > settings.druid_pending_timeout_s:
                ctx.overlord.shutdown_task(task_id)
                raise IngestError(
                    ErrorCode.druid_task_pending_timeout,
                    f"Druid kept task {task_id} {status.runner_status} for more than "
                    f"{settings.druid_pending_timeout_s:.0f} s (no free task slot?); it was shut down.",
                    {"task_id": task_id, "runner_status": status.runner_status},
                )
        else:
            pending_since = None
        if time.monotonic() > deadline:
            ctx.overlord.shutdown_task(task_id)
            raise IngestError(
                ErrorCode.druid_task_failed,
                f"Druid task {task_id} did not finish within {settings.druid_task_timeout_s:.0f} s; shut it down.",
            )
        ctx.lease_lost.wait(delay)  # wakes early if the lease is lost
        delay = min(delay * 1.5, settings.druid_poll_max_s)


def _wait_for_receipt(ctx: StepContext, job: Job) -> int:
    """Rows become queryable a little after SUCCESS (segment handoff): poll until they are all there."""
    druid_datasource = job_datasource(job.datasource, job.schema_version).druid_datasource
    sql = f'SELECT COUNT(*) AS "rows" FROM {quoted_identifier(druid_datasource)} WHERE "{LINEAGE_COLUMN}" = ?'
    deadline = time.monotonic() + ctx.settings.druid_query_visible_timeout_s
    seen = 0
    while True:
        ctx.check_lease()
        try:
            rows: list[dict[str, Any]] = ctx.broker.query(sql, [str(job.id)])
            seen = int(rows[0]["rows"]) if rows else 0
        except IngestError:
            seen = 0  # the datasource may not be known to the broker yet
        if seen == job.rows_valid:
            return seen
        if time.monotonic() > deadline:
            raise IngestError(
                ErrorCode.druid_rows_mismatch,
                f"Druid returns {seen} rows for this job, expected {job.rows_valid} "
                f"after {ctx.settings.druid_query_visible_timeout_s:.0f} s.",
                {"druid_rows": seen, "rows_valid": job.rows_valid},
            )
        ctx.lease_lost.wait(0.5)
