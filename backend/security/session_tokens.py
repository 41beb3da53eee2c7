"""The web page's session: a short-lived HS256 JWT in an HttpOnly cookie naming a server-side session row (so
sign-out revokes it at once), renewed while the page is in use."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

_ISSUER = "druid-ingest"
_AUDIENCE = "druid-ingest-session"


@dataclass(frozen=True)
class SessionClaims:
    session_id: uuid.UUID
    user_id: uuid.UUID
    issued_at: float
    expires_at: float


def sign_session(secret: str, session_id: uuid.UUID, user_id: uuid.UUID, ttl_s: float) -> str:
    now = int(time.time())
    claims = {"iss": _ISSUER, "aud": _AUDIENCE, "sub": str(user_id), "sid": str(session_id),
              "iat": now, "exp": now + int(ttl_s)}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_session(secret: str, token: str) -> SessionClaims | None:
    """The claims of a valid, unexpired session token of ours; None for anything else."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=_ISSUER, audience=_AUDIENCE,
                            options={"require": ["exp", "iat", "sub", "sid"]})
        return SessionClaims(uuid.UUID(claims["sid"]), uuid.UUID(claims["sub"]), float(claims["iat"]),
                             float(claims["exp"]))
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None
