"""Queries on jobs: intake, the queue (claim, lease, heartbeat) and state changes. Every state change is guarded
in SQL and recorded as an event in the same transaction: an UPDATE that matches nothing means someone else moved
the job, and nothing is recorded."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from backend.db.events_repository import add_event, storable
from backend.db.models import InlineBody, Job, JobEvent
from backend.vocabulary import TERMINAL_STATES, JobKind, JobState, Mode, allowed_sources


def add_job(session: Session, job: Job, message: str, details: dict[str, Any]) -> None:
    """Insert a new job together with its first event."""
    session.add(job)
    session.flush()
    add_event(session, job.id, job.state, message, details)


def get_job(session: Session, job_id: uuid.UUID, *, for_update: bool = False) -> Job | None:
    return session.get(Job, job_id, with_for_update=for_update)


def list_jobs(
    session: Session, *, state: JobState | None, datasource: str | None, limit: int, offset: int,
    readable: frozenset[str] | None = None, kind: JobKind | None = None,
) -> tuple[int, Sequence[Job]]:
    """`readable`: only jobs of these datasources (the caller's); None: every job."""
    query = select(Job)
    if readable is not None:
        query = query.where(Job.datasource.in_(sorted(readable)))
    if state:
        query = query.where(Job.state == state)
    if kind:
        query = query.where(Job.kind == kind)
    if datasource:
        query = query.where(Job.datasource == datasource)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)).all()
    return total, rows


def find_by_sha256(session: Session, datasource: str, sha256: str) -> Job | None:
    """The earliest job that holds these bytes for this datasource and did not fail, get cancelled or retracted."""
    return session.scalars(
        select(Job)
        .where(Job.datasource == datasource, Job.sha256 == sha256, Job.kind == JobKind.ingest,
               Job.state.not_in([JobState.failed, JobState.cancelled]), Job.retracted_by.is_(None))
        .order_by(Job.created_at)
        .limit(1)
    ).first()


def unfinished_rewrite(session: Session, datasource: str, *, replaces_too: bool,
                       exclude: uuid.UUID | None = None) -> Job | None:
    """The oldest unfinished job that rewrites periods of the datasource: an operation (compaction, retraction)
    and, with `replaces_too`, a replace upload. None when there is none."""
    rewrites = (Job.kind != JobKind.ingest) | (Job.mode == Mode.REPLACE) if replaces_too else Job.kind != JobKind.ingest
    query = select(Job).where(Job.datasource == datasource, Job.state.not_in(sorted(TERMINAL_STATES)), rewrites)
    if exclude is not None:
        query = query.where(Job.id != exclude)
    return session.scalars(query.order_by(Job.created_at).limit(1)).first()


def pending_retraction(session: Session, target: uuid.UUID) -> Job | None:
    """A retraction of `target` that has not ended, or succeeded (failed and cancelled ones leave the rows)."""
    return session.scalars(
        select(Job).where(Job.target_job_id == target, Job.kind == JobKind.retraction,
                          Job.state.not_in([JobState.failed, JobState.cancelled, JobState.rejected]))
        .order_by(Job.created_at).limit(1)).first()


def mark_retracted(session: Session, job_id: uuid.UUID, by: uuid.UUID) -> None:
    """Record on an ingest job the retraction that removed its rows (with an event in its history)."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        return
    job.retracted_by = by
    job.updated_at = func.now()
    add_event(session, job_id, job.state, f"Retracted by job {by}: its rows are no longer in Druid",
              {"retracted_by": str(by)})


def transition(
    session: Session,
    job_id: uuid.UUID,
    target: JobState,
    event: str,
    *,
    details: dict[str, Any] | None = None,
    lease_owner: str | None = None,
    **fields: Any,
) -> bool:
    """Move a job to `target` if it is in a state that allows it (and, for a worker, still holds its lease),
    recording `event` in its history. `fields` are other columns to set (including the job's own `message`).

    Returns False, changing nothing, when the guard fails.
    """
    guard = [Job.id == job_id, Job.state.in_(sorted(allowed_sources(target)))]
    if lease_owner is not None:
        guard.append(Job.lease_owner == lease_owner)
    values: dict[str, Any] = {"state": target, "updated_at": func.now(), **fields}
    if isinstance(values.get("message"), str):
        values["message"] = storable(values["message"])
    if target in TERMINAL_STATES:
        values.update(finished_at=func.now(), lease_owner=None, lease_expires_at=None)
    if target == JobState.submitting:
        values.setdefault("ready_at", func.now())  # the wait for a Druid task (and the coalescing window) starts
    if target == JobState.indexing:
        # The task was really submitted now (its slot was taken earlier): submissions are spaced from here.
        values.setdefault("druid_submitted_at", func.now())
    result = session.execute(update(Job).where(*guard).values(**values).returning(Job.id))
    if result.first() is None:
        return False
    add_event(session, job_id, target, event, details)
    return True


@dataclass
class Move:
    """One job's part of `transition_many`: its event and the columns it sets (every Move of one call sets the
    same columns)."""

    job_id: uuid.UUID
    event: str
    details: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


def transition_many(session: Session, moves: Sequence[Move], target: JobState, *, lease_owner: str) -> set[uuid.UUID]:
    """`transition` for many jobs in a few statements whatever their number (a batch of records posts, the
    members of a shared Druid task): the guard locks the movable rows in id order (so two such batches, or a
    batch and a heartbeat, never deadlock), one executemany moves them, one INSERT records their events.

    Returns the ids moved; the others were moved by someone else (or lost) and nothing is recorded for them."""
    if not moves:
        return set()
    movable = set(session.scalars(
        select(Job.id).where(Job.id.in_([move.job_id for move in moves]),
                             Job.state.in_(sorted(allowed_sources(target))), Job.lease_owner == lease_owner)
        .order_by(Job.id).with_for_update()
    ).all())
    moving = sorted((move for move in moves if move.job_id in movable), key=lambda move: move.job_id)
    if not moving:
        return set()
    columns = set(moving[0].fields)
    if any(set(move.fields) != columns for move in moving):
        raise ValueError("every Move of one transition_many sets the same columns")
    values: dict[str, Any] = {"state": target, "updated_at": func.now(),
                              **{name: bindparam(f"v_{name}") for name in sorted(columns)}}
    if target in TERMINAL_STATES:
        values.update(finished_at=func.now(), lease_owner=None, lease_expires_at=None)
    if target == JobState.submitting and "ready_at" not in columns:
        values["ready_at"] = func.now()
    if target == JobState.indexing and "druid_submitted_at" not in columns:
        values["druid_submitted_at"] = func.now()
    table = Job.__table__
    assert isinstance(table, Table)
    session.connection().execute(
        update(table).where(table.c.id == bindparam("m_id")).values(**values),
        [{"m_id": move.job_id, **{f"v_{name}": _storable_field(name, value) for name, value in move.fields.items()}}
         for move in moving],
    )
    session.execute(insert(JobEvent), [
        {"job_id": move.job_id, "state": target, "message": storable(move.event), "details": storable(move.details)}
        for move in moving
    ])
    return {move.job_id for move in moving}


def _storable_field(name: str, value: Any) -> Any:
    return storable(value) if name == "message" and isinstance(value, str) else value


def update_fields(session: Session, job_id: uuid.UUID, lease_owner: str, **fields: Any) -> bool:
    """Update columns of a job this worker holds (progress, row counts)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == lease_owner)
        .values(updated_at=func.now(), **fields)
        .returning(Job.id)
    )
    return result.first() is not None


def update_many_fields(session: Session, job_ids: Sequence[uuid.UUID], lease_owner: str, **fields: Any
                       ) -> set[uuid.UUID]:
    """`update_fields` with the same values for many jobs (rows locked in id order); returns those updated."""
    if not job_ids:
        return set()
    held = (select(Job.id).where(Job.id.in_(list(job_ids)), Job.lease_owner == lease_owner)
            .order_by(Job.id).with_for_update())
    return set(session.scalars(
        update(Job).where(Job.id.in_(held.scalar_subquery())).values(updated_at=func.now(), **fields)
        .returning(Job.id)).all())


# The states a worker drives a job through on its own (reading, validating, staging). From `submitting` on, a
# job waits for and then rides a Druid task, which backend.db.druid_tasks_repository hands out and takes over.
CPU_STATES = (JobState.queued, JobState.validating, JobState.staging)


def claim_next(session: Session, worker_id: str, lease_seconds: float) -> Job | None:
    """Claim the most urgent job to validate that nobody holds: by priority, then age. Skips rows other workers
    lock."""
    candidate = session.scalars(
        select(Job)
        .where(
            Job.state.in_(CPU_STATES),
            (Job.lease_owner.is_(None)) | (Job.lease_expires_at < func.now()),
        )
        .order_by(Job.priority.desc(), Job.created_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if candidate is None:
        return None
    taken_over_from = candidate.lease_owner
    candidate.lease_owner = worker_id
    candidate.lease_expires_at = lease_until(session, lease_seconds)
    session.flush()
    if taken_over_from is not None:
        add_event(
            session,
            candidate.id,
            candidate.state,
            # The worker ids are in the details, for operators; the message says what happened in words.
            "Another worker took the job over: the previous worker's lease expired",
            {"previous_worker": taken_over_from, "worker": worker_id},
        )
    return candidate


def claim_records_batch(session: Session, first: Job, worker_id: str, lease_seconds: float, limit: int) -> list[Job]:
    """With `first` (just claimed) when it is a queued records post kept in PostgreSQL: up to `limit` - 1 more such
    jobs of its datasource and schema version, claimed too, in queue order; their records are validated together
    (backend.pipeline.record_batch). Otherwise just `first`."""
    if first.state != JobState.queued or session.get(InlineBody, first.id) is None:
        return [first]
    others = list(session.scalars(
        select(Job)
        .join(InlineBody, InlineBody.job_id == Job.id)
        .where(Job.state == JobState.queued, Job.id != first.id, Job.datasource == first.datasource,
               Job.schema_version == first.schema_version,
               (Job.lease_owner.is_(None)) | (Job.lease_expires_at < func.now()))
        .order_by(Job.priority.desc(), Job.created_at, Job.id)
        .limit(limit - 1)
        .with_for_update(skip_locked=True, of=Job)
    ))
    until = lease_until(session, lease_seconds)
    for job in others:
        job.lease_owner, job.lease_expires_at = worker_id, until
    session.flush()
    return [first, *others]


def lease_until(session: Session, lease_seconds: float) -> datetime:
    # The database clock decides leases, so workers on hosts with skewed clocks still agree.
    value = session.scalar(text("SELECT now() + make_interval(secs => :s)"), {"s": lease_seconds})
    assert isinstance(value, datetime)
    return value
