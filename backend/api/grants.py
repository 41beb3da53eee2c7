"""Who may do what on one datasource: a role (read, upload, manage) per user, set by an admin or the datasource's
managers."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from starlette.concurrency import run_in_threadpool

from backend.api.access.actor import actor_of
from backend.api.access.permissions import on_datasource, requires
from backend.api.access.principal import Principal
from backend.api.access_schemas import GrantIn, GrantList, GrantOut
from backend.api.datasources import NameParam
from backend.api.schemas import ErrorBody
from backend.api.users import UsernameParam
from backend.pipeline import accounts
from backend.vocabulary import Role

router = APIRouter(prefix="/api/v1/datasources", tags=["grants"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 422)}
# A deleted datasource takes no new grants (409); who had a role on it stays readable.
_PUT_ERRORS: dict[int | str, dict[str, object]] = {**_ERRORS, 409: {"model": ErrorBody}}


@router.get("/{name}/grants", response_model=GrantList, responses=_ERRORS,
            summary="The users with a role on the datasource")
async def list_grants(name: NameParam, caller: Principal | None = requires(on_datasource(Role.manage))) -> GrantList:
    rows = await run_in_threadpool(accounts.grants_on, name)
    return GrantList(items=[GrantOut(datasource=name, username=username, role=role) for username, role in rows])


@router.put("/{name}/grants/{username}", response_model=GrantOut, responses=_PUT_ERRORS,
            summary="Give a user a role on the datasource (replacing the one they had)")
async def put_grant(request: Request, name: NameParam, username: UsernameParam, body: GrantIn,
                    caller: Principal | None = requires(on_datasource(Role.manage), action="grant.put")) -> GrantOut:
    await run_in_threadpool(accounts.put_grant, actor_of(request, caller), name, username, body.role)
    return GrantOut(datasource=name, username=username, role=body.role)


@router.delete("/{name}/grants/{username}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS,
               summary="Take a user's role on the datasource away")
async def delete_grant(request: Request, name: NameParam, username: UsernameParam,
                       caller: Principal | None = requires(on_datasource(Role.manage), action="grant.delete")
                       ) -> Response:
    await run_in_threadpool(accounts.delete_grant, actor_of(request, caller), name, username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
