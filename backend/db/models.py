"""The tables: datasources and their schema versions, jobs, the step history, and row-level errors."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base

_STATES = "'queued','validating','staging','submitting','indexing','succeeded','rejected','failed','cancelled'"


class Datasource(Base):
    __tablename__ = "datasources"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    druid_datasource: Mapped[str] = mapped_column(String(255))
    current_schema_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SchemaVersion(Base):
    __tablename__ = "schema_versions"
    __table_args__ = (UniqueConstraint("datasource", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    datasource: Mapped[str] = mapped_column(ForeignKey("datasources.name"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state_known"),
        CheckConstraint("priority BETWEEN 1 AND 3", name="priority_known"),
        # The queue: claimable jobs by priority then age.
        Index("ix_jobs_queue", "priority", "created_at", postgresql_where="state NOT IN "
              "('succeeded','rejected','failed','cancelled')"),
        Index("ix_jobs_created_at", "created_at"),
        Index("ix_jobs_datasource_sha256", "datasource", "sha256"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    datasource: Mapped[str] = mapped_column(ForeignKey("datasources.name"))
    schema_version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    raw_key: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(SmallInteger)
    on_invalid: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
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
    state: Mapped[str] = mapped_column(String(16))
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
