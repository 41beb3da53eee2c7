"""API keys: found by their visible prefix, checked against their stored digest by the caller."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.db.models import ApiKey, User


def add(session: Session, owner_id: uuid.UUID, prefix: str, digest: str, name: str, scopes: list[str],
        expires_at: datetime | None) -> ApiKey:
    key = ApiKey(id=uuid.uuid4(), owner_id=owner_id, prefix=prefix, digest=digest, name=name, scopes=scopes,
                 expires_at=expires_at)
    session.add(key)
    session.flush()
    return key


def by_id(session: Session, key_id: uuid.UUID) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def list_keys(session: Session, owner_id: uuid.UUID | None) -> list[tuple[ApiKey, str]]:
    """Keys with their owners' usernames, newest first; of one owner, or everyone's (None)."""
    query = select(ApiKey, User.username).join(User, User.id == ApiKey.owner_id)
    if owner_id is not None:
        query = query.where(ApiKey.owner_id == owner_id)
    return [(key, username) for key, username in session.execute(query.order_by(ApiKey.created_at.desc()))]


def revoke(session: Session, key_id: uuid.UUID) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
                    .values(revoked_at=datetime.now(UTC)))
