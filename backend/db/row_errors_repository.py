"""The capped sample of a job's row-level errors (the full report is a CSV in S3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from backend.db.models import JobError


def replace_errors(session: Session, job_id: uuid.UUID, rows: Iterable[dict[str, Any]]) -> None:
    """Store the sample (a resumed validation replaces, never duplicates, it)."""
    session.execute(delete(JobError).where(JobError.job_id == job_id))
    batch = [{"job_id": job_id, **row} for row in rows]
    if batch:
        session.execute(insert(JobError), batch)


def replace_errors_of_many(session: Session, samples: dict[uuid.UUID, list[dict[str, Any]]]) -> None:
    """`replace_errors` for many jobs in two statements."""
    if not samples:
        return
    session.execute(delete(JobError).where(JobError.job_id.in_(list(samples))))
    batch = [{"job_id": job_id, **row} for job_id, rows in samples.items() for row in rows]
    if batch:
        session.execute(insert(JobError), batch)


def list_errors(session: Session, job_id: uuid.UUID, limit: int, offset: int) -> Sequence[JobError]:
    return session.scalars(
        select(JobError)
        .where(JobError.job_id == job_id)
        .order_by(JobError.row_number, JobError.id)
        .limit(limit)
        .offset(offset)
    ).all()
