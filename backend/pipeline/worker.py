"""The worker: claims jobs from Postgres, drives each through its steps, and decides its outcome in one place.

A job is held with a lease that a heartbeat thread extends. A worker killed at any point stops extending it; once
it expires another worker claims the job and resumes from the last committed state.

The worker outlives any outage. A step that meets a transient fault is retried with backoff; when PostgreSQL
stays unreachable beyond that, nothing can be recorded, so the worker lets go of the job (its lease runs out)
and keeps polling the queue with backoff: once the database is back, the job is claimed again (by this worker or
another) and resumes from what PostgreSQL says. The retries that could not be recorded meanwhile are written to
the job's history then.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from backend.db import events_repository, jobs_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.druid.overlord import OverlordClient
from backend.druid.sql import BrokerSqlClient
from backend.errors import ErrorCode, IngestError, first_line
from backend.logging_setup import current_job_id
from backend.pipeline.context import LeaseLost, StepContext
from backend.pipeline.datasources import keep_registering
from backend.pipeline.index_step import follow_task
from backend.pipeline.janitor import sweep_storage
from backend.pipeline.retry import RetryPolicy, is_transient
from backend.pipeline.submit_step import submit
from backend.pipeline.validate_step import validate_and_stage
from backend.settings import Settings
from backend.storage.object_store import ObjectStore
from backend.vocabulary import TERMINAL_STATES, JobState

log = logging.getLogger("backend.worker")

Step = Callable[[StepContext, Job], None]


def _start_validation(ctx: StepContext, job: Job) -> None:
    ctx.transition(job.id, JobState.validating, "Validation started", {"worker": ctx.worker_id}, progress=1)


STEPS: dict[JobState, Step] = {
    JobState.queued: _start_validation,
    JobState.validating: validate_and_stage,
    JobState.staging: validate_and_stage,
    JobState.submitting: submit,
    JobState.indexing: follow_task,
}


@dataclass(frozen=True)
class UnrecordedEvent:
    """A retry note the database could not take when it happened; written to the job's history once it can."""

    job_id: uuid.UUID
    state: JobState  # the step the job was in when it happened
    at: datetime
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def is_database_outage(error: BaseException) -> bool:
    """PostgreSQL unreachable or the connection dropped (Druid's and S3's faults are IngestErrors; a statement
    PostgreSQL refuses is not an outage)."""
    return isinstance(error, DBAPIError) and is_transient(error)


class Worker:
    def __init__(self, settings: Settings, worker_id: str | None = None) -> None:
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.store = ObjectStore(settings)
        self.overlord = OverlordClient(settings.druid_overlord_url, settings.druid_request_timeout_s)
        self.broker = BrokerSqlClient(settings.druid_broker_url, settings.druid_request_timeout_s)
        self.stopping = threading.Event()
        self.current: StepContext | None = None
        self.unrecorded: list[UnrecordedEvent] = []

    def stop(self) -> None:
        """Stop after giving up the current job: its lease is released so another worker takes it at once."""
        self.stopping.set()
        if self.current is not None:
            self.current.lease_lost.set()

    def run_forever(self) -> None:
        if not keep_registering(self.stopping):
            return  # asked to stop while the database was still unreachable
        log.info("worker started", extra={"worker": self.worker_id})
        policy = RetryPolicy.from_settings(self.settings)
        outage = 0  # consecutive rounds the queue could not be read
        next_sweep = time.monotonic() + self.settings.janitor_interval_s
        while not self.stopping.is_set():
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + self.settings.janitor_interval_s
                self._sweep_storage()
            try:
                claimed = self.run_once()
            except Exception as exc:
                # Whatever happens (PostgreSQL down, a bug), the worker stays: it waits and polls again.
                outage += 1
                delay = min(policy.max_s, policy.base_s * 2.0 ** min(outage - 1, 10))
                log.warning("cannot work the queue; trying again", exc_info=not is_transient(exc),
                            extra={"error": first_line(exc), "retry_in_s": delay})
                self.stopping.wait(delay)
                continue
            outage = 0
            if not claimed:
                self.stopping.wait(self.settings.worker_poll_s)
        log.info("worker stopped", extra={"worker": self.worker_id})

    def run_once(self) -> bool:
        """Claim one job and drive it as far as it goes. False when the queue had nothing to claim."""
        self._record_late_events()
        with session_scope() as session:
            job = jobs_repository.claim_next(session, self.worker_id, self.settings.worker_lease_s)
            job_id, state = (job.id, job.state) if job else (None, None)
        if job_id is None or state is None:
            return False
        token = current_job_id.set(str(job_id))
        ctx = StepContext(self.settings, self.store, self.overlord, self.broker, self.worker_id)
        self.current = ctx
        heartbeat = threading.Thread(target=self._heartbeat, args=(ctx, job_id), daemon=True)
        heartbeat.start()
        try:
            self._drive(ctx, job_id, state)
        finally:
            ctx.lease_lost.set()  # also stops the heartbeat
            heartbeat.join()
            try:
                with session_scope() as session:
                    jobs_repository.release(session, job_id, self.worker_id)
            except Exception as exc:
                # The lease runs out by itself; then any worker claims the job again.
                log.warning("could not release the job; its lease will expire", extra={"error": str(exc)[:300]})
            current_job_id.reset(token)
            self.current = None
        return True

    def _drive(self, ctx: StepContext, job_id: uuid.UUID, state: JobState) -> None:
        """Run the job's steps until it ends or is no longer ours; `state` is the last one PostgreSQL told."""
        policy = RetryPolicy.from_settings(self.settings)
        failures = 0
        while not self.stopping.is_set():
            try:
                job = ctx.load_held_job(job_id)
                state = job.state
                if state in TERMINAL_STATES:
                    return
                log.info("step", extra={"state": state.value, "worker": self.worker_id})
                STEPS[state](ctx, job)
                failures = 0
            except LeaseLost:
                log.warning("lease lost; leaving the job to its new owner", extra={"worker": self.worker_id})
                return
            except Exception as exc:
                if is_transient(exc):
                    failures += 1
                    delay = policy.delay_before(failures)
                    if delay is not None:
                        self._note_retry(ctx, job_id, state, exc, failures, policy.attempts, delay)
                        # Steps resume from what Postgres says, so trying the same step again is safe.
                        ctx.lease_lost.wait(delay)
                        continue
                    if is_database_outage(exc):
                        # Nothing can be recorded without the database, not even an ending: let go of the job;
                        # it is claimed again, and resumes, once PostgreSQL answers.
                        log.warning("database unreachable beyond the retries; leaving the job to be claimed again",
                                    extra={"error": first_line(exc)})
                        return
                if isinstance(exc, IngestError):
                    self._end(ctx, job_id, exc)
                else:
                    log.exception("step crashed")
                    self._end(ctx, job_id, IngestError(ErrorCode.internal_error, f"Unexpected error: {exc!r}"))
                return

    def _note_retry(
        self, ctx: StepContext, job_id: uuid.UUID, state: JobState, exc: Exception, failures: int, attempts: int,
        delay: float,
    ) -> None:
        reason = exc.message if isinstance(exc, IngestError) else f"{type(exc).__name__}: {exc}"
        log.warning("transient fault; retrying", extra={"reason": reason, "failure": failures, "delay_s": delay})
        message = f"Transient fault, retrying in {delay:.1f} s ({failures}/{attempts - 1}): {reason}"[:1000]
        details = {"failure": failures, "delay_s": round(delay, 2)}
        try:
            ctx.add_event(job_id, state, message, details)
        except Exception as record_error:
            log.warning("could not record the retry now; it is recorded once the database answers",
                        extra={"error": first_line(record_error)})
            self.unrecorded.append(UnrecordedEvent(job_id, state, datetime.now(UTC), message, details))

    def _sweep_storage(self) -> None:
        try:
            sweep_storage(self.store, timedelta(seconds=self.settings.janitor_min_age_s),
                          delete_orphans=self.settings.janitor_delete_orphans)
        except Exception as exc:
            log.warning("storage sweep failed; trying again later", exc_info=not is_transient(exc),
                        extra={"error": first_line(exc)})

    def _record_late_events(self) -> None:
        """Write the retry notes an outage kept out of the jobs' histories, marked with when they happened."""
        while self.unrecorded:
            event = self.unrecorded[0]
            try:
                with session_scope() as session:
                    if jobs_repository.get_job(session, event.job_id) is not None:
                        events_repository.add_event(
                            session, event.job_id, event.state,
                            f"{event.message} (recorded late: the database was unreachable)",
                            {**event.details, "happened_at": event.at.isoformat(), "recorded_late": True},
                            at=event.at,
                        )
            except Exception as exc:
                if is_transient(exc):
                    raise  # still unreachable: kept for the next round
                # PostgreSQL refuses this note for good: dropped, so that it cannot stop the worker claiming jobs.
                log.exception("could not record a late retry note; dropped")
            self.unrecorded.pop(0)

    def _end(self, ctx: StepContext, job_id: uuid.UUID, error: IngestError) -> None:
        """The one place a job's unhappy outcome is decided: data problems reject, everything else fails."""
        target = JobState.rejected if error.is_data_error else JobState.failed
        try:
            ctx.transition(job_id, target, error.message, {"code": error.code.value, **error.details},
                           code=error.code.value, message=error.message)
        except LeaseLost:
            log.warning("could not record the outcome: the job is no longer ours", extra={"code": error.code})
        except Exception as exc:
            if not is_transient(exc):
                raise
            # The database went away at the very end: the job keeps its state and is claimed again, and its step
            # (deterministic) comes to the same ending once PostgreSQL answers.
            log.warning("could not record the outcome; the job will be claimed again",
                        extra={"code": error.code, "error": first_line(exc)})

    def _heartbeat(self, ctx: StepContext, job_id: uuid.UUID) -> None:
        while not ctx.lease_lost.wait(self.settings.worker_heartbeat_s):
            try:
                with session_scope() as session:
                    held = jobs_repository.heartbeat(session, job_id, self.worker_id, self.settings.worker_lease_s)
            except Exception as exc:
                log.warning("heartbeat failed; will retry", exc_info=not is_transient(exc),
                            extra={"error": first_line(exc)})
                continue
            if not held:
                ctx.lease_lost.set()
