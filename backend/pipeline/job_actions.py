"""What people do to a job after it was accepted: cancel it, or retry it after a failure."""

from __future__ import annotations

import time
import uuid

from sqlalchemy.orm import Session

from backend.db import audit_repository as audit
from backend.db import druid_tasks_repository, jobs_repository
from backend.db.models import Job
from backend.druid.overlord import OverlordClient, TaskStatus
from backend.errors import ErrorCode, IngestError
from backend.pipeline.operations_intake import refuse_unretractable, refuse_while_rewritten
from backend.pipeline.registry import live_datasource
from backend.vocabulary import TERMINAL_STATES, Actor, JobKind, JobState


def _job(session: Session, job_id: uuid.UUID) -> Job:
    job = jobs_repository.get_job(session, job_id, for_update=True)
    if job is None:
        raise IngestError(ErrorCode.not_found, f"No job with id {job_id}.", {"job_id": str(job_id)})
    return job


# How long a cancel waits for Druid to confirm that a shut-down task ended (usually a second or two).
SHUTDOWN_CONFIRM_S = 15.0
_CONFIRM_POLL_S = 0.25


def cancel_job(session: Session, job_id: uuid.UUID, overlord: OverlordClient, actor: Actor) -> Job:
    """End a job that has not finished; a job whose Druid task runs also has the task shut down.

    A cancelled job must have no rows in Druid, so a job whose task already succeeded (its rows are published and
    only the receipt is pending) can no longer be cancelled: 409. A task shared with other jobs is shut down all
    the same (index_parallel publishes nothing until its end): the worker following it sends the other members
    again in a new task, so their rows land and the cancelled job's never do.
    """
    job = _job(session, job_id)
    if job.state in TERMINAL_STATES:
        raise IngestError(
            ErrorCode.conflict, f"The job already ended ({job.state}); only an unfinished job can be cancelled.",
            {"state": job.state},
        )
    task_id = job.druid_task_id
    event = "Cancelled on request"
    if task_id:
        # Shut the task down first: if the Overlord cannot be reached the job stays as it was, and the caller can
        # try again, rather than a cancelled job whose rows still land.
        _refuse_if_succeeded(overlord.task_status(task_id), job)
        overlord.shutdown_task(task_id)
        ended = _wait_for_end(overlord, task_id)
        _refuse_if_succeeded(ended, job)  # it finished between the look and the shutdown
        if ended is not None and not ended.is_complete:
            # Still running (publishing, say): it might yet succeed, and a cancelled job must have no rows.
            raise IngestError(
                ErrorCode.conflict,
                f"Druid was asked to shut task {task_id} down but has not confirmed it ended within "
                f"{SHUTDOWN_CONFIRM_S:.0f} s; the job is unchanged. Cancel again in a moment.",
                {"state": job.state, "druid_task_id": task_id, "druid_status": ended.status},
            )
        event += f"; Druid task {task_id} shut down" + (f" (it ended {ended.status})" if ended else "")
        sharing = len(druid_tasks_repository.members(session, task_id)) - 1
        if sharing:
            # Nothing of a shut-down task is published; the jobs that shared it are sent again without this one.
            event += f"; the {sharing} other job{'s' if sharing != 1 else ''} that shared it are submitted again"
    moved = jobs_repository.transition(
        session, job_id, JobState.cancelled, event,
        details={"druid_task_id": task_id, "previous_state": job.state},
        code=ErrorCode.cancelled.value, message="Cancelled on request.",
    )
    if not moved:
        raise IngestError(ErrorCode.conflict, "The job changed state while being cancelled; look again.")
    audit.add(session, actor, "job.cancel", str(job_id), details={"datasource": job.datasource,
                                                                  "druid_task_id": task_id})
    session.refresh(job)
    return job


def _refuse_if_succeeded(status: TaskStatus | None, job: Job) -> None:
    if status is not None and status.status == "SUCCESS":
        raise IngestError(
            ErrorCode.conflict,
            f"The job's Druid task {status.task_id} already succeeded: its rows are in Druid, so the job can no "
            "longer be cancelled. It ends once Druid SQL returns its rows.",
            {"state": job.state, "druid_task_id": status.task_id, "druid_status": status.status},
        )


def _wait_for_end(overlord: OverlordClient, task_id: str) -> TaskStatus | None:
    deadline = time.monotonic() + SHUTDOWN_CONFIRM_S
    while True:
        status = overlord.task_status(task_id)
        if status is None or status.is_complete or time.monotonic() > deadline:
            return status
        time.sleep(_CONFIRM_POLL_S)


def retry_job(session: Session, job_id: uuid.UUID, actor: Actor) -> Job:
    """Queue a failed job again as a new attempt, from the upload already stored (no second upload).

    The attempt number is part of the Druid task id, so the new attempt never collides with the old task.
    """
    job = _job(session, job_id)
    if job.state != JobState.failed:
        raise IngestError(
            ErrorCode.conflict, f"Only a failed job can be retried; this one is {job.state}.", {"state": job.state}
        )
    live_datasource(session, job.datasource)  # a deleted datasource takes no more data, retries included
    attempt = job.attempt + 1
    if job.kind is not JobKind.ingest:
        return _retry_operation(session, job, attempt, actor)
    moved = jobs_repository.transition(
        session, job_id, JobState.queued, f"Retry requested: attempt {attempt} starts from the stored upload",
        details={"attempt": attempt, "previous_code": job.code, "previous_task": job.druid_task_id},
        attempt=attempt, code=None, message=None, progress=0, druid_task_id=None, druid_row_stats=None,
        druid_rows=None, staged_keys=None, finished_at=None, lease_owner=None, lease_expires_at=None,
        druid_solo=False, ready_at=None,
    )
    if not moved:
        raise IngestError(ErrorCode.conflict, "The job changed state while being retried; look again.")
    audit.add(session, actor, "job.retry", str(job_id), details={"datasource": job.datasource, "attempt": attempt})
    session.refresh(job)
    return job


def _retry_operation(session: Session, job: Job, attempt: int, actor: Actor) -> Job:
    """A compaction or retraction has nothing to validate: its next attempt waits for a Druid slot at once, and
    measures the period again before it submits. The checks of a new request apply again (another operation may
    have started meanwhile, or the rows have been retracted by another job)."""
    live_datasource(session, job.datasource, for_update=True)
    refuse_while_rewritten(session, job.datasource, replaces_too=job.kind is JobKind.retraction, retrying=job.id)
    if job.kind is JobKind.retraction and job.target_job_id is not None:
        target = jobs_repository.get_job(session, job.target_job_id, for_update=True)
        if target is not None:
            refuse_unretractable(session, target, retrying=job.id)
    moved = jobs_repository.transition(
        session, job.id, JobState.submitting, f"Retry requested: attempt {attempt} waits for a Druid slot",
        details={"attempt": attempt, "previous_code": job.code, "previous_task": job.druid_task_id},
        attempt=attempt, code=None, message=None, progress=0, druid_task_id=None, druid_row_stats=None,
        finished_at=None, lease_owner=None, lease_expires_at=None,
    )
    if not moved:
        raise IngestError(ErrorCode.conflict, "The job changed state while being retried; look again.")
    audit.add(session, actor, "job.retry", str(job.id), details={"datasource": job.datasource, "attempt": attempt})
    session.refresh(job)
    return job
