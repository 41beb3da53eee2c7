"""Druid submission limits: at most N jobs hold a Druid task at once, submissions spaced apart, and waiting jobs
released in priority order. Decided in Postgres under one advisory lock, so any number of workers agree."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select, text, update
from sqlalchemy.orm import Session

from backend.db.models import Job
from backend.vocabulary import JobState

_SLOT_LOCK = 0x64726569  # any constant shared by every worker: "drei"


@dataclass(frozen=True)
class SlotDecision:
    """Whether the job got a Druid slot; when it did not, why it has to wait."""

    granted: bool
    wait_reason: str = ""


def try_take_druid_slot(
    session: Session, job_id: uuid.UUID, task_id: str, worker_id: str, *, max_running: int, min_interval_s: float
) -> SlotDecision:
    """Give the job a Druid slot by recording its task id, unless the limits say it has to wait."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SLOT_LOCK})
    holding = session.scalar(
        select(func.count()).where(
            or_(Job.state == JobState.indexing,
                and_(Job.state == JobState.submitting, Job.druid_task_id.is_not(None)))
        )
    ) or 0
    if holding >= max_running:
        return SlotDecision(False, f"{holding} of {max_running} Druid slots are in use")
    if min_interval_s > 0:
        since = session.scalar(select(func.extract("epoch", func.now() - func.max(Job.druid_submitted_at))))
        if since is not None and float(since) < min_interval_s:
            return SlotDecision(False, f"submissions are spaced {min_interval_s:g} s apart")
    job = session.get(Job, job_id)
    if job is None:
        return SlotDecision(False, "the job is gone")
    waiting_before = session.scalar(
        select(
            exists().where(
                Job.state == JobState.submitting,
                Job.druid_task_id.is_(None),
                Job.id != job.id,
                or_(Job.priority > job.priority, and_(Job.priority == job.priority, Job.created_at < job.created_at)),
            )
        )
    )
    if waiting_before:
        return SlotDecision(False, "a job of higher priority (or older, of the same priority) is waiting first")
    taken = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.lease_owner == worker_id, Job.druid_task_id.is_(None))
        .values(druid_task_id=task_id, druid_submitted_at=func.now())
        .returning(Job.id)
    ).first()
    return SlotDecision(True) if taken else SlotDecision(False, "the job is no longer held by this worker")
