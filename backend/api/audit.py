"""The audit log, for admins: every state-changing request and every sign-in, newest first, with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from backend.api.access.permissions import ADMIN, requires
from backend.api.access.principal import Principal
from backend.api.access_schemas import AuditEventOut, AuditList
from backend.api.params import NO_CONTROL_CHARACTERS, RFC3339_ONLY
from backend.api.schemas import ErrorBody
from backend.db.audit_repository import AuditFilter
from backend.pipeline import accounts

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 422)}
_Instant = Annotated[datetime | None, RFC3339_ONLY]
_Text = Annotated[str | None, Query(max_length=300, pattern=NO_CONTROL_CHARACTERS)]


@router.get("", response_model=AuditList, responses=_ERRORS, summary="Audit events, newest first")
async def list_audit(
    actor: _Text = None,
    action: _Text = None,
    target: _Text = None,
    outcome: Annotated[Literal["ok", "refused", "failed"] | None, Query()] = None,
    since: Annotated[_Instant, Query(description="From this instant (inclusive), RFC 3339")] = None,
    until: Annotated[_Instant, Query(description="Before this instant, RFC 3339: 2026-12-01T00:00:00Z")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62, description="Page: events older than this id")] = None,
    caller: Principal | None = requires(ADMIN),
) -> AuditList:
    where = AuditFilter(actor=actor, action=action, outcome=outcome, target=target, since=since, until=until)
    total, events = await run_in_threadpool(accounts.audit_events, where, limit, before_id)
    items = [AuditEventOut(id=e.id, at=e.at, actor=e.actor, via=e.via, action=e.action, target=e.target,
                           outcome=e.outcome, status_code=e.status_code,
                           client_address=str(e.client_address) if e.client_address is not None else None,
                           request_id=e.request_id, details=e.details) for e in events]
    return AuditList(total=total, items=items, next_before_id=items[-1].id if len(items) == limit else None)
