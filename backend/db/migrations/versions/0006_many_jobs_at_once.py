"""Many jobs at once: what the coalescing submitter needs to group staged jobs into shared Druid tasks, and small
record bodies kept in PostgreSQL (accepted in one transaction, no object-store round trips).

- `jobs.ready_at`: when the job's rows were staged and it began to wait for a Druid task (the coalescing window
  and the queue's "oldest wait" start there).
- `jobs.staged_format`: csv or json; one Druid task reads one input format, so only jobs of one format share.
- `jobs.druid_solo`: the job is submitted in a task of its own (a replace, or a member of a shared task that
  failed: resubmitted alone so that one job's problem never fails another's).
- `inline_bodies`: the body of a small records post, in place of an object in S3.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("jobs", sa.Column("staged_format", sa.String(8), nullable=True))
    op.add_column("jobs", sa.Column("druid_solo", sa.Boolean, nullable=False, server_default=sa.false()))
    # The submitter's question, asked every round: which staged jobs wait for a task?
    op.create_index("ix_jobs_ready", "jobs", ["datasource", "ready_at"],
                    postgresql_where=sa.text("state = 'submitting' AND druid_task_id IS NULL"))
    # The members of one Druid task (shared tasks are followed, and taken over, as one).
    op.create_index("ix_jobs_druid_task_id", "jobs", ["druid_task_id"],
                    postgresql_where=sa.text("druid_task_id IS NOT NULL"))
    op.create_table(
        "inline_bodies",
        sa.Column("job_id", UUID(as_uuid=True), sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("inline_bodies")
    op.drop_index("ix_jobs_druid_task_id", "jobs")
    op.drop_index("ix_jobs_ready", "jobs")
    op.drop_column("jobs", "druid_solo")
    op.drop_column("jobs", "staged_format")
    op.drop_column("jobs", "ready_at")
