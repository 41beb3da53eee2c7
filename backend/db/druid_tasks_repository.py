"""Druid tasks and the jobs they carry: which staged jobs wait for a task, giving a group of them one task id (a
Druid slot), the members of a task, and taking over the tasks of a worker that died.

A task is not a row of its own: its members are the jobs whose `druid_task_id` names it, given to all of them in
one statement, so a task's membership is never half-written. Slots are decided under one advisory lock held for
the whole round, so any number of workers agree on the limit and on who goes first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from backend.db.events_repository import add_event
from backend.db.jobs_repository import lease_until
from backend.db.models import Job
from backend.vocabulary import JobState, Mode, Priority

_SLOT_LOCK = 0x64726569  # any constant shared by every worker: "drei"
_IN_DRUID = or_(Job.state == JobState.indexing,
                and_(Job.state == JobState.submitting, Job.druid_task_id.is_not(None)))
_UNHELD = or_(Job.lease_owner.is_(None), Job.lease_expires_at < func.now())


@dataclass(frozen=True)
class ReadyJob:
    """A staged job waiting for a Druid task."""

    id: uuid.UUID
    attempt: int
    datasource: str
    schema_version: int
    staged_format: str | None
    mode: Mode
    solo: bool
    rows: int
    priority: Priority
    created_at: datetime
    waited_s: float  # since it was staged


@dataclass(frozen=True)
class SubmitRound:
    """What the submitter sees under the lock: the free slots, the waiting jobs, and the datasources that still
    have jobs on their way (being validated), whose staged jobs are worth holding back for the window."""

    running: int  # Druid tasks that hold a slot now
    free_slots: int
    spacing_wait_s: float  # > 0: submissions are spaced apart and the next may go only after this long
    ready: list[ReadyJob]
    datasources_validating: frozenset[str]
    datasources_in_druid: frozenset[str]  # a task of theirs runs: the next one waits (and gathers more jobs)


def lock_submissions(session: Session) -> bool:
    """Take the submitter's lock for this transaction; False when another worker's submitter holds it."""
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _SLOT_LOCK}))


def submit_round(session: Session, *, max_running: int, min_interval_s: float, limit: int) -> SubmitRound | None:
    """What the submitter needs to decide, or None when no staged job waits (one cheap statement when idle)."""
    waited = func.extract("epoch", func.now() - func.coalesce(Job.ready_at, Job.updated_at))
    ready_query = (
        select(Job.id, Job.attempt, Job.datasource, Job.schema_version, Job.staged_format, Job.mode, Job.druid_solo,
               Job.rows_valid, Job.priority, Job.created_at, waited)
        .where(Job.state == JobState.submitting, Job.druid_task_id.is_(None), _UNHELD)
        .order_by(Job.priority.desc(), Job.created_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Job)
    )
    if not session.execute(ready_query).first():
        return None
    running = session.scalar(select(func.count(func.distinct(Job.druid_task_id))).where(_IN_DRUID)) or 0
    spacing = 0.0
    if min_interval_s > 0:
        since = session.scalar(select(func.extract("epoch", func.now() - func.max(Job.druid_submitted_at))))
        if since is not None and float(since) < min_interval_s:
            spacing = min_interval_s - float(since)
    # On their way: being validated, or staged but not yet let go by the worker that validated them.
    validating = session.scalars(
        select(Job.datasource).distinct()
        .where(or_(Job.state.in_([JobState.queued, JobState.validating, JobState.staging]),
                   and_(Job.state == JobState.submitting, Job.druid_task_id.is_(None), ~_UNHELD)))
    ).all()
    # Read after the jobs on their way, each statement with its own snapshot (READ COMMITTED): a job let go between
    # the two is among the ready ones then. Read before them, it fell between both (neither on its way nor ready)
    # and a group left without it, seen in CI.
    rows = session.execute(ready_query).all()
    in_druid = session.scalars(select(Job.datasource).distinct().where(_IN_DRUID)).all()
    ready = [ReadyJob(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), int(r[7] or 0), r[8], r[9], float(r[10] or 0))
             for r in rows]
    return SubmitRound(running, max(0, max_running - running), spacing, ready, frozenset(validating),
                       frozenset(in_druid))


def assign_task(
    session: Session, task_id: str, job_ids: Sequence[uuid.UUID], worker_id: str, lease_seconds: float
) -> list[uuid.UUID]:
    """Give the jobs one Druid task id (a slot) and this worker's lease; the ids that were still waiting."""
    until = lease_until(session, lease_seconds)
    return list(session.scalars(
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.state == JobState.submitting, Job.druid_task_id.is_(None))
        .values(druid_task_id=task_id, druid_submitted_at=func.now(), lease_owner=worker_id,
                lease_expires_at=until)
        .returning(Job.id)
    ).all())


def members(session: Session, task_id: str) -> list[Job]:
    """Every job that names the task, in any state."""
    return list(session.scalars(select(Job).where(Job.druid_task_id == task_id).order_by(Job.created_at, Job.id)))


def settled_members(session: Session, task_id: str) -> list[Job]:
    """`members`, once no transaction still changes them: a cancel holds its job's row while it shuts the task
    down, so the worker that sees the task end reads that job as cancelled, not as a member of a task that failed
    on its own. Rows are share-locked in id order (like every batch that writes them)."""
    locked = session.scalars(select(Job).where(Job.druid_task_id == task_id).order_by(Job.id)
                             .with_for_update(read=True)).all()
    return sorted(locked, key=lambda job: (job.created_at, job.id))


def claim_orphaned_task(session: Session, worker_id: str, lease_seconds: float) -> str | None:
    """Take over the unfinished members of one Druid task whose worker let go (or died): all of them at once, so
    that a task is followed by one worker."""
    task_id = session.scalar(
        select(Job.druid_task_id).where(_IN_DRUID, _UNHELD)
        .order_by(Job.priority.desc(), Job.druid_submitted_at).limit(1)
        .with_for_update(skip_locked=True)
    )
    if task_id is None:
        return None
    until = lease_until(session, lease_seconds)
    previous = session.execute(
        select(Job.id, Job.state, Job.lease_owner).where(Job.druid_task_id == task_id, _IN_DRUID, _UNHELD)
        .with_for_update()
    ).all()
    session.execute(
        update(Job).where(Job.id.in_([row[0] for row in previous]))
        .values(lease_owner=worker_id, lease_expires_at=until)
    )
    for job_id, state, owner in previous:
        if owner is not None:
            add_event(session, job_id, state,
                      "Another worker took the job over: the previous worker's lease expired",
                      {"previous_worker": owner, "worker": worker_id, "druid_task_id": task_id})
    return task_id


def extend_leases(
    session: Session, job_ids: Sequence[uuid.UUID], worker_id: str, lease_seconds: float
) -> set[uuid.UUID]:
    """One heartbeat for every job this worker holds; returns the ids it still holds."""
    if not job_ids:
        return set()
    until = lease_until(session, lease_seconds)
    # Rows locked in id order, as every batch of state changes locks them (jobs_repository.transition_many): a
    # heartbeat over hundreds of jobs must not deadlock with a batch recording their outcomes.
    held = select(Job.id).where(Job.id.in_(list(job_ids)), Job.lease_owner == worker_id).order_by(Job.id)
    return set(session.scalars(
        update(Job).where(Job.id.in_(held.with_for_update().scalar_subquery()))
        .values(lease_expires_at=until).returning(Job.id)
    ).all())


def extend_task_leases(
    session: Session, task_ids: Sequence[str], worker_id: str, lease_seconds: float
) -> set[str]:
    """The heartbeat of the Druid tasks this worker follows: every member it holds; returns the tasks of which it
    still holds at least one member."""
    if not task_ids:
        return set()
    until = lease_until(session, lease_seconds)
    held = (select(Job.id).where(Job.druid_task_id.in_(list(task_ids)), Job.lease_owner == worker_id)
            .order_by(Job.id).with_for_update())
    return {task for task in session.scalars(
        update(Job).where(Job.id.in_(held.scalar_subquery()))
        .values(lease_expires_at=until).returning(Job.druid_task_id)
    ).all() if task is not None}


def release_all(session: Session, job_ids: Sequence[uuid.UUID], worker_id: str) -> None:
    if job_ids:
        session.execute(update(Job).where(Job.id.in_(list(job_ids)), Job.lease_owner == worker_id)
                        .values(lease_owner=None, lease_expires_at=None))
