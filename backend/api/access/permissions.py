"""The permission each route needs, declared once on the route (`caller: Caller = requires(...)` among its
parameters) and checked here, before the route runs. tests/unit/test_route_permissions.py walks the app's routes:
one without a declaration fails it, and the access matrix test derives every expected answer from these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import Depends, Request, Response

from backend.api.access.authenticate import authenticate, check_csrf, not_authenticated
from backend.api.access.cookies import renew_if_half_spent
from backend.api.access.principal import METRICS_SCOPE, Principal
from backend.db import credentials_repository as credentials
from backend.errors import ErrorCode, IngestError
from backend.settings import get_settings
from backend.vocabulary import Role


class Scope(StrEnum):
    public = "public"  # anyone, signed in or not
    signed_in = "signed_in"  # any caller who proved who they are (listings show only what they may read)
    admin = "admin"
    metrics = "metrics"  # an API key with the metrics scope (or anyone with INGEST_METRICS_PUBLIC=true)
    datasource = "datasource"  # `role` on the datasource named by the path parameter `param`
    job = "job"  # `role` on the datasource of the job named by the path parameter `param`
    upload_form = "upload_form"  # `role` on the datasource named in the form: checked by the route once it is read


@dataclass(frozen=True)
class Need:
    scope: Scope
    role: Role | None = None
    param: str | None = None

    def describe(self) -> str:
        if self.scope in (Scope.datasource, Scope.job, Scope.upload_form):
            return f"{self.role} on the datasource"
        return str(self.scope)


PUBLIC = Need(Scope.public)
SIGNED_IN = Need(Scope.signed_in)
ADMIN = Need(Scope.admin)
METRICS = Need(Scope.metrics)


def on_datasource(role: Role, param: str = "name") -> Need:
    return Need(Scope.datasource, role, param)


def on_job(role: Role, param: str = "job_id") -> Need:
    return Need(Scope.job, role, param)


def on_form_datasource(role: Role) -> Need:
    return Need(Scope.upload_form, role)


def forbidden(need: str, datasource: str | None = None) -> IngestError:
    where = f" on datasource `{datasource}`" if datasource else ""
    return IngestError(ErrorCode.forbidden, f"This needs the `{need}` permission{where}, which you do not have.",
                       {"permission": need, **({"datasource": datasource} if datasource else {})})


def job_not_found(job_id: object) -> IngestError:
    # Word for word the answer for a job that does not exist: a job you may not read is not there for you.
    return IngestError(ErrorCode.not_found, f"No job with id {job_id}.", {"job_id": str(job_id)})


def datasource_not_found(name: str) -> IngestError:
    return IngestError(ErrorCode.unknown_datasource, f"Unknown datasource `{name[:128]}`.",
                       {"field": "datasource", "datasource": name[:128]})


def check_role(principal: Principal, role: Role, datasource: str) -> None:
    """403 naming the role when the caller may read the datasource but not do this; 404 when it may not even read
    it (its existence is not the caller's business)."""
    if principal.may(role, datasource):
        return
    if principal.may(Role.read, datasource):
        raise forbidden(str(role), datasource)
    raise datasource_not_found(datasource)


async def _guard(need: Need, request: Request) -> Principal | None:
    settings = get_settings()
    if not settings.auth_required:
        return None
    try:
        principal = await authenticate(request, settings)
    except IngestError as error:
        # A stale session cookie (its session ended, or a password reset ended it) must not keep its browser from
        # the public routes, signing in again above all; bad bearer credentials are still refused there.
        bearer = "authorization" in request.headers
        if need.scope != Scope.public or error.code != ErrorCode.not_authenticated or bearer:
            raise
        principal = None
    request.state.principal = principal
    if need.scope == Scope.public:
        return principal
    if need.scope == Scope.metrics and settings.metrics_public:
        return principal
    if principal is None:
        raise not_authenticated("Sign in, or send `Authorization: Bearer <API key>`.")
    check_csrf(request, settings, principal)
    if need.scope == Scope.admin and not principal.acts_as_admin:
        raise forbidden("admin")
    if need.scope == Scope.metrics and not (principal.acts_as_admin or METRICS_SCOPE in (principal.scopes or ())):
        raise forbidden("metrics")
    if need.scope == Scope.datasource:
        assert need.role is not None and need.param is not None
        check_role(principal, need.role, str(request.path_params[need.param]))
    if need.scope == Scope.job:
        assert need.role is not None and need.param is not None
        await _check_job(request, principal, need.role, str(request.path_params[need.param]))
    return principal


async def _check_job(request: Request, principal: Principal, role: Role, raw_id: str) -> None:
    try:
        job_id = uuid.UUID(raw_id)
    except ValueError:
        return  # the route's own parameter check answers 422
    datasource = await credentials.job_datasource(request.app.state.status_pool, job_id)
    if datasource is None or not principal.may(Role.read, datasource):
        raise job_not_found(job_id)
    if not principal.may(role, datasource):
        raise forbidden(str(role), datasource)


def requires(need: Need, action: str | None = None) -> Any:
    """The route's declared permission, as a parameter default: `caller: Caller = requires(on_job(Role.read))`.
    `action` names a state-changing route in the audit log (`job.cancel`): a request it refuses (or that fails)
    is recorded under that name by backend.api.access.audit_trail; one that succeeds, by its service."""

    async def guard(request: Request, response: Response) -> Principal | None:
        request.state.audit_action = action
        request.state.audit_target = _target(need, request)
        principal = await _guard(need, request)
        request.state.guarded = True
        renew_if_half_spent(request, response)
        return principal

    # Read by the route walk test and the access matrix.
    guard.need = need  # type: ignore[attr-defined]
    guard.action = action  # type: ignore[attr-defined]
    return Depends(guard)


def _target(need: Need, request: Request) -> str | None:
    if need.param is not None and need.param in request.path_params:
        return str(request.path_params[need.param])[:300]
    for name in ("job_id", "name", "username", "key_id"):
        if name in request.path_params:
            return str(request.path_params[name])[:300]
    return None


def readable_by(caller: Principal | None) -> frozenset[str] | None:
    """The datasources a listing may show the caller; None: every one (an admin, or access control off)."""
    return None if caller is None else caller.readable()


async def refusal_before_validation(request: Request) -> IngestError | None:
    """FastAPI decodes a JSON body before it runs a route's dependencies, so a malformed body would be answered
    422 before the caller is even asked who they are: the error handlers call this first, and a caller the route's
    guard refuses gets that refusal instead (401, 403, 404), as with any other body."""
    if getattr(request.state, "guarded", False):
        return None
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    for dependency in dependant.dependencies if dependant is not None else ():
        if declared_need(dependency.call) is not None and dependency.call is not None:
            try:
                await dependency.call(request, Response())
            except IngestError as refused:
                return refused
    return None


def declared_need(dependency: Any) -> Need | None:
    need = getattr(dependency, "need", None)
    return need if isinstance(need, Need) else None
