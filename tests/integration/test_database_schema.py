"""The job vocabulary in PostgreSQL: enum types holding exactly backend/vocabulary.py's values, and migration 0003
converting rows written before it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from backend.settings import REPO_ROOT, Settings
from backend.vocabulary import JobKind, JobState, Mode, OnInvalid, Priority
from tests.database import ensure_test_database


def _enum_values(conninfo: str, type_name: str) -> list[str]:
    with psycopg.connect(conninfo) as connection:
        rows = connection.execute(
            "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
            "WHERE t.typname = %s ORDER BY e.enumsortorder", (type_name,)
        ).fetchall()
    return [str(label) for (label,) in rows]


def _conninfo(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_enum_types_hold_the_vocabulary(settings: Settings, stack_up: None) -> None:
    conninfo = _conninfo(settings.database_url)
    assert _enum_values(conninfo, "job_state") == [s.value for s in JobState]
    assert _enum_values(conninfo, "on_invalid") == [o.value for o in OnInvalid]
    assert _enum_values(conninfo, "ingest_mode") == [m.value for m in Mode]
    assert _enum_values(conninfo, "job_kind") == [k.value for k in JobKind]
    # Declaration order is sort order: the queue's ORDER BY priority DESC takes HIGH first.
    assert _enum_values(conninfo, "job_priority") == [p.name for p in sorted(Priority)]


def _alembic(database_url: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "alembic", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          env={**os.environ, "INGEST_DATABASE_URL": database_url}, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_migration_0003_converts_existing_rows(settings: Settings, stack_up: None) -> None:
    # A database of its own, taken down to 0002 (text states, integer priorities) and filled as the old code did.
    url = make_url(settings.database_url)
    scratch = url.set(database=f"{url.database.removesuffix('_test')}_migrations_test")  # type: ignore[union-attr]
    scratch_url = scratch.render_as_string(hide_password=False)
    ensure_test_database(Settings(database_url=scratch_url))
    _alembic(scratch_url, "downgrade", "0002")
    conninfo = _conninfo(scratch_url)
    job_ids = [uuid.uuid4(), uuid.uuid4()]
    with psycopg.connect(conninfo) as connection:
        connection.execute("INSERT INTO datasources (name, druid_datasource, current_schema_version) "
                           "VALUES ('old', 'old', 1) ON CONFLICT DO NOTHING")
        for job_id, (state, priority, on_invalid, mode) in zip(
            job_ids, [("failed", 3, "skip", "replace"), ("queued", 1, "reject", "append")], strict=True
        ):
            connection.execute(
                "INSERT INTO jobs (id, datasource, schema_version, filename, size_bytes, sha256, raw_key, priority, "
                "on_invalid, mode, state, attempt, progress) VALUES (%s, 'old', 1, 'f.csv', 1, 'x', 'k', %s, %s, %s, "
                "%s, 1, 0)", (job_id, priority, on_invalid, mode, state))
            connection.execute("INSERT INTO job_events (job_id, state, message, details) VALUES (%s, %s, 'm', '{}')",
                               (job_id, state))
    _alembic(scratch_url, "upgrade", "head")
    with psycopg.connect(conninfo) as connection:
        converted = connection.execute(
            "SELECT j.state::text, j.priority::text, j.on_invalid::text, j.mode::text, e.state::text "
            "FROM jobs j JOIN job_events e ON e.job_id = j.id WHERE j.id = ANY(%s) ORDER BY j.priority DESC",
            (job_ids,)).fetchall()
        queue_index = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_jobs_queue'").fetchone()
        connection.execute("DELETE FROM jobs WHERE id = ANY(%s)", (job_ids,))
    assert converted == [("failed", "HIGH", "skip", "replace", "failed"), ("queued", "LOW", "reject", "append",
                                                                            "queued")]
    assert queue_index is not None and "job_state" in str(queue_index[0])
    with pytest.raises(psycopg.errors.InvalidTextRepresentation), psycopg.connect(conninfo) as connection:
        connection.execute("SELECT 'waiting'::job_state")


def test_the_models_match_the_migrations(settings: Settings, stack_up: None) -> None:
    # `alembic check` compares the ORM models with the database at head: a model's table, column or index that no
    # migration creates (or the reverse) fails here rather than in production.
    _alembic(settings.database_url, "check")
