"""What every step of a job needs: settings, clients, and the worker's identity and lease."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from backend.db import events_repository, jobs_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.druid.overlord import OverlordClient
from backend.druid.sql import BrokerSqlClient
from backend.settings import Settings
from backend.storage.object_store import ObjectStore
from backend.vocabulary import TERMINAL_STATES, JobState


class LeaseLost(Exception):
    """Another worker owns the job now (or it was cancelled): stop touching it."""


@dataclass
class StepContext:
    settings: Settings
    store: ObjectStore
    overlord: OverlordClient
    broker: BrokerSqlClient
    worker_id: str
    lease_lost: threading.Event = field(default_factory=threading.Event)

    def check_lease(self) -> None:
        if self.lease_lost.is_set():
            raise LeaseLost()

    def load_held_job(self, job_id: uuid.UUID) -> Job:
        """The job as PostgreSQL has it now; LeaseLost when another worker holds it."""
        with session_scope() as session:
            job = jobs_repository.get_job(session, job_id)
            if job is None:
                raise LeaseLost()
            # A job this worker just finished has no owner any more; that is an ending, not a lost lease.
            if job.state not in TERMINAL_STATES and job.lease_owner != self.worker_id:
                raise LeaseLost()
            return job

    def load_state(self, job_id: uuid.UUID) -> JobState | None:
        """The job's state whoever holds it (None if it is gone)."""
        with session_scope() as session:
            job = jobs_repository.get_job(session, job_id)
            return job.state if job else None

    def transition(
        self, job_id: uuid.UUID, target: JobState, event: str, details: dict[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        """Transition the job this worker holds; losing the guard means the job is no longer ours."""
        with session_scope() as session:
            if not jobs_repository.transition(
                session, job_id, target, event, details=details, lease_owner=self.worker_id, **fields
            ):
                raise LeaseLost()

    def add_event(
        self, job_id: uuid.UUID, state: JobState, message: str, details: dict[str, Any] | None = None
    ) -> None:
        """A line in the job's history that is not a state change (a warning, a wait, a retry)."""
        with session_scope() as session:
            events_repository.add_event(session, job_id, state, message, details)

    def update_job(self, job_id: uuid.UUID, **fields: Any) -> None:
        """Set columns of the job this worker holds (progress, row counts, Druid row stats)."""
        with session_scope() as session:
            if not jobs_repository.update_fields(session, job_id, self.worker_id, **fields):
                raise LeaseLost()
