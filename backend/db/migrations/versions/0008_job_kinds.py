"""Jobs of several kinds: an ingest job brings a file's rows into Druid; a compaction or a retraction operates on
rows already there, with the same states, events, cancel, retry and Druid slot limits.

- `jobs.kind` (`job_kind`: ingest, compaction, retraction); every existing job is an ingest job.
- `jobs.target_job_id`: the ingest job a retraction removes.
- `jobs.retracted_by`: on an ingest job, the retraction that removed its rows (set when that one succeeds).
- `jobs.operation`: an operation's parameters and what it measured (intervals, segments and rows before and
  after).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JOB_KINDS = ("ingest", "compaction", "retraction")


def upgrade() -> None:
    op.execute(f"CREATE TYPE job_kind AS ENUM ({', '.join(repr(kind) for kind in JOB_KINDS)})")
    op.add_column("jobs", sa.Column("kind", sa.Enum(*JOB_KINDS, name="job_kind", create_type=False),
                                    nullable=False, server_default="ingest"))
    op.add_column("jobs", sa.Column("target_job_id", UUID(as_uuid=True), sa.ForeignKey("jobs.id"), nullable=True))
    op.add_column("jobs", sa.Column("retracted_by", UUID(as_uuid=True), sa.ForeignKey("jobs.id"), nullable=True))
    op.add_column("jobs", sa.Column("operation", JSONB, nullable=True))
    # The lists filter by kind, newest first; and a retraction's target is looked up by it.
    op.create_index("ix_jobs_kind_created_at", "jobs", ["kind", "created_at"])
    op.create_index("ix_jobs_target_job_id", "jobs", ["target_job_id"],
                    postgresql_where=sa.text("target_job_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_jobs_target_job_id", "jobs")
    op.drop_index("ix_jobs_kind_created_at", "jobs")
    op.drop_column("jobs", "operation")
    op.drop_column("jobs", "retracted_by")
    op.drop_column("jobs", "target_job_id")
    op.drop_column("jobs", "kind")
    op.execute("DROP TYPE job_kind")
