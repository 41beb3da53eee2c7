"""The audit log: append-only (a trigger refuses UPDATE and DELETE), written in the transaction of the change it
records, so a change that rolled back leaves no row claiming it happened."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from backend.db.events_repository import storable
from backend.db.models import AuditEvent
from backend.vocabulary import Actor


def add(
    session: Session, actor: Actor, action: str, target: str | None, outcome: str = "ok",
    status_code: int | None = None, details: dict[str, Any] | None = None,
) -> None:
    session.execute(insert(AuditEvent).values(
        actor=actor.username, via=actor.via.value if actor.via else None, action=action,
        target=storable(target[:300]) if target else None, outcome=outcome, status_code=status_code,
        client_address=audit_address(actor.client_address), request_id=actor.request_id,
        details=storable(details or {}),
    ))


def audit_address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None  # a unix socket or a test client's made-up host: not an address


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(
    session: Session, where: AuditFilter, limit: int, before_id: int | None
) -> tuple[int, list[AuditEvent]]:
    """Newest first; `before_id` pages back from an event."""
    query = select(AuditEvent)
    if where.actor is not None:
        query = query.where(AuditEvent.actor == where.actor)
    if where.action is not None:
        query = query.where(AuditEvent.action == where.action)
    if where.outcome is not None:
        query = query.where(AuditEvent.outcome == where.outcome)
    if where.target is not None:
        query = query.where(AuditEvent.target == where.target)
    if where.since is not None:
        query = query.where(AuditEvent.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.at < where.until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit))
    return total, list(rows)
