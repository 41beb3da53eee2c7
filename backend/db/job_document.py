"""GET /api/v1/jobs/{id}'s JSON document, rendered by PostgreSQL in one statement over an async connection.

The status endpoint is what every client polls (the web page every second, scripts in loops), often while a
worker and Druid keep the same machine's cores busy. Building the document in the database (job, options and
step history with `json_build_object`/`json_agg`) leaves the API process one round trip and no object mapping,
validation or serialization per request: the bytes go out as PostgreSQL wrote them. The document has exactly
the fields and types of `backend.api.schemas.JobDetail`, which tests/integration/api/test_api_surface.py checks
against the model built the ordinary way.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

# What an operation keeps for itself (the segments a compaction replaces, to see them go), not shown to clients.
INTERNAL_OPERATION_KEY = "segment_ids_before"
# Instants as RFC 3339 in UTC with a `Z`, whatever the session's time zone.
_ISO = "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

_JOB_DOCUMENT_SQL = f"""
SELECT json_build_object(
    'job_id', j.id, 'kind', j.kind, 'state', j.state, 'code', j.code, 'message', j.message,
    'datasource', j.datasource, 'schema_version', j.schema_version, 'filename', j.filename, 'format', j.format,
    'size_bytes', j.size_bytes, 'sha256', j.sha256, 'priority', j.priority,
    'options', json_build_object('on_invalid', j.on_invalid, 'mode', j.mode),
    'rows_total', j.rows_total, 'rows_valid', j.rows_valid, 'rows_invalid', j.rows_invalid,
    'progress', j.progress, 'druid_task_id', j.druid_task_id, 'druid_row_stats', j.druid_row_stats,
    'druid_rows', j.druid_rows, 'attempt', j.attempt,
    'created_at', {_ISO.format(column="j.created_at")}, 'updated_at', {_ISO.format(column="j.updated_at")},
    'finished_at', {_ISO.format(column="j.finished_at")},
    'retraction_of', j.target_job_id, 'retracted_by', j.retracted_by,
    'operation', j.operation - '{INTERNAL_OPERATION_KEY}',
    'events', COALESCE(
        (SELECT json_agg(json_build_object(
                    'state', e.state, 'at', {_ISO.format(column="e.at")}, 'message', e.message,
                    'details', COALESCE(e.details, '{{}}'::jsonb))
                ORDER BY e.id)
         FROM job_events e WHERE e.job_id = j.id),
        '[]'::json)
)::text
FROM jobs j WHERE j.id = %s
"""
_DIRECT_CONNECT_TIMEOUT_S = 3
_DIRECT_READS = asyncio.Semaphore(2)


async def fetch_job_document(pool: AsyncConnectionPool, job_id: uuid.UUID) -> bytes | None:
    """The job's JSON document (UTF-8), or None when there is no such job.

    After PostgreSQL restarted, the pool's idle connections are dead, and while it was down the pool backed off
    from reconnecting: for a while it has nothing good to hand out. Checking every connection before use would
    cost this hottest endpoint a round trip each time; instead a failed read has the pool drop its dead
    connections (it refills in the background) and is answered on a connection of its own, so the first read
    after PostgreSQL is back succeeds. While PostgreSQL is down that connection is refused at once: 503.
    """
    try:
        row = await _fetch(pool, job_id)
    except (psycopg.OperationalError, PoolTimeout):
        await pool.check()
        conninfo = pool.conninfo
        assert isinstance(conninfo, str), "backend.db.async_pool makes pools from a connection string"
        # At most a couple at a time: a saturated or slow database must not get a storm of extra connections.
        async with _DIRECT_READS, await psycopg.AsyncConnection.connect(
            conninfo, autocommit=True, connect_timeout=_DIRECT_CONNECT_TIMEOUT_S
        ) as connection:
            row = await _fetch_on(connection, job_id)
    if row is None:
        return None
    document: str = row[0]
    return document.encode()


async def _fetch(pool: AsyncConnectionPool, job_id: uuid.UUID) -> tuple[str] | None:
    async with pool.connection() as connection:
        return await _fetch_on(connection, job_id)


async def _fetch_on(connection: psycopg.AsyncConnection[Any], job_id: uuid.UUID) -> tuple[str] | None:
    cursor = await connection.execute(_JOB_DOCUMENT_SQL, (job_id,), prepare=True)
    row: tuple[str] | None = await cursor.fetchone()
    return row
