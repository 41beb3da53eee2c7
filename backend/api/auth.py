"""Signing in and out (the web page's cookie session) and who the caller is."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from backend.api.access.actor import actor_of, already_audited, audit_target, client_address
from backend.api.access.cookies import clear_session_cookies, csrf_for, set_session_cookies
from backend.api.access.permissions import PUBLIC, SIGNED_IN, requires
from backend.api.access.principal import Principal
from backend.api.access_schemas import LoginIn, Me
from backend.api.deps import SettingsDep
from backend.api.schemas import ErrorBody
from backend.errors import ErrorCode, IngestError
from backend.pipeline import accounts
from backend.settings import Settings
from backend.vocabulary import Role, Via

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_REFUSALS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 422, 429)}
# Each failed sign-in answers a little later than the one before (up to this), so guessing is slow even before
# the lockout.
_MAX_SLOWING_S = 2.0


def policy_of(settings: Settings) -> accounts.LoginPolicy:
    return accounts.LoginPolicy(settings.login_max_failures, settings.login_window_s, settings.login_lockout_s,
                                settings.session_max_s)


def _locked(seconds: float) -> IngestError:
    wait = max(1, round(seconds))
    return IngestError(ErrorCode.too_many_attempts,
                       f"Too many failed sign-ins for this username or from this address: try again in {wait} s.",
                       {"retry_after_s": wait})


@router.post("/login", response_model=Me, responses=_REFUSALS,
             summary="Sign in with username and password: sets the page's session cookie")
async def login(request: Request, response: Response, settings: SettingsDep, body: LoginIn,
                caller: Principal | None = requires(PUBLIC, action="auth.login")) -> Me:
    actor = actor_of(request, None)
    audit_target(request, body.username)
    address = client_address(request)
    locked = await run_in_threadpool(accounts.locked_for, body.username, address)
    if locked > 0:
        raise _locked(locked)  # audited by the audit trail as a refused auth.login
    outcome = await run_in_threadpool(accounts.sign_in, policy_of(settings), body.username, body.password, actor)
    if isinstance(outcome, accounts.Locked):  # locked by a concurrent failure since the check above
        raise _locked(outcome.seconds)
    if isinstance(outcome, int):
        already_audited(request)  # sign_in recorded the failure with its count
        await asyncio.sleep(min(_MAX_SLOWING_S, 0.1 * outcome))
        locked = await run_in_threadpool(accounts.locked_for, body.username, address)
        if locked > 0:
            raise _locked(locked)
        raise IngestError(ErrorCode.not_authenticated, "Wrong username or password.")
    set_session_cookies(response, settings, outcome.session_id, outcome.user.id)
    user, grants = await run_in_threadpool(accounts.user_with_grants, outcome.user.username)
    return Me(username=user.username, display_name=user.display_name, via=Via.session.value, is_admin=user.is_admin,
              grants=grants, scopes=None, csrf_token=csrf_for(settings, outcome.session_id))


@router.post("/logout", status_code=204, responses={401: {"model": ErrorBody}},
             summary="Sign out: the session ends at once (its cookie is cleared)")
async def logout(request: Request, response: Response,
                 caller: Principal | None = requires(SIGNED_IN, action="auth.logout")) -> Response:
    if caller is not None:
        await run_in_threadpool(accounts.sign_out, actor_of(request, caller), caller.session_id)
    answer = Response(status_code=204)
    clear_session_cookies(answer)
    return answer


@router.get("/me", response_model=Me, responses={401: {"model": ErrorBody}},
            summary="The caller: user, admin or not, role per datasource (after an API key's scopes)")
async def me(settings: SettingsDep, caller: Principal | None = requires(SIGNED_IN)) -> Me:
    if caller is None:  # access control is off: everyone may do everything
        return Me(username="anonymous", display_name="", via="none", is_admin=True, grants={}, scopes=None,
                  csrf_token=None)
    display_name = ""
    grants: dict[str, Role] = {}
    if caller.user_id is not None:
        user, _ = await run_in_threadpool(accounts.user_with_grants, caller.username)
        display_name = user.display_name
    for datasource in caller.grants:
        role = caller.role_on(datasource)
        if role is not None:
            grants[datasource] = role
    return Me(username=caller.username, display_name=display_name, via=caller.via.value,
              is_admin=caller.acts_as_admin, grants=grants,
              scopes=sorted(caller.scopes) if caller.scopes is not None else None,
              csrf_token=csrf_for(settings, caller.session_id) if caller.via == Via.session else None)
