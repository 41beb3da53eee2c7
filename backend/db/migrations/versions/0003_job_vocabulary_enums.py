"""The job vocabulary as PostgreSQL enum types: job_state, job_priority, on_invalid, ingest_mode.

Existing rows are converted in place (priority 1/2/3 becomes LOW/MEDIUM/HIGH). The lists are written out here on
purpose: a migration records the schema as it was on that day, and backend/vocabulary.py is the one place the
code declares them (tests/integration/test_database_schema.py holds the two together).

Stop every API process and worker before running it: code from before 0003 binds integer priorities, and code
from after it expects the enum types.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JOB_STATES = ("queued", "validating", "staging", "submitting", "indexing", "succeeded", "rejected", "failed",
              "cancelled")
PRIORITIES = ("LOW", "MEDIUM", "HIGH")  # declaration order is sort order: the queue takes HIGH first
ON_INVALID = ("reject", "skip")
INGEST_MODES = ("append", "replace")
_UNFINISHED = "state NOT IN ('cancelled', 'failed', 'rejected', 'succeeded')"


def _create_type(name: str, values: tuple[str, ...]) -> None:
    op.execute(f"CREATE TYPE {name} AS ENUM ({', '.join(repr(v) for v in values)})")


def upgrade() -> None:
    for name, values in (("job_state", JOB_STATES), ("job_priority", PRIORITIES), ("on_invalid", ON_INVALID),
                         ("ingest_mode", INGEST_MODES)):
        _create_type(name, values)
    # The queue's partial index and the CHECK constraints name the old text columns: rebuilt after the change.
    op.drop_index("ix_jobs_queue", table_name="jobs")
    op.drop_constraint("ck_jobs_state_known", "jobs", type_="check")
    op.drop_constraint("ck_jobs_priority_known", "jobs", type_="check")
    op.execute("ALTER TABLE jobs ALTER COLUMN state TYPE job_state USING state::job_state")
    op.execute("ALTER TABLE job_events ALTER COLUMN state TYPE job_state USING state::job_state")
    op.execute("ALTER TABLE jobs ALTER COLUMN on_invalid TYPE on_invalid USING on_invalid::on_invalid")
    op.execute("ALTER TABLE jobs ALTER COLUMN mode TYPE ingest_mode USING mode::ingest_mode")
    op.execute("ALTER TABLE jobs ALTER COLUMN priority TYPE job_priority USING "
               "(CASE priority WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM' WHEN 3 THEN 'HIGH' END)::job_priority")
    op.execute(f"CREATE INDEX ix_jobs_queue ON jobs (priority, created_at) WHERE {_UNFINISHED}")


def downgrade() -> None:
    op.drop_index("ix_jobs_queue", table_name="jobs")
    op.execute("ALTER TABLE jobs ALTER COLUMN priority TYPE smallint USING "
               "(CASE priority WHEN 'LOW' THEN 1 WHEN 'MEDIUM' THEN 2 WHEN 'HIGH' THEN 3 END)")
    for table, column in (("jobs", "state"), ("job_events", "state"), ("jobs", "on_invalid"), ("jobs", "mode")):
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(16) USING {column}::text")
    op.create_check_constraint("ck_jobs_state_known", "jobs", f"state IN {JOB_STATES!r}")
    op.create_check_constraint("ck_jobs_priority_known", "jobs", "priority BETWEEN 1 AND 3")
    op.execute(f"CREATE INDEX ix_jobs_queue ON jobs (priority, created_at) WHERE {_UNFINISHED}")
    for name in ("job_state", "job_priority", "on_invalid", "ingest_mode"):
        op.execute(f"DROP TYPE {name}")
