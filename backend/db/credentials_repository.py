"""Who is calling: the rows behind an API key or a web session, with the user's grants, in one statement over the
API's async pool (authentication runs on every request, the polled status endpoint included)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

_GRANTS = ("COALESCE((SELECT json_object_agg(g.datasource, g.role) FROM grants g WHERE g.user_id = u.id), "
           "'{}'::json)::text")

_KEY_SQL = f"""
SELECT k.id, k.digest, k.scopes, k.expires_at, k.revoked_at, k.last_used_at,
       u.id, u.username, u.is_admin, u.active, {_GRANTS}
FROM api_keys k JOIN users u ON u.id = k.owner_id WHERE k.prefix = %s
"""
_SESSION_SQL = f"""
SELECT s.expires_at, s.revoked_at, u.id, u.username, u.is_admin, u.active, {_GRANTS}
FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = %s
"""
_USER_SQL = f"SELECT u.id, u.username, u.is_admin, u.active, {_GRANTS} FROM users u WHERE u.username = %s"
# Written at most once a minute per key: a key used in a loop must not turn every request into a write.
_TOUCH_KEY_SQL = ("UPDATE api_keys SET last_used_at = now() WHERE id = %s "
                  "AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')")
_JOB_DATASOURCE_SQL = "SELECT datasource FROM jobs WHERE id = %s"


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    username: str
    is_admin: bool
    active: bool
    grants: dict[str, str]


@dataclass(frozen=True)
class KeyRow:
    id: uuid.UUID
    digest: str
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    owner: UserRow


@dataclass(frozen=True)
class SessionRow:
    expires_at: datetime
    revoked_at: datetime | None
    user: UserRow


def _user(row: tuple[Any, ...]) -> UserRow:
    return UserRow(row[0], row[1], row[2], row[3], json.loads(row[4]))


async def key_by_prefix(pool: AsyncConnectionPool, prefix: str) -> KeyRow | None:
    async with pool.connection() as connection:
        cursor = await connection.execute(_KEY_SQL, (prefix,), prepare=True)
        row = await cursor.fetchone()
    if row is None:
        return None
    return KeyRow(row[0], row[1], list(row[2]), row[3], row[4], row[5], _user(row[6:]))


async def touch_key(pool: AsyncConnectionPool, key_id: uuid.UUID) -> None:
    async with pool.connection() as connection:
        await connection.execute(_TOUCH_KEY_SQL, (key_id,), prepare=True)


async def session_by_id(pool: AsyncConnectionPool, session_id: uuid.UUID) -> SessionRow | None:
    async with pool.connection() as connection:
        cursor = await connection.execute(_SESSION_SQL, (session_id,), prepare=True)
        row = await cursor.fetchone()
    return None if row is None else SessionRow(row[0], row[1], _user(row[2:]))


async def user_by_username(pool: AsyncConnectionPool, username: str) -> UserRow | None:
    async with pool.connection() as connection:
        cursor = await connection.execute(_USER_SQL, (username,), prepare=True)
        row = await cursor.fetchone()
    return None if row is None else _user(row)


async def job_datasource(pool: AsyncConnectionPool, job_id: uuid.UUID) -> str | None:
    async with pool.connection() as connection:
        cursor = await connection.execute(_JOB_DATASOURCE_SQL, (job_id,), prepare=True)
        row = await cursor.fetchone()
    return None if row is None else str(row[0])
