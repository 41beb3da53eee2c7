"""The worker: claims jobs from Postgres, drives each through its steps, and decides its outcome in one place.

A job is held with a lease that a heartbeat thread extends. A worker killed at any point stops extending it; once
it expires another worker claims the job and resumes from the last committed state.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from backend.db import jobs_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.druid.overlord import OverlordClient
from backend.druid.sql import BrokerSqlClient
from backend.errors import ErrorCode, IngestError
from backend.logging_setup import current_job_id
from backend.pipeline.context import LeaseLost, StepContext
from backend.pipeline.datasources import keep_registering
from backend.pipeline.index_step import follow_task
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


class Worker:
    def __init__(self, settings: Settings, worker_id: str | None = None) -> None:
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.store = ObjectStore(settings)
        self.overlord = OverlordClient(settings.druid_overlord_url, settings.druid_request_timeout_s)
        self.broker = BrokerSqlClient(settings.druid_broker_url, settings.druid_request_timeout_s)
        self.stopping = threading.Event()
        self.current: StepContext | None = None

    def stop(self) -> None:
        """Stop after giving up the current job: its lease is released so another worker takes it at once."""
        self.stopping.set()
        if self.current is not None:
            self.current.lease_lost.set()

    def run_forever(self) -> None:
        if not keep_registering(self.stopping):
            return  # asked to stop while the database was still unreachable
        log.info("worker started", extra={"worker": self.worker_id})
        while not self.stopping.is_set():
            if not self.run_once():
                self.stopping.wait(self.settings.worker_poll_s)
        log.info("worker stopped", extra={"worker": self.worker_id})

    def run_once(self) -> bool:
        """Claim one job and drive it as far as it goes. False when the queue had nothing to claim."""
        with session_scope() as session:
            job = jobs_repository.claim_next(session, self.worker_id, self.settings.worker_lease_s)
            job_id = job.id if job else None
        if job_id is None:
            return False
        token = current_job_id.set(str(job_id))
        ctx = StepContext(self.settings, self.store, self.overlord, self.broker, self.worker_id)
        self.current = ctx
        heartbeat = threading.Thread(target=self._heartbeat, args=(ctx, job_id), daemon=True)
        heartbeat.start()
        try:
            self._drive(ctx, job_id)
        finally:
            ctx.lease_lost.set()  # also stops the heartbeat
            heartbeat.join()
            with session_scope() as session:
                jobs_repository.release(session, job_id, self.worker_id)
            current_job_id.reset(token)
            self.current = None
        return True

    def _drive(self, ctx: StepContext, job_id: uuid.UUID) -> None:
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
                        self._note_retry(ctx, job_id, exc, failures, policy.attempts, delay)
                        # Steps resume from what Postgres says, so trying the same step again is safe.
                        ctx.lease_lost.wait(delay)
                        continue
                if isinstance(exc, IngestError):
                    self._end(ctx, job_id, exc)
                else:
                    log.exception("step crashed")
                    self._end(ctx, job_id, IngestError(ErrorCode.internal_error, f"Unexpected error: {exc!r}"))
                return

    def _note_retry(
        self, ctx: StepContext, job_id: uuid.UUID, exc: Exception, failures: int, attempts: int, delay: float
    ) -> None:
        reason = exc.message if isinstance(exc, IngestError) else f"{type(exc).__name__}: {exc}"
        log.warning("transient fault; retrying", extra={"reason": reason, "failure": failures, "delay_s": delay})
        try:
            state = ctx.load_state(job_id) or JobState.queued
            ctx.add_event(job_id, state, f"Transient fault, retrying in {delay:.1f} s ({failures}/{attempts - 1}): "
                     f"{reason}"[:1000], {"failure": failures, "delay_s": round(delay, 2)})
        except Exception:
            log.exception("could not record the retry (the database may be the fault)")

    def _end(self, ctx: StepContext, job_id: uuid.UUID, error: IngestError) -> None:
        """The one place a job's unhappy outcome is decided: data problems reject, everything else fails."""
        target = JobState.rejected if error.is_data_error else JobState.failed
        try:
            ctx.transition(job_id, target, error.message, {"code": error.code.value, **error.details},
                     code=error.code.value, message=error.message)
        except LeaseLost:
            log.warning("could not record the outcome: the job is no longer ours", extra={"code": error.code})

    def _heartbeat(self, ctx: StepContext, job_id: uuid.UUID) -> None:
        while not ctx.lease_lost.wait(self.settings.worker_heartbeat_s):
            try:
                with session_scope() as session:
                    held = jobs_repository.heartbeat(session, job_id, self.worker_id, self.settings.worker_lease_s)
            except Exception:
                log.exception("heartbeat failed; will retry")
                continue
            if not held:
                ctx.lease_lost.set()
