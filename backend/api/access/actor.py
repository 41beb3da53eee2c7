"""The Actor the audit log records for a request.

A change that succeeds is audited by its service, in the change's transaction. A mutating request answered with
an error changed nothing (its transaction rolled back) and is audited by backend.api.access.audit_trail in a
transaction of its own, unless its route already recorded it (`already_audited`: a refused sign-in)."""

from __future__ import annotations

from fastapi import Request

from backend.api.access.principal import Principal
from backend.logging_setup import current_request_id
from backend.vocabulary import Actor


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def actor_of(request: Request, caller: Principal | None) -> Actor:
    if caller is None:
        return Actor(None, None, client_address(request), current_request_id.get())
    return caller.actor(client_address(request), current_request_id.get())


def already_audited(request: Request) -> None:
    request.state.audited = True


def audit_target(request: Request, target: str) -> None:
    """What a request that creates something names (its body's name, which the audit trail cannot read): the
    target recorded if the request is refused."""
    request.state.audit_target = target[:300]
