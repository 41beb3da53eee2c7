"""The schema registry takes requests: a datasource's description, compatibility mode and soft delete; each
version's author, the change summary against the version before, and the version it was restored from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("datasources", sa.Column("description", sa.Text, nullable=False, server_default=""))
    op.add_column("datasources", sa.Column("compatibility", sa.String(32), nullable=False, server_default="BACKWARD"))
    op.add_column("datasources", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("datasources", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                                           server_default=sa.func.now()))
    op.create_check_constraint(
        op.f("ck_datasources_compatibility"), "datasources",
        "compatibility IN ('BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FULL', 'NONE')",
    )
    op.add_column("schema_versions", sa.Column("created_by", sa.Text, nullable=False, server_default="built-in"))
    op.add_column("schema_versions", sa.Column("summary", sa.Text, nullable=False, server_default="first version"))
    op.add_column("schema_versions", sa.Column("changes", JSONB, nullable=False, server_default="[]"))
    op.add_column("schema_versions", sa.Column("restored_from", sa.Integer, nullable=True))
    # The datasource page lists its recent jobs; the listing counts jobs per datasource and state.
    op.create_index("ix_jobs_datasource_created_at", "jobs", ["datasource", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_datasource_created_at", "jobs")
    for column in ("restored_from", "changes", "summary", "created_by"):
        op.drop_column("schema_versions", column)
    op.drop_constraint(op.f("ck_datasources_compatibility"), "datasources")
    for column in ("updated_at", "deleted_at", "compatibility", "description"):
        op.drop_column("datasources", column)
