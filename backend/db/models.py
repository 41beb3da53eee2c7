"""The tables: datasources and their schema versions, jobs, the step history, row-level errors, and who may do what
(users, API keys, web sessions, grants, the audit log, the login limiter)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum as PyEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base
from backend.vocabulary import TERMINAL_STATES, JobKind, JobState, Mode, OnInvalid, Priority, Role


def _pg_enum(enum: type[PyEnum], name: str, *, by_name: bool = False) -> Enum:
    """The PostgreSQL enum type `name` (created by migration 0003) holding the enum's values, or its member names
    (Priority: clients see HIGH/MEDIUM/LOW, and the type orders LOW < MEDIUM < HIGH, so the queue sorts by it)."""
    return Enum(enum, name=name, create_type=False, validate_strings=True,
                values_callable=lambda members: [m.name if by_name else m.value for m in members])


JOB_STATE = _pg_enum(JobState, "job_state")
JOB_PRIORITY = _pg_enum(Priority, "job_priority", by_name=True)
ON_INVALID = _pg_enum(OnInvalid, "on_invalid")
INGEST_MODE = _pg_enum(Mode, "ingest_mode")
JOB_KIND = _pg_enum(JobKind, "job_kind")  # created by migration 0008
# The predicate of the queue's partial index (and the health and metrics queries that count unfinished jobs).
UNFINISHED = "state NOT IN (" + ", ".join(f"'{s.value}'" for s in sorted(TERMINAL_STATES)) + ")"


class Datasource(Base):
    __tablename__ = "datasources"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    druid_datasource: Mapped[str] = mapped_column(String(255))
    current_schema_version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, server_default="")
    compatibility: Mapped[str] = mapped_column(String(32), server_default="BACKWARD")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SchemaVersion(Base):
    __tablename__ = "schema_versions"
    __table_args__ = (UniqueConstraint("datasource", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    datasource: Mapped[str] = mapped_column(ForeignKey("datasources.name"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text, server_default="built-in")
    summary: Mapped[str] = mapped_column(Text, server_default="first version")
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    restored_from: Mapped[int | None] = mapped_column(Integer)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # The queue: claimable jobs by priority then age.
        Index("ix_jobs_queue", "priority", "created_at", postgresql_where=UNFINISHED),
        Index("ix_jobs_created_at", "created_at"),
        Index("ix_jobs_datasource_sha256", "datasource", "sha256"),
        Index("ix_jobs_datasource_created_at", "datasource", "created_at"),
        Index("ix_jobs_ready", "datasource", "ready_at",
              postgresql_where="state = 'submitting' AND druid_task_id IS NULL"),
        Index("ix_jobs_druid_task_id", "druid_task_id", postgresql_where="druid_task_id IS NOT NULL"),
        Index("ix_jobs_kind_created_at", "kind", "created_at"),
        Index("ix_jobs_target_job_id", "target_job_id", postgresql_where="target_job_id IS NOT NULL"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[JobKind] = mapped_column(JOB_KIND, default=JobKind.ingest, server_default="ingest")
    datasource: Mapped[str] = mapped_column(ForeignKey("datasources.name"))
    schema_version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    raw_key: Mapped[str] = mapped_column(Text)
    priority: Mapped[Priority] = mapped_column(JOB_PRIORITY)
    on_invalid: Mapped[OnInvalid] = mapped_column(ON_INVALID)
    mode: Mapped[Mode] = mapped_column(INGEST_MODE)
    state: Mapped[JobState] = mapped_column(JOB_STATE)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    rows_total: Mapped[int | None] = mapped_column(BigInteger)
    rows_valid: Mapped[int | None] = mapped_column(BigInteger)
    rows_invalid: Mapped[int | None] = mapped_column(BigInteger)
    errors_total: Mapped[int | None] = mapped_column(BigInteger)
    staged_keys: Mapped[list[str] | None] = mapped_column(JSONB)
    replace_intervals: Mapped[list[str] | None] = mapped_column(JSONB)
    druid_task_id: Mapped[str | None] = mapped_column(String(255))
    druid_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    druid_row_stats: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    druid_rows: Mapped[int | None] = mapped_column(BigInteger)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    staged_format: Mapped[str | None] = mapped_column(String(8))
    druid_solo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # A retraction's ingest job; on an ingest job, the retraction that removed its rows.
    target_job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("jobs.id"))
    retracted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("jobs.id"))
    # An operation's parameters and what it measured (backend.pipeline.druid_operations).
    operation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobEvent(Base):
    __tablename__ = "job_events"
    __table_args__ = (Index("ix_job_events_job_id_id", "job_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())
    state: Mapped[JobState] = mapped_column(JOB_STATE)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class JobError(Base):
    """A capped sample of row-level errors; the full report is a CSV in S3."""

    __tablename__ = "job_errors"
    __table_args__ = (Index("ix_job_errors_job_id_row", "job_id", "row_number", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(BigInteger)
    column: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)


class InlineBody(Base):
    """The body of a small records post, kept with its job instead of as an object in S3 (one transaction)."""

    __tablename__ = "inline_bodies"

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class StorageSweep(Base):
    """One object or incomplete upload the storage janitor removed (backend.pipeline.janitor)."""

    __tablename__ = "storage_sweeps"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(Text)


GRANT_ROLE = _pg_enum(Role, "grant_role")


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), server_default="")
    password_hash: Mapped[str | None] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(Boolean, server_default="false")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    sso_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_owner", "owner_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(160)))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Grant(Base):
    __tablename__ = "grants"
    __table_args__ = (Index("ix_grants_datasource", "datasource"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    datasource: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[Role] = mapped_column(GRANT_ROLE)
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"), Index("ix_audit_events_actor_at", "actor", "at"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str | None] = mapped_column(String(64))
    via: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    client_address: Mapped[str | None] = mapped_column(INET)
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class LoginFailures(Base):
    __tablename__ = "login_failures"

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
