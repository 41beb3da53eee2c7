"""Users, API keys, grants and signing in: every change written with its audit event in one transaction.

Whether the caller may do any of this is decided by the route's declared permission (backend.api.access), never
here; the Actor passed in is only recorded."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from backend.db import api_keys_repository as keys_repo
from backend.db import audit_repository as audit
from backend.db import datasources_repository as datasources_repo
from backend.db import login_limiter_repository as limiter
from backend.db import users_repository as users_repo
from backend.db import web_sessions_repository as sessions_repo
from backend.db.models import ApiKey, AuditEvent, User
from backend.db.session import session_scope
from backend.errors import ErrorCode, IngestError
from backend.pipeline.registry import live_datasource, unknown_datasource
from backend.security.api_keys import new_key
from backend.security.passwords import hash_password, password_problem, verify_password
from backend.vocabulary import Actor, Role, Via

USERNAME_RULE = "1-64 characters: lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def invalid(field: str, message: str) -> IngestError:
    return IngestError(ErrorCode.invalid_field, message,
                       {"fields": [field], "problems": [{"path": field, "message": message}]})


def _check_username(username: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise invalid("username", f"A username has {USERNAME_RULE}.")


def _check_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise invalid("password", problem)


def _user(session: Session, username: str, *, for_update: bool = False) -> User:
    user = users_repo.by_username(session, username, for_update=for_update)
    if user is None:
        raise IngestError(ErrorCode.not_found, f"No user named `{username[:64]}`.", {"username": username[:64]})
    return user


# --- users ---------------------------------------------------------------------------------------------------------

def create_user(actor: Actor, username: str, password: str | None, display_name: str = "",
                is_admin: bool = False) -> User:
    _check_username(username)
    if password is not None:
        _check_password(password)
    hashed = hash_password(password) if password is not None else None  # slow on purpose: outside the transaction
    with session_scope() as session:
        if users_repo.by_username(session, username) is not None:
            raise IngestError(ErrorCode.user_exists, f"A user named `{username}` already exists.",
                              {"username": username})
        user = users_repo.add(session, username, display_name, hashed, is_admin)
        audit.add(session, actor, "user.create", username, details={"is_admin": is_admin})
        return user


@dataclass(frozen=True)
class UserChange:
    display_name: str | None = None
    password: str | None = None
    active: bool | None = None
    is_admin: bool | None = None


def update_user(actor: Actor, username: str, change: UserChange) -> User:
    if change.password is not None:
        _check_password(change.password)
    hashed = hash_password(change.password) if change.password is not None else None
    with session_scope() as session:
        user = _user(session, username, for_update=True)
        if (change.active is False or change.is_admin is False) and user.is_admin and user.active:
            _keep_an_admin(session, username)
        changed: list[str] = []
        if change.display_name is not None and change.display_name != user.display_name:
            user.display_name, changed = change.display_name, [*changed, "display_name"]
        if hashed is not None:
            user.password_hash, changed = hashed, [*changed, "password"]
        if change.active is not None and change.active != user.active:
            user.active, changed = change.active, [*changed, "active"]
        if change.is_admin is not None and change.is_admin != user.is_admin:
            user.is_admin, changed = change.is_admin, [*changed, "is_admin"]
        if hashed is not None or change.active is False:
            sessions_repo.revoke_all_of(session, user.id)  # a reset password or a deactivation signs them out
        audit.add(session, actor, "user.update", username,
                  details={"changed": changed, **({"active": user.active} if "active" in changed else {}),
                           **({"is_admin": user.is_admin} if "is_admin" in changed else {})})
        return user


def delete_user(actor: Actor, username: str) -> None:
    with session_scope() as session:
        user = _user(session, username, for_update=True)
        if user.is_admin and user.active:
            _keep_an_admin(session, username)
        session.delete(user)  # keys, sessions and grants go with it (ON DELETE CASCADE)
        audit.add(session, actor, "user.delete", username)


def _keep_an_admin(session: Session, username: str) -> None:
    if users_repo.active_admins(session) <= 1:
        raise IngestError(ErrorCode.conflict,
                          f"`{username}` is the only active admin: make another user admin first.",
                          {"username": username})


def list_users() -> list[tuple[User, dict[str, Role]]]:
    with session_scope() as session:
        return [(user, users_repo.grants_of(session, user.id)) for user in users_repo.list_users(session)]


def user_with_grants(username: str) -> tuple[User, dict[str, Role]]:
    with session_scope() as session:
        user = _user(session, username)
        return user, users_repo.grants_of(session, user.id)


def ensure_admin(username: str, password: str) -> bool:
    """Creates an admin when no active admin exists (first start of a container); whether it did."""
    with session_scope() as session:
        if users_repo.active_admins(session) > 0:
            return False
    create_user(Actor("bootstrap", None), username, password, "Administrator", is_admin=True)
    return True


# --- grants --------------------------------------------------------------------------------------------------------

def put_grant(actor: Actor, datasource: str, username: str, role: Role) -> Role | None:
    with session_scope() as session:
        live_datasource(session, datasource)
        user = _user(session, username)
        before = users_repo.put_grant(session, user.id, datasource, role, actor.username or "")
        audit.add(session, actor, "grant.put", f"{datasource}/{username}",
                  details={"role": role.value, "before": before.value if before else None})
        return before


def delete_grant(actor: Actor, datasource: str, username: str) -> None:
    with session_scope() as session:
        user = _user(session, username)
        before = users_repo.delete_grant(session, user.id, datasource)
        if before is None:
            raise IngestError(ErrorCode.not_found, f"`{username}` has no grant on `{datasource[:128]}`.",
                              {"username": username, "datasource": datasource[:128]})
        audit.add(session, actor, "grant.delete", f"{datasource}/{username}", details={"before": before.value})


def grants_on(datasource: str) -> list[tuple[str, Role]]:
    """Readable for a deleted datasource too: its history, who had a role included, stays."""
    with session_scope() as session:
        if datasources_repo.get_datasource(session, datasource) is None:
            raise unknown_datasource(session, datasource)
        return users_repo.grants_on(session, datasource)


# --- API keys ------------------------------------------------------------------------------------------------------

def create_key(actor: Actor, owner_id: uuid.UUID, name: str, scopes: list[str],
               expires_at: datetime | None) -> tuple[ApiKey, str]:
    """The key and its secret (shown once: only its digest is kept)."""
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise invalid("expires_at", "The expiry must be in the future.")
    made = new_key()
    with session_scope() as session:
        key = keys_repo.add(session, owner_id, made.prefix, made.digest, name, sorted(set(scopes)), expires_at)
        audit.add(session, actor, "key.create", made.prefix, details={"name": name, "scopes": key.scopes})
        return key, made.secret


def list_keys(owner_id: uuid.UUID | None) -> list[tuple[ApiKey, str]]:
    with session_scope() as session:
        return keys_repo.list_keys(session, owner_id)


def find_key(key_id: uuid.UUID) -> ApiKey | None:
    with session_scope() as session:
        return keys_repo.by_id(session, key_id)


def revoke_key(actor: Actor, key_id: uuid.UUID) -> None:
    with session_scope() as session:
        key = keys_repo.by_id(session, key_id)
        if key is None:
            raise IngestError(ErrorCode.not_found, f"No API key with id {key_id}.", {"key_id": str(key_id)})
        keys_repo.revoke(session, key_id)
        audit.add(session, actor, "key.revoke", key.prefix, details={"name": key.name})


# --- signing in ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignedIn:
    user: User
    session_id: uuid.UUID


@dataclass(frozen=True)
class Locked:
    """A sign-in refused unchecked: its username or address is locked out for `seconds` more."""
    seconds: float


def _subjects(username: str, address: str | None) -> list[str]:
    return [f"user:{username[:100]}", *([f"addr:{address}"] if address else [])]


@dataclass(frozen=True)
class LoginPolicy:
    """How sign-ins are limited: `max_failures` within `window_s` for one username lock it out for `lockout_s`,
    and so do ADDRESS_FACTOR times as many from one client address (an office behind one address holds many
    users); a sign-in lasts at most `session_max_s` however active."""

    max_failures: int = 10
    window_s: float = 900.0
    lockout_s: float = 900.0
    session_max_s: float = 12 * 3600.0

    ADDRESS_FACTOR = 5


def locked_for(username: str, address: str | None) -> float:
    """Seconds the sign-in of this username or from this address stays refused (0: not locked)."""
    with session_scope() as session:
        until = limiter.locked_until(session, _subjects(username, address))
    return max(0.0, (until - datetime.now(UTC)).total_seconds()) if until else 0.0


def sign_in(policy: LoginPolicy, username: str, password: str, actor: Actor) -> SignedIn | Locked | int:
    """A new web session; Locked while the username or the address is locked out (the password is not even
    checked); or the username's recent failures (for the caller to slow down and refuse with 401). Sign-ins of the
    same username or address run one at a time, so a burst of concurrent guesses is counted guess by guess."""
    subjects = _subjects(username, actor.client_address)
    with session_scope() as session:
        limiter.serialize(session, subjects)
        until = limiter.locked_until(session, subjects)
        if until is not None:
            return Locked(max(0.0, (until - datetime.now(UTC)).total_seconds()))
        user = users_repo.by_username(session, username)
        ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
        if not ok or user is None:
            failures = limiter.record_failure(session, subjects[0], policy.max_failures, policy.window_s,
                                              policy.lockout_s)
            if actor.client_address:
                limiter.record_failure(session, f"addr:{actor.client_address}",
                                       policy.max_failures * policy.ADDRESS_FACTOR, policy.window_s, policy.lockout_s)
            audit.add(session, Actor(username[:64], Via.password, actor.client_address, actor.request_id),
                      "auth.login", username[:64], "refused", 401, {"failures": failures})
            return failures
        limiter.clear(session, subjects[0])
        users_repo.mark_login(session, user.id)
        row = sessions_repo.add(session, user.id, policy.session_max_s)
        audit.add(session, Actor(user.username, Via.password, actor.client_address, actor.request_id),
                  "auth.login", user.username, status_code=200)
        return SignedIn(user, row.id)


def sign_out(actor: Actor, session_id: uuid.UUID | None) -> None:
    with session_scope() as session:
        if session_id is not None:
            sessions_repo.revoke(session, session_id)
        audit.add(session, actor, "auth.logout", actor.username)


def record_refusal(actor: Actor, action: str, target: str | None, status_code: int, outcome: str,
                   details: dict[str, object] | None = None) -> None:
    """An audit event for a request that changed nothing (refused, or failed): in a transaction of its own."""
    with session_scope() as session:
        audit.add(session, actor, action, target, outcome, status_code, dict(details or {}))


def audit_events(where: audit.AuditFilter, limit: int, before_id: int | None) -> tuple[int, list[AuditEvent]]:
    with session_scope() as session:
        return audit.list_events(session, where, limit, before_id)
