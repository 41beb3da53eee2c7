"""Credentials to a Principal: `Authorization: Bearer <API key | SSO JWT>`, or the web page's session cookie.

A request without credentials is anonymous (None): public routes serve it, the others answer 401. Credentials that
prove nothing (malformed, unknown, expired, revoked, of a deactivated user) are 401 everywhere, public routes
included, so a client learns at once that its key stopped working. Lookups go over the API's async pool: this runs
on every request, the polled status endpoint included."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from functools import lru_cache

from fastapi import Request
from psycopg_pool import AsyncConnectionPool
from starlette.concurrency import run_in_threadpool

from backend.api.access.cookies import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, csrf_for
from backend.api.access.principal import Principal
from backend.db import credentials_repository as credentials
from backend.errors import ErrorCode, IngestError
from backend.security.api_keys import KEY_MARK, digest_matches, key_prefix
from backend.security.session_tokens import read_session
from backend.security.sso import SsoVerifier, looks_like_jwt
from backend.settings import Settings
from backend.vocabulary import Role, Via


def not_authenticated(message: str) -> IngestError:
    return IngestError(ErrorCode.not_authenticated, message)


async def authenticate(request: Request, settings: Settings) -> Principal | None:
    pool: AsyncConnectionPool = request.app.state.status_pool
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise not_authenticated("The Authorization header must be `Bearer <API key or token>`.")
        if token.startswith(KEY_MARK):
            return await _by_key(pool, token)
        if looks_like_jwt(token) and settings.oidc_issuer:
            return await _by_sso(token, settings)
        raise not_authenticated("The bearer token is neither an API key of this service nor a token of its "
                                "single sign-on issuer.")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await _by_session(request, pool, cookie, settings)
    return None


async def _by_key(pool: AsyncConnectionPool, token: str) -> Principal:
    prefix = key_prefix(token)
    row = await credentials.key_by_prefix(pool, prefix) if prefix else None
    # The digest is compared even when the prefix matched nothing, so the time taken says nothing either way.
    matches = digest_matches(row.digest if row else "0" * 64, token)
    if row is None or not matches:
        raise not_authenticated("Unknown API key.")
    if row.revoked_at is not None:
        raise not_authenticated(f"API key {prefix} was revoked.")
    if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
        raise not_authenticated(f"API key {prefix} expired on {row.expires_at:%Y-%m-%d %H:%M} UTC.")
    if not row.owner.active:
        raise not_authenticated(f"API key {prefix} belongs to a deactivated user.")
    if row.last_used_at is None or (datetime.now(UTC) - row.last_used_at).total_seconds() > 60:
        await credentials.touch_key(pool, row.id)
    owner = row.owner
    return Principal(owner.username, Via.key, owner.id, owner.is_admin, _roles(owner.grants),
                     frozenset(row.scopes), key_id=row.id)


async def _by_session(request: Request, pool: AsyncConnectionPool, cookie: str, settings: Settings) -> Principal:
    claims = read_session(settings.secret_key, cookie)
    if claims is None:
        raise not_authenticated("The session expired or is not valid: sign in again.")
    row = await credentials.session_by_id(pool, claims.session_id)
    if row is None or row.revoked_at is not None or row.expires_at <= datetime.now(UTC) or not row.user.active:
        raise not_authenticated("The session ended: sign in again.")
    request.state.session_claims = claims  # the route's response renews the cookie when it is half spent
    user = row.user
    return Principal(user.username, Via.session, user.id, user.is_admin, _roles(user.grants),
                     session_id=claims.session_id)


async def _by_sso(token: str, settings: Settings) -> Principal:
    identity = await run_in_threadpool(_sso_verifier(settings).verify, token)
    if identity is None:
        raise not_authenticated("The single sign-on token is not valid (signature, issuer, audience or expiry).")
    claimed = identity.claims.get(settings.oidc_roles_claim) or []
    if isinstance(claimed, str):
        claimed = claimed.split()
    is_admin = "admin" in claimed
    grants: dict[str, Role] = {}
    for entry in claimed if isinstance(claimed, list) else []:
        role, _, datasource = str(entry).partition(":")
        if datasource and role in Role.__members__:
            held = grants.get(datasource)
            if held is None or Role(role).rank > held.rank:
                grants[datasource] = Role(role)
    return Principal(identity.username, Via.sso, None, is_admin, grants)


@lru_cache(maxsize=4)
def _sso_verifier_for(issuer: str, audience: str, jwks_url: str | None, username_claim: str) -> SsoVerifier:
    return SsoVerifier(issuer, audience, jwks_url, username_claim)


def _sso_verifier(settings: Settings) -> SsoVerifier:
    return _sso_verifier_for(settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url or None,
                             settings.oidc_username_claim)


def _roles(grants: dict[str, str]) -> dict[str, Role]:
    return {datasource: Role(role) for datasource, role in grants.items()}


def check_csrf(request: Request, settings: Settings, principal: Principal) -> None:
    """A state-changing request authenticated by the session cookie must carry the page's anti-forgery token in a
    header: another site can make the browser send the cookie, but can neither read the token nor set headers."""
    if principal.via != Via.session or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), csrf_for(settings, principal.session_id).encode()):
        raise IngestError(ErrorCode.forbidden,
                          f"Cross-site request refused: a request signed in by cookie must send the {CSRF_HEADER} "
                          f"header (the value of the {CSRF_COOKIE} cookie).",
                          {"permission": "csrf"})
