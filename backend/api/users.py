"""Users (admins only): create, list, change (display name, password reset, deactivate, admin), delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from starlette.concurrency import run_in_threadpool

from backend.api.access.actor import actor_of, audit_target
from backend.api.access.permissions import ADMIN, requires
from backend.api.access.principal import Principal
from backend.api.access_schemas import UserIn, UserList, UserOut, UserPatch
from backend.api.schemas import ErrorBody
from backend.db.models import User
from backend.pipeline import accounts
from backend.vocabulary import Role

router = APIRouter(prefix="/api/v1/users", tags=["users"])
UsernameParam = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422)}


def render_user(user: User, grants: dict[str, Role]) -> UserOut:
    return UserOut(username=user.username, display_name=user.display_name, is_admin=user.is_admin,
                   active=user.active, grants=grants, created_at=user.created_at, last_login_at=user.last_login_at)


@router.get("", response_model=UserList, responses=_ERRORS, summary="Every user with their grants")
async def list_users(caller: Principal | None = requires(ADMIN)) -> UserList:
    rows = await run_in_threadpool(accounts.list_users)
    return UserList(items=[render_user(user, grants) for user, grants in rows])


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS,
             summary="Create a user (a password of 12+ characters, or none for single sign-on only)")
async def create_user(request: Request, body: UserIn,
                      caller: Principal | None = requires(ADMIN, action="user.create")) -> UserOut:
    audit_target(request, body.username)
    user = await run_in_threadpool(accounts.create_user, actor_of(request, caller), body.username, body.password,
                                   body.display_name, body.is_admin)
    return render_user(user, {})


@router.patch("/{username}", response_model=UserOut, responses=_ERRORS,
              summary="Change a user: display name, a new password (signs them out), active, admin")
async def patch_user(request: Request, username: UsernameParam, body: UserPatch,
                     caller: Principal | None = requires(ADMIN, action="user.update")) -> UserOut:
    change = accounts.UserChange(body.display_name, body.password, body.active, body.is_admin)
    await run_in_threadpool(accounts.update_user, actor_of(request, caller), username, change)
    user, grants = await run_in_threadpool(accounts.user_with_grants, username)
    return render_user(user, grants)


@router.delete("/{username}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS,
               summary="Delete a user with their keys, sessions and grants (not the last active admin)")
async def delete_user(request: Request, username: UsernameParam,
                      caller: Principal | None = requires(ADMIN, action="user.delete")) -> Response:
    await run_in_threadpool(accounts.delete_user, actor_of(request, caller), username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
