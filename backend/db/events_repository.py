"""A job's step history: one row per state change and per note (a warning, a retry, a takeover)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from backend.db.models import JobEvent
from backend.vocabulary import JobState


def add_event(
    session: Session, job_id: uuid.UUID, state: JobState, message: str, details: dict[str, Any] | None = None,
    *, at: datetime | None = None,
) -> None:
    """`at`: when it happened, for an event recorded late (by default, now)."""
    values: dict[str, Any] = {"job_id": job_id, "state": state, "message": message, "details": details or {}}
    if at is not None:
        values["at"] = at
    session.execute(insert(JobEvent).values(**values))
