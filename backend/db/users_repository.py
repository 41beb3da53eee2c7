"""Users and their per-datasource grants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from backend.db.models import Grant, User
from backend.vocabulary import Role


def by_username(session: Session, username: str, *, for_update: bool = False) -> User | None:
    query = select(User).where(User.username == username)
    return session.scalar(query.with_for_update() if for_update else query)


def by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def by_sso_subject(session: Session, subject: str) -> User | None:
    return session.scalar(select(User).where(User.sso_subject == subject))


def add(session: Session, username: str, display_name: str, password_hash: str | None, is_admin: bool) -> User:
    user = User(id=uuid.uuid4(), username=username, display_name=display_name, password_hash=password_hash,
                is_admin=is_admin, active=True)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def active_admins(session: Session) -> int:
    """Counted under a transaction-level lock that every change able to remove an admin takes first: two such changes
    at once (deactivating admins A and B) would otherwise each count the other and leave none."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('users:active-admins', 0))"))
    return session.scalar(select(func.count()).where(User.is_admin, User.active)) or 0


def mark_login(session: Session, user_id: uuid.UUID) -> None:
    session.execute(update(User).where(User.id == user_id).values(last_login_at=datetime.now(UTC)))


def grants_of(session: Session, user_id: uuid.UUID) -> dict[str, Role]:
    rows = session.execute(select(Grant.datasource, Grant.role).where(Grant.user_id == user_id))
    return {datasource: role for datasource, role in rows}


def grants_on(session: Session, datasource: str) -> list[tuple[str, Role]]:
    rows = session.execute(
        select(User.username, Grant.role).join(User, User.id == Grant.user_id)
        .where(Grant.datasource == datasource).order_by(User.username)
    )
    return [(username, role) for username, role in rows]


def put_grant(session: Session, user_id: uuid.UUID, datasource: str, role: Role, granted_by: str) -> Role | None:
    """Sets the user's role on the datasource; the role it had before (None: none)."""
    before = session.scalar(select(Grant.role).where(Grant.user_id == user_id, Grant.datasource == datasource))
    session.execute(
        pg_insert(Grant).values(user_id=user_id, datasource=datasource, role=role, granted_by=granted_by)
        .on_conflict_do_update(index_elements=[Grant.user_id, Grant.datasource],
                               set_={"role": role, "granted_by": granted_by, "granted_at": func.now()})
    )
    return before


def delete_grant(session: Session, user_id: uuid.UUID, datasource: str) -> Role | None:
    return session.scalar(
        delete(Grant).where(Grant.user_id == user_id, Grant.datasource == datasource).returning(Grant.role)
    )
