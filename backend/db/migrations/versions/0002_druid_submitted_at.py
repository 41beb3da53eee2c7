"""jobs.druid_submitted_at: when the job took a Druid slot (submission limits space submissions by it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("druid_submitted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("jobs", "druid_submitted_at")
