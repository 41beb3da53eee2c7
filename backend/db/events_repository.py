"""A job's step history: one row per state change and per note (a warning, a retry, a takeover)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.db.models import JobEvent
from backend.vocabulary import JobState


def storable(value: Any) -> Any:
    """`value` with every NUL written as the text `\x00`: PostgreSQL's text and JSONB refuse NUL, and a message
    quoting a client's bytes or a service's answer must not make an event (or a job's ending) unrecordable."""
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def add_event(
    session: Session, job_id: uuid.UUID, state: JobState, message: str, details: dict[str, Any] | None = None,
    *, at: datetime | None = None,
) -> None:
    """`at`: when it happened, for an event recorded late (by default, now)."""
    values: dict[str, Any] = {"job_id": job_id, "state": state, "message": storable(message),
                              "details": storable(details or {})}
    if at is not None:
        values["at"] = at
    session.execute(insert(JobEvent).values(**values))


def add_events(session: Session, job_ids: Sequence[uuid.UUID], state: JobState, message: str,
               details: dict[str, Any] | None = None) -> None:
    """The same line in many jobs' histories, in one statement."""
    if job_ids:
        session.execute(insert(JobEvent), [
            {"job_id": job_id, "state": state, "message": storable(message), "details": storable(details or {})}
            for job_id in job_ids])


def state_at(session: Session, job_id: uuid.UUID, at: datetime) -> JobState | None:
    """The state the job's history says it was in at `at` (its latest event then), or None before its first."""
    return session.scalar(select(JobEvent.state).where(JobEvent.job_id == job_id, JobEvent.at <= at)
                          .order_by(JobEvent.at.desc(), JobEvent.id.desc()).limit(1))
