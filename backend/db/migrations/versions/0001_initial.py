"""Initial tables: datasources, schema_versions, jobs, job_events, job_errors.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TERMINAL = "state NOT IN ('succeeded','rejected','failed','cancelled')"
_STATES = "'queued','validating','staging','submitting','indexing','succeeded','rejected','failed','cancelled'"


def upgrade() -> None:
    op.create_table(
        "datasources",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("druid_datasource", sa.String(255), nullable=False),
        sa.Column("current_schema_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_datasources"),
    )
    op.create_table(
        "schema_versions",
        sa.Column("id", sa.BigInteger, autoincrement=True),
        sa.Column("datasource", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schema_versions"),
        sa.ForeignKeyConstraint(["datasource"], ["datasources.name"],
                                name="fk_schema_versions_datasource_datasources"),
        sa.UniqueConstraint("datasource", "version", name="uq_schema_versions_datasource"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", postgresql.UUID(as_uuid=True)),
        sa.Column("datasource", sa.String(128), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("format", sa.String(16)),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("raw_key", sa.Text, nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("on_invalid", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True)),
        sa.Column("progress", sa.SmallInteger, nullable=False),
        sa.Column("rows_total", sa.BigInteger),
        sa.Column("rows_valid", sa.BigInteger),
        sa.Column("rows_invalid", sa.BigInteger),
        sa.Column("errors_total", sa.BigInteger),
        sa.Column("staged_keys", postgresql.JSONB),
        sa.Column("replace_intervals", postgresql.JSONB),
        sa.Column("druid_task_id", sa.String(255)),
        sa.Column("druid_row_stats", postgresql.JSONB),
        sa.Column("druid_rows", sa.BigInteger),
        sa.Column("code", sa.String(64)),
        sa.Column("message", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.ForeignKeyConstraint(["datasource"], ["datasources.name"], name="fk_jobs_datasource_datasources"),
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_jobs_state_known"),
        sa.CheckConstraint("priority BETWEEN 1 AND 3", name="ck_jobs_priority_known"),
    )
    op.create_index("ix_jobs_queue", "jobs", ["priority", "created_at"], postgresql_where=sa.text(_TERMINAL))
    op.create_index("ix_jobs_created_at", "jobs", ["created_at"])
    op.create_index("ix_jobs_datasource_sha256", "jobs", ["datasource", "sha256"])
    op.create_table(
        "job_events",
        sa.Column("id", sa.BigInteger, autoincrement=True),
        sa.Column("job_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("details", postgresql.JSONB, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_job_events"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE", name="fk_job_events_job_id_jobs"),
    )
    op.create_index("ix_job_events_job_id_id", "job_events", ["job_id", "id"])
    op.create_table(
        "job_errors",
        sa.Column("id", sa.BigInteger, autoincrement=True),
        sa.Column("job_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("row_number", sa.BigInteger, nullable=False),
        sa.Column("column", sa.Text, nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_job_errors"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE", name="fk_job_errors_job_id_jobs"),
    )
    op.create_index("ix_job_errors_job_id_row", "job_errors", ["job_id", "row_number", "id"])


def downgrade() -> None:
    op.drop_table("job_errors")
    op.drop_table("job_events")
    op.drop_table("jobs")
    op.drop_table("schema_versions")
    op.drop_table("datasources")
