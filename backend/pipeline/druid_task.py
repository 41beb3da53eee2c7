"""submitting -> indexing -> succeeded | failed, for the jobs riding one Druid task (one job, or several sharing
it): submit the index_parallel task exactly once, follow it, then give each job its own receipt.

A shared task reads every member's staged object and keeps only its members' rows (a filter on the lineage
column), so a staged object holding other jobs' rows can never land them twice. Each member keeps its own
events, its own receipt (its `ingest_job_id` rows counted, in one grouped query for all) and its own outcome.

When a shared task does not succeed, nothing of it was published (index_parallel publishes all its segments at
its end), so its members go back to `submitting` as their next attempt: each in a task of its own when Druid
failed the task (one job's problem must not fail another's again), or free to share again when the task was
shut down because a member was cancelled.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

from backend.db import druid_tasks_repository, events_repository, jobs_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.druid.overlord import TaskStatus, build_segments_stats
from backend.druid.spec import build_index_parallel_spec, priority_for
from backend.druid.sql import quoted_identifier
from backend.errors import ErrorCode, IngestError, first_line
from backend.pipeline.context import LeaseLost, StepContext
from backend.pipeline.datasources import job_datasource
from backend.pipeline.lineage import LINEAGE_COLUMN
from backend.pipeline.replace_impact import replace_impact
from backend.vocabulary import TERMINAL_STATES, JobState, Mode

PROGRESS_SUBMITTED = 75
PROGRESS_INDEXED = 90
_RECEIPT_POLL_S = 0.5
# The receipt asks for this many jobs' counts per query (dynamic parameters in Druid SQL).
_RECEIPT_BATCH = 500


def solo_task_id(datasource: str, job_id: uuid.UUID, attempt: int) -> str:
    """Derived from the job and its attempt: a resumed job finds its task instead of creating a second one."""
    return f"druid-ingest_{datasource}_{job_id}_attempt-{attempt}"


def shared_task_id(datasource: str) -> str:
    return f"druid-ingest_{datasource}_shared_{uuid.uuid4().hex}"


@dataclass
class TaskRun:
    """What following one task needs: its id and the context of the worker that holds its members."""

    ctx: StepContext
    task_id: str

    def held_members(self) -> list[Job]:
        """The members this worker still holds and that have not ended."""
        with session_scope() as session:
            everyone = druid_tasks_repository.members(session, self.task_id)
        return [job for job in everyone
                if job.state not in TERMINAL_STATES and job.lease_owner == self.ctx.worker_id]

    def all_members(self) -> list[Job]:
        with session_scope() as session:
            return druid_tasks_repository.members(session, self.task_id)

    def settled_members(self) -> list[Job]:
        """All members once a cancel that is shutting the task down has recorded itself."""
        with session_scope() as session:
            return druid_tasks_repository.settled_members(session, self.task_id)


def run_task(run: TaskRun) -> None:
    """Drive the task's members from wherever PostgreSQL says they are to their ends (or back to submitting)."""
    ctx, task_id = run.ctx, run.task_id
    members = run.held_members()
    if not members:
        return
    if any(job.state == JobState.submitting for job in members):
        members = _submit(run, members)
        if not members:
            return
    status = wait_for_completion(ctx, task_id)
    report = ctx.overlord.task_report(task_id) or {}
    stats = build_segments_stats(report) if report else None
    members = run.held_members()
    if not members:
        return
    if status.status != "SUCCESS":
        _after_failure(run, members, status, report, stats)
        return
    shared = len(run.all_members()) > 1
    with session_scope() as session:
        held = jobs_repository.update_many_fields(session, [job.id for job in members], ctx.worker_id,
                                                  druid_row_stats=stats, progress=PROGRESS_INDEXED)
        events_repository.add_events(
            session, sorted(held), JobState.indexing, "Druid task succeeded; waiting for the rows to be queryable",
            {"task_id": task_id, "row_stats": stats, "duration_ms": status.duration_ms,
             **({"row_stats_of": "the whole shared task"} if shared else {})})
    _receipts(ctx, [job for job in members if job.id in held])


def _submit(run: TaskRun, members: list[Job]) -> list[Job]:
    """Submit the task unless the Overlord knows it already (a worker that died after submitting left it for this
    one to adopt), then move every member to `indexing`. Returns the members still held."""
    ctx, task_id = run.ctx, run.task_id
    existing = ctx.overlord.task_status(task_id)
    everyone = run.all_members()
    layout_note = ""
    if existing is None:
        riding = [job for job in everyone if job.state not in TERMINAL_STATES]
        if not riding:
            return []
        first = riding[0]
        registered = job_datasource(first.datasource, first.schema_version)
        staged = sorted({key for job in riding for key in job.staged_keys or []})
        spec = build_index_parallel_spec(
            registered.schema,
            datasource=registered.druid_datasource,
            task_id=task_id,
            input_uris=[ctx.store.uri(key) for key in staged],
            append=first.mode == Mode.APPEND,
            replace_intervals=first.replace_intervals if first.mode == Mode.REPLACE else None,
            priority=priority_for(max(job.priority for job in riding).name),
            extra_string_dimensions=[LINEAGE_COLUMN],
            keep_only=(LINEAGE_COLUMN, [str(job.id) for job in riding]),
        )
        if first.mode == Mode.REPLACE and first.replace_intervals:
            impact, details = replace_impact(ctx.broker, registered, list(first.replace_intervals))
            ctx.add_event(first.id, JobState.submitting, impact, details)
        ctx.check_lease()
        ctx.overlord.submit_task(spec)
        layout = registered.schema.partitioning
        if layout.guarantees_rollup and first.mode == Mode.APPEND:
            layout_note = (f" (appended as dynamic segments: Druid cannot {layout.type}-partition rows while "
                           "appending; a replace upload or a compaction partitions them as declared)")
    others = len(everyone) - 1
    if existing is not None:
        message = f"Druid task {task_id} was already submitted ({existing.status}); following it."
    elif others:
        message = f"Submitted in Druid task {task_id} with {others} other job{'s' if others != 1 else ''}"
    else:
        message = f"Submitted Druid task {task_id}"
    message += layout_note
    submitting = [job for job in members if job.state == JobState.submitting]
    with session_scope() as session:
        moved = jobs_repository.transition_many(session, [
            jobs_repository.Move(job.id, message, {"task_id": task_id, "datasource": job.datasource,
                                                   "inputs": job.staged_keys, "jobs_in_task": others + 1},
                                 {"progress": PROGRESS_SUBMITTED})
            for job in submitting], JobState.indexing, lease_owner=ctx.worker_id)
    if any(ctx.load_state(job.id) == JobState.cancelled for job in submitting if job.id not in moved):
        # A member was cancelled while the task was being submitted: a cancelled job must not land rows, so the
        # task goes; the others are sent again (_after_failure) once Druid says it ended.
        ctx.overlord.shutdown_task(task_id)
    return run.held_members()


def _after_failure(
    run: TaskRun, members: list[Job], status: TaskStatus, report: dict[str, Any], stats: dict[str, Any] | None
) -> None:
    ctx, task_id = run.ctx, run.task_id
    everyone = run.settled_members()
    held = {job.id for job in members}
    members = [job for job in everyone if job.id in held and job.state not in TERMINAL_STATES]
    if not members:
        return  # cancelled meanwhile
    reason = str(report.get("errorMsg") or status.error_message or "Druid reported the task FAILED")
    if len(everyone) == 1:
        job = members[0]
        if (_lost(status) and job.attempt < ctx.settings.druid_lost_task_attempts
                and _rows_in_druid(ctx, members).get(job.id, 0) == 0):
            # Nothing of the lost task is queryable: safe to submit again.
            _send_again(ctx, job, task_id,
                        f"Druid lost task {task_id} ({first_line(status.error_message or 'no reason given', 200)}); "
                        f"submitting it again as attempt {job.attempt + 1} of {ctx.settings.druid_lost_task_attempts}",
                        status, solo=job.druid_solo)
            return
        # The report's errorMsg is complete (the status one is cut to 100 characters) but may be a stack trace:
        # its first line is the reason, the rest goes to the details.
        raise IngestError(
            ErrorCode.druid_task_failed,
            f"Druid task {task_id} failed: {first_line(reason, 1000)}",
            {"task_id": task_id, "row_stats": stats, "druid_error": reason[:4000],
             "unparseable_events": report.get("unparseableEvents")},
        )
    cancelled = [job for job in everyone if job.state == JobState.cancelled]
    landed = _rows_in_druid(ctx, members)
    for job in members:
        if landed.get(job.id, 0):
            raise IngestError(ErrorCode.druid_rows_mismatch,
                              f"Druid task {task_id} ended {status.status} but {landed[job.id]} rows of this job are "
                              "queryable; it is not sent again.", {"task_id": task_id, "druid_rows": landed[job.id]})
        if cancelled:
            why = (f"Druid task {task_id} was shut down because job {cancelled[0].id}, which shared it, was "
                   f"cancelled; nothing of it was published. Submitting this job again (attempt {job.attempt + 1})")
            _send_again(ctx, job, task_id, why, status, solo=job.druid_solo)
        else:
            why = (f"Druid task {task_id}, shared by {len(everyone)} jobs, failed: {first_line(reason, 500)}. "
                   f"Nothing of it was published; submitting this job again in a task of its own "
                   f"(attempt {job.attempt + 1})")
            _send_again(ctx, job, task_id, why, status, solo=True, druid_error=reason[:4000])


def _send_again(
    ctx: StepContext, job: Job, task_id: str, message: str, status: TaskStatus, *, solo: bool,
    druid_error: str | None = None,
) -> None:
    ctx.transition(
        job.id, JobState.submitting, message,
        {"previous_task": task_id, "attempt": job.attempt + 1, "druid_status": status.status,
         "druid_error": druid_error or status.error_message, "solo": solo},
        attempt=job.attempt + 1, druid_task_id=None, druid_submitted_at=None, druid_row_stats=None,
        druid_solo=solo, progress=PROGRESS_SUBMITTED - 5,
    )


# Faults of the cluster, not of the data, after which the task published nothing (index_parallel publishes all its
# segments at once, at its end): its indexer (or MiddleManager) went away, or another writer of the same
# datasource (another deployment, a hand-run task) held the days' locks or took them over.
_LOST_TASK_MARKERS = ("canceled as unknown task", "failed to get locks for intervals", "invalid task locks")


def _lost(status: TaskStatus) -> bool:
    reason = (status.error_message or "").lower()
    return any(marker in reason for marker in _LOST_TASK_MARKERS)


def _rows_in_druid(ctx: StepContext, jobs: list[Job]) -> dict[uuid.UUID, int]:
    """Each job's rows queryable in Druid now (one query per few hundred jobs); jobs without rows are absent."""
    if not jobs:
        return {}
    registered = job_datasource(jobs[0].datasource, jobs[0].schema_version)
    # Rolled-up Druid rows each stand for `count_metric` valid rows: their sum is what the job sent.
    rollup = registered.schema.rollup
    counted = f"SUM({quoted_identifier(rollup.count_metric)})" if rollup.enabled else "COUNT(*)"
    counts: dict[uuid.UUID, int] = {}
    for start in range(0, len(jobs), _RECEIPT_BATCH):
        batch = jobs[start:start + _RECEIPT_BATCH]
        marks = ", ".join("?" for _ in batch)
        sql = (f'SELECT "{LINEAGE_COLUMN}" AS job, {counted} AS "rows" '
               f'FROM {quoted_identifier(registered.druid_datasource)} '
               f'WHERE "{LINEAGE_COLUMN}" IN ({marks}) GROUP BY 1')
        try:
            rows: list[dict[str, Any]] = ctx.broker.query(sql, [str(job.id) for job in batch])
        except IngestError:
            continue  # the datasource is not known to the broker yet: nothing of it is queryable
        for row in rows:
            counts[uuid.UUID(str(row["job"]))] = int(row["rows"])
    return counts


def _receipts(ctx: StepContext, members: list[Job]) -> None:
    """Rows become queryable a little after SUCCESS (segment hand-off): poll until each job's rows are all there;
    each job succeeds as soon as its own count matches."""
    deadline = time.monotonic() + ctx.settings.druid_query_visible_timeout_s
    waiting = {job.id: job for job in members}
    seen: dict[uuid.UUID, int] = {}
    while waiting:
        ctx.check_lease()
        seen = _rows_in_druid(ctx, list(waiting.values()))
        exact = [waiting.pop(job_id) for job_id, job in list(waiting.items()) if seen.get(job_id, 0) == job.rows_valid]
        _succeed(ctx, exact)
        if waiting and time.monotonic() > deadline:
            break
        if waiting:
            ctx.lease_lost.wait(_RECEIPT_POLL_S)
    for job in waiting.values():
        count = seen.get(job.id, 0)
        _end_member(ctx, job, IngestError(
            ErrorCode.druid_rows_mismatch,
            f"Druid returns {count} rows for this job, expected {job.rows_valid} "
            f"after {ctx.settings.druid_query_visible_timeout_s:.0f} s.",
            {"druid_rows": count, "rows_valid": job.rows_valid},
        ))


def _succeed(ctx: StepContext, jobs: list[Job]) -> None:
    """Jobs whose rows are all queryable (their count equals rows_valid); one taken over meanwhile is left to its
    new holder, which comes to the same receipt."""
    with session_scope() as session:
        jobs_repository.transition_many(session, [
            jobs_repository.Move(job.id, f"{job.rows_valid} rows are queryable in Druid",
                                 {"druid_rows": job.rows_valid, "rows_valid": job.rows_valid,
                                  "task_id": job.druid_task_id},
                                 {"druid_rows": job.rows_valid, "progress": 100})
            for job in jobs], JobState.succeeded, lease_owner=ctx.worker_id)


def _end_member(ctx: StepContext, job: Job, error: IngestError) -> None:
    with contextlib.suppress(LeaseLost):
        ctx.transition(job.id, JobState.failed, error.message, {"code": error.code.value, **error.details},
                       code=error.code.value, message=error.message)


def wait_for_completion(ctx: StepContext, task_id: str) -> TaskStatus:
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
