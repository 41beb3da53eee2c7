"""Audit events for state-changing requests that changed nothing: refused (401, 403, 404, 409, 422, 429) or failed
(5xx). A request that succeeds is audited by its service in the change's own transaction; one answered with an
error rolled back, so it is recorded here afterwards, in a transaction of its own, with the action its route
declares (backend.api.access.permissions.requires) and the caller the guard found (if any)."""

from __future__ import annotations

import logging
import re

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.access.principal import Principal
from backend.logging_setup import current_request_id
from backend.pipeline.accounts import record_refusal
from backend.vocabulary import Actor

log = logging.getLogger("backend.api")
_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# POSTs that change nothing (a dry run, an inference from a sample): refusing them is not an event. Whole paths, so a
# user or a grant named `infer` is still audited.
_READ_ONLY_POSTS = re.compile(r"/api/v1/datasources/(infer|[^/]+/schemas/check)")


class AuditTrailMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in _MUTATING
                or (scope["method"] == "POST" and _READ_ONLY_POSTS.fullmatch(scope["path"]))):
            await self.app(scope, receive, send)
            return
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if status >= 400:
                await self._record(scope, status)

    @staticmethod
    async def _record(scope: Scope, status: int) -> None:
        state = scope.get("state") or {}
        if state.get("audited"):
            return  # the route recorded it (a refused sign-in)
        if "audit_action" not in state and "principal" not in state:
            return  # no route took it (an unknown path): nothing was attempted, and strangers cannot fill the log
        principal = state.get("principal")
        client = scope.get("client")
        address = client[0] if client else None
        actor = (principal.actor(address, current_request_id.get()) if isinstance(principal, Principal)
                 else Actor(None, None, address, current_request_id.get()))
        action = state.get("audit_action") or f"{scope['method']} {scope['path'][:200]}"
        outcome = "failed" if status >= 500 else "refused"
        try:
            await run_in_threadpool(record_refusal, actor, action, state.get("audit_target"), status, outcome)
        except Exception:  # PostgreSQL down: the answer already went out, and the log says why
            log.exception("could not record a refused request in the audit log")
