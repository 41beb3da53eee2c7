"""The web page's cookies: the session token (HttpOnly, SameSite=Strict) and the anti-forgery token the page
reads and echoes in a header (not HttpOnly, so the page's script can read it)."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

from fastapi import Request, Response

from backend.security.session_tokens import SessionClaims, sign_session
from backend.settings import Settings, get_settings

SESSION_COOKIE = "ingest_session"
CSRF_COOKIE = "ingest_csrf"
CSRF_HEADER = "X-CSRF-Token"


def csrf_for(settings: Settings, session_id: uuid.UUID | None) -> str:
    """Bound to the session, so a cookie planted from elsewhere cannot match."""
    return hmac.new(settings.secret_key.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def set_session_cookies(response: Response, settings: Settings, session_id: uuid.UUID, user_id: uuid.UUID) -> None:
    token = sign_session(settings.secret_key, session_id, user_id, settings.session_token_s)
    secure = settings.env == "production"
    max_age = int(settings.session_token_s)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure,
                        path="/")
    response.set_cookie(CSRF_COOKIE, csrf_for(settings, session_id), max_age=max_age, httponly=False,
                        samesite="strict", secure=secure, path="/")


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def renew_if_half_spent(request: Request, response: Response) -> None:
    """A page in use keeps its session: a token past half its life is replaced by a fresh one (the session row's
    own end, INGEST_SESSION_MAX_S, still holds)."""
    claims: SessionClaims | None = getattr(request.state, "session_claims", None)
    if claims is None:
        return
    settings = get_settings()
    if time.time() - claims.issued_at >= settings.session_token_s / 2:
        set_session_cookies(response, settings, claims.session_id, claims.user_id)
