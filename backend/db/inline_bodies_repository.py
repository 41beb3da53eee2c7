"""Records bodies kept with their job: a small records post is stored in PostgreSQL, in the transaction that records
its job, instead of as an object in S3 (backend.pipeline.intake); the worker reads it back
(backend.pipeline.raw_input). The row goes with its job (ON DELETE CASCADE)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.db.audit_repository import audit_address
from backend.db.events_repository import storable
from backend.db.models import InlineBody
from backend.vocabulary import Actor, JobState, Mode, OnInvalid, Priority


def add_inline_body(session: Session, job_id: uuid.UUID, body: bytes) -> None:
    """Keep `body` as the job's raw input (the job row must be flushed in this transaction first)."""
    session.execute(insert(InlineBody).values(job_id=job_id, body=body))


def inline_bodies(session: Session, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, bytes]:
    """The bodies kept for these jobs (those kept in S3 are absent)."""
    rows = session.execute(select(InlineBody.job_id, InlineBody.body).where(InlineBody.job_id.in_(job_ids))).all()
    return {job_id: bytes(body) for job_id, body in rows}


def inline_body(session: Session, job_id: uuid.UUID) -> bytes | None:
    """The job's raw input if it is kept in PostgreSQL; None when it is an object in S3."""
    return session.scalar(select(InlineBody.body).where(InlineBody.job_id == job_id))


@dataclass(frozen=True)
class QueuedInlineJob:
    """A queued job whose raw input is `body`, as backend.pipeline.intake records it (the columns of jobs it sets;
    the others keep their defaults, as for a job added through the ORM)."""

    job_id: uuid.UUID
    datasource: str
    schema_version: int | None  # None: the datasource's current version
    filename: str
    format: str
    size_bytes: int
    sha256: str
    raw_key: str
    priority: Priority
    on_invalid: OnInvalid
    mode: Mode
    force: bool  # record it even if the datasource already has a job with these bytes
    body: bytes
    message: str  # of the first event
    details: dict[str, Any]  # of the first event; its schema_version is added
    actor: Actor  # who sent it, for the audit log (written by the same statement)


# One statement, so one round trip and its own transaction on an autocommit connection: the job, its first event
# and its body are inserted only if the datasource exists, is not deleted, has the version asked for, and (unless
# forced) holds no unfinished-or-succeeded job with the same bytes (jobs_repository.find_by_sha256's rule).
# Otherwise nothing is inserted and the caller takes the ordinary path, which says why.
_INSERT_SQL = f"""
WITH ds AS (
    SELECT name, COALESCE(%(version)s::integer, current_schema_version) AS version
    FROM datasources
    WHERE name = %(datasource)s AND deleted_at IS NULL
      AND (%(version)s::integer IS NULL OR %(version)s::integer BETWEEN 1 AND current_schema_version)
), earlier AS (
    SELECT 1 FROM jobs
    WHERE NOT %(force)s AND datasource = %(datasource)s AND sha256 = %(sha256)s
      AND state NOT IN ('{JobState.failed.value}', '{JobState.cancelled.value}') AND retracted_by IS NULL
    LIMIT 1
), job AS (
    INSERT INTO jobs (id, datasource, schema_version, filename, format, size_bytes, sha256, raw_key, priority,
                      on_invalid, mode, state, attempt, progress)
    SELECT %(job_id)s, ds.name, ds.version, %(filename)s, %(format)s, %(size_bytes)s, %(sha256)s, %(raw_key)s,
           %(priority)s::job_priority, %(on_invalid)s::on_invalid, %(mode)s::ingest_mode,
           '{JobState.queued.value}'::job_state, 1, 0
    FROM ds WHERE NOT EXISTS (SELECT 1 FROM earlier)
    RETURNING id, schema_version
), event AS (
    INSERT INTO job_events (job_id, state, message, details)
    SELECT job.id, '{JobState.queued.value}'::job_state, %(message)s,
           %(details)s::jsonb || jsonb_build_object('schema_version', job.schema_version)
    FROM job
), body AS (
    INSERT INTO inline_bodies (job_id, body) SELECT job.id, %(body)s FROM job
), audit AS (
    INSERT INTO audit_events (actor, via, action, target, outcome, client_address, request_id, details)
    SELECT %(actor)s, %(via)s, 'job.records', job.id::text, 'ok', %(client_address)s::inet, %(request_id)s,
           jsonb_build_object('datasource', %(datasource)s::text, 'size_bytes', %(size_bytes)s::bigint)
    FROM job
)
SELECT schema_version FROM job
"""


async def add_queued_inline_job(pool: AsyncConnectionPool, job: QueuedInlineJob) -> int | None:
    """Insert the job, its first event and its body in one statement; the schema version recorded, or None when
    nothing was inserted (unknown or deleted datasource, a version it does not have, a duplicate)."""
    params = {
        "job_id": job.job_id, "datasource": job.datasource, "version": job.schema_version,
        "filename": job.filename, "format": job.format, "size_bytes": job.size_bytes, "sha256": job.sha256,
        "raw_key": job.raw_key, "priority": job.priority.name, "on_invalid": job.on_invalid.value,
        "mode": job.mode.value, "force": job.force, "body": job.body, "message": storable(job.message),
        "details": Jsonb(storable(job.details)),
        "actor": job.actor.username, "via": job.actor.via.value if job.actor.via else None,
        "client_address": audit_address(job.actor.client_address), "request_id": job.actor.request_id,
    }
    async with pool.connection() as connection:
        cursor = await connection.execute(_INSERT_SQL, params, prepare=True)
        row = await cursor.fetchone()
    return None if row is None else int(row[0])
