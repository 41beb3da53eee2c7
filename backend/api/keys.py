"""API keys for programs: your own (admins see and revoke everyone's). The secret is shown once, at creation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status
from starlette.concurrency import run_in_threadpool

from backend.api.access.actor import actor_of, audit_target
from backend.api.access.permissions import SIGNED_IN, requires
from backend.api.access.principal import ADMIN_SCOPE, Principal, scope_problem
from backend.api.access_schemas import KeyCreated, KeyIn, KeyList, KeyOut
from backend.api.schemas import ErrorBody
from backend.db.models import ApiKey
from backend.errors import ErrorCode, IngestError
from backend.pipeline import accounts
from backend.pipeline.accounts import invalid

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422)}


def _render(key: ApiKey, owner: str) -> KeyOut:
    return KeyOut(key_id=key.id, prefix=key.prefix, name=key.name, owner=owner, scopes=list(key.scopes),
                  created_at=key.created_at, expires_at=key.expires_at, last_used_at=key.last_used_at,
                  revoked_at=key.revoked_at)


def _own_user(caller: Principal | None) -> uuid.UUID:
    if caller is None:
        raise IngestError(ErrorCode.conflict, "Access control is off (INGEST_AUTH_REQUIRED=false): there is no user "
                                              "to own a key. Use `druid-ingest keys create --user NAME`.")
    if caller.user_id is None:
        raise IngestError(ErrorCode.forbidden, "API keys belong to users of this service; a single sign-on identity "
                                               "without a user cannot own one.", {"permission": "user"})
    return caller.user_id


@router.get("", response_model=KeyList, responses=_ERRORS, summary="Your API keys (an admin: everyone's)")
async def list_keys(caller: Principal | None = requires(SIGNED_IN)) -> KeyList:
    if caller is not None and caller.user_id is None and not caller.acts_as_admin:
        return KeyList(items=[])  # a single sign-on identity without a user owns no key
    owner = None if caller is None or caller.acts_as_admin else _own_user(caller)
    rows = await run_in_threadpool(accounts.list_keys, owner)
    return KeyList(items=[_render(key, username) for key, username in rows])


@router.post("", response_model=KeyCreated, status_code=status.HTTP_201_CREATED, responses=_ERRORS,
             summary="Create an API key for yourself; its secret is in this answer only")
async def create_key(request: Request, body: KeyIn,
                     caller: Principal | None = requires(SIGNED_IN, action="key.create")) -> KeyCreated:
    audit_target(request, body.name)
    for index, scope in enumerate(body.scopes):
        problem = scope_problem(scope)
        if problem:
            raise invalid(f"scopes[{index}]", problem)
    if ADMIN_SCOPE in body.scopes and caller is not None and not caller.acts_as_admin:
        raise IngestError(ErrorCode.forbidden, "Only an admin may create a key with the `admin` scope.",
                          {"permission": "admin"})
    if caller is not None and caller.scopes is not None and not caller.acts_as_admin:
        # A key may not mint a key with more than it has.
        wider = sorted(set(body.scopes) - caller.scopes)
        if wider:
            raise IngestError(ErrorCode.forbidden, f"This key may not create a key with scopes it lacks: {wider}.",
                              {"permission": "scopes"})
    if caller is not None and caller.key_id is not None:
        # Nor one that outlives it: a leaked key that expires must not leave a copy that never does.
        parent = await run_in_threadpool(accounts.find_key, caller.key_id)
        if parent is not None and parent.expires_at is not None and (
                body.expires_at is None or body.expires_at > parent.expires_at):
            raise IngestError(ErrorCode.forbidden,
                              f"This key expires at {parent.expires_at:%Y-%m-%d %H:%M:%S} UTC: a key it creates must "
                              "expire no later (set expires_at).", {"permission": "expires_at"})
    key, secret = await run_in_threadpool(accounts.create_key, actor_of(request, caller), _own_user(caller),
                                          body.name, body.scopes, body.expires_at)
    return KeyCreated(**_render(key, caller.username if caller else "").model_dump(), secret=secret)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS,
               summary="Revoke a key at once (yours; an admin: anyone's)")
async def revoke_key(request: Request, key_id: uuid.UUID,
                     caller: Principal | None = requires(SIGNED_IN, action="key.revoke")) -> Response:
    key = await run_in_threadpool(accounts.find_key, key_id)
    # Another user's key is not there for you: the same answer as a key that does not exist.
    if key is None or (caller is not None and not caller.acts_as_admin and key.owner_id != caller.user_id):
        raise IngestError(ErrorCode.not_found, f"No API key with id {key_id}.", {"key_id": str(key_id)})
    await run_in_threadpool(accounts.revoke_key, actor_of(request, caller), key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
