"""What the storage janitor removed, and which jobs exist (an object no job holds is an orphan)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from backend.db.models import Job, StorageSweep

_JANITOR_LOCK = 0x6A616E69  # "jani": one sweep at a time across workers


def try_lock_janitor(session: Session) -> bool:
    """True if this transaction may sweep now (no other process is sweeping); held until it ends."""
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _JANITOR_LOCK}))


def existing_job_ids(session: Session, job_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = list(set(job_ids))
    if not wanted:
        return set()
    return set(session.scalars(select(Job.id).where(Job.id.in_(wanted))))


def record_removed(session: Session, kind: str, keys: Iterable[str]) -> None:
    rows = [{"kind": kind, "key": key} for key in keys]
    if rows:
        session.execute(insert(StorageSweep), rows)


def removed_by_kind(session: Session) -> dict[str, int]:
    return {kind: int(n) for kind, n in session.execute(
        select(StorageSweep.kind, func.count()).group_by(StorageSweep.kind))}
