"""The web page's sessions: a row per sign-in, so signing out (or an admin deactivating the user) ends it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.db.models import WebSession


def add(session: Session, user_id: uuid.UUID, lifetime_s: float) -> WebSession:
    row = WebSession(id=uuid.uuid4(), user_id=user_id, expires_at=datetime.now(UTC) + timedelta(seconds=lifetime_s))
    session.add(row)
    session.flush()
    return row


def revoke(session: Session, session_id: uuid.UUID) -> bool:
    result = session.execute(update(WebSession).where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
                             .values(revoked_at=datetime.now(UTC)))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_all_of(session: Session, user_id: uuid.UUID) -> None:
    session.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
                    .values(revoked_at=datetime.now(UTC)))
