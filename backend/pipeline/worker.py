"""The worker: claims jobs from Postgres, runs several at once, and decides each outcome in one place.

A worker holds up to INGEST_WORKER_CONCURRENCY jobs in their CPU-bound steps (reading, validating, staging), each
driven by a thread of its own whose step runs in the process pool (backend.pipeline.cpu_pool). A staged job is
let go: it waits in `submitting` for the submitter, which every round (under one PostgreSQL lock shared by all
workers) groups the waiting jobs into Druid tasks as slots free up (backend.pipeline.coalesce) and takes them
over. One thread follows each Druid task for all the jobs riding it (backend.pipeline.druid_task), so waiting on
Druid costs no CPU slot and no thread per job.

Every job this worker holds has a lease, extended by one heartbeat thread for all of them. A worker killed at any
point stops extending it; once it expires, another worker claims the job (a CPU step) or takes over the whole
Druid task (all its members at once) and resumes from the last committed state.

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

from backend.db import druid_tasks_repository, events_repository, jobs_repository
from backend.db.session import session_scope
from backend.druid.overlord import OverlordClient
from backend.druid.sql import BrokerSqlClient
from backend.errors import ErrorCode, IngestError, first_line
from backend.logging_setup import current_job_id
from backend.pipeline.coalesce import CoalescePolicy, PlannedTask, plan_tasks
from backend.pipeline.context import LeaseLost, StepContext
from backend.pipeline.cpu_pool import CpuPool
from backend.pipeline.datasources import keep_registering
from backend.pipeline.druid_operations import run_operation
from backend.pipeline.druid_task import TaskRun, run_task, shared_task_id, solo_task_id
from backend.pipeline.janitor import sweep_storage
from backend.pipeline.record_batch import MAX_JOBS
from backend.pipeline.retry import RetryPolicy, is_transient
from backend.settings import Settings
from backend.storage.object_store import ObjectStore
from backend.vocabulary import TERMINAL_STATES, JobKind, JobState

log = logging.getLogger("backend.worker")

# The most staged jobs one submitter round looks at (the oldest and most urgent first).
_ROUND_LIMIT = 10_000
# Small records posts of one datasource validated together (backend.pipeline.record_batch).
RECORDS_BATCH_MAX = MAX_JOBS


@dataclass(frozen=True)
class UnrecordedEvent:
    """A retry note the database could not take when it happened; written to the job's history once it can."""

    job_id: uuid.UUID
    at: datetime
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def record_late_events(unrecorded: list[UnrecordedEvent]) -> None:
    """Write the retry notes an outage kept out of the jobs' histories, marked with when they happened."""
    while unrecorded:
        event = unrecorded[0]
        try:
            with session_scope() as session:
                job = jobs_repository.get_job(session, event.job_id)
                # Under the state the job was in when the retry happened, not the one it is in now: a job that
                # ended meanwhile would otherwise seem to have ended more than once.
                then = events_repository.state_at(session, event.job_id, event.at) if job is not None else None
                if job is not None and then is not None and then not in TERMINAL_STATES:
                    events_repository.add_event(
                        session, event.job_id, then,
                        f"{event.message} (recorded late: the database was unreachable)",
                        {**event.details, "happened_at": event.at.isoformat(), "recorded_late": True},
                        at=event.at,
                    )
        except Exception as exc:
            if is_transient(exc):
                raise  # still unreachable: kept for the next round
            # PostgreSQL refuses this note for good: dropped, so that it cannot stop the worker claiming jobs.
            log.exception("could not record a late retry note; dropped")
        unrecorded.pop(0)


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
        self.cpu = CpuPool(settings)
        self.policy = CoalescePolicy(settings.druid_coalesce, settings.druid_coalesce_window_s,
                                     settings.druid_coalesce_max_rows, settings.druid_coalesce_max_jobs)
        self.stopping = threading.Event()
        self.wake = threading.Event()  # a job let go or a task ended: look at the queue now
        self._lock = threading.Lock()
        self.jobs: dict[uuid.UUID, StepContext] = {}  # jobs in their CPU steps, by id
        self.cpu_runs = 0  # threads driving jobs (or a batch of records posts) through their CPU steps
        self.tasks: dict[str, StepContext] = {}  # Druid tasks followed, by task id
        self.threads: list[threading.Thread] = []
        self.unrecorded: list[UnrecordedEvent] = []
        self.waiting_noted: set[uuid.UUID] = set()  # jobs whose wait for a Druid slot is on record

    def stop(self) -> None:
        """Stop after giving up the jobs: their leases are released so other workers take them at once."""
        self.stopping.set()
        with self._lock:
            for ctx in [*self.jobs.values(), *self.tasks.values()]:
                ctx.lease_lost.set()
        self.wake.set()

    def run_forever(self) -> None:
        if not keep_registering(self.stopping):
            return  # asked to stop while the database was still unreachable
        self.cpu.start()
        heartbeat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
        heartbeat.start()
        log.info("worker started", extra={"worker": self.worker_id, "concurrency": self.settings.worker_concurrency,
                                          "cpu_processes": self.cpu.size})
        policy = RetryPolicy.from_settings(self.settings)
        outage = 0  # consecutive rounds the queue could not be read
        next_sweep = time.monotonic() + self.settings.janitor_interval_s
        next_takeover = 0.0
        while not self.stopping.is_set():
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + self.settings.janitor_interval_s
                self._sweep_storage()
            try:
                self._record_late_events()
                self._fill()
                self._submit_ready()
                if time.monotonic() >= next_takeover:
                    # A task is orphaned only once its leases expire: looking a few times a lease is enough.
                    next_takeover = time.monotonic() + min(2.0, self.settings.worker_lease_s / 4)
                    self._take_over_tasks()
            except Exception as exc:
                # Whatever happens (PostgreSQL down, a bug), the worker stays: it waits and polls again.
                outage += 1
                delay = min(policy.max_s, policy.base_s * 2.0 ** min(outage - 1, 10))
                log.warning("cannot work the queue; trying again", exc_info=not is_transient(exc),
                            extra={"error": first_line(exc), "retry_in_s": delay})
                self.stopping.wait(delay)
                continue
            outage = 0
            self.wake.wait(self.settings.worker_poll_s)
            self.wake.clear()
        for thread in self.threads:
            thread.join(timeout=10)
        self.cpu.shutdown()
        log.info("worker stopped", extra={"worker": self.worker_id})

    # --- CPU steps: one thread per job, the work in the process pool ---------------------------------------

    def _fill(self) -> None:
        """Claim jobs to validate until this worker runs its concurrency's worth."""
        self.threads = [thread for thread in self.threads if thread.is_alive()]
        while self.cpu_runs < self.settings.worker_concurrency and not self.stopping.is_set():
            with session_scope() as session:
                job = jobs_repository.claim_next(session, self.worker_id, self.settings.worker_lease_s)
                batch = [] if job is None else [claimed.id for claimed in jobs_repository.claim_records_batch(
                    session, job, self.worker_id, self.settings.worker_lease_s, RECORDS_BATCH_MAX)]
            if not batch:
                return
            ctx = self._context()
            with self._lock:
                for job_id in batch:
                    self.jobs[job_id] = ctx
                self.cpu_runs += 1  # a batch of records posts counts as one
            if len(batch) == 1:
                self._start(f"job-{batch[0]}", self._run_job, ctx, batch[0])
            else:
                self._start(f"records-{batch[0]}", self._run_records, ctx, batch)

    def _run_job(self, ctx: StepContext, job_id: uuid.UUID) -> None:
        token = current_job_id.set(str(job_id))
        try:
            self._drive(ctx, [job_id], lambda: self._cpu_step(ctx, job_id))
        finally:
            with self._lock:
                self.jobs.pop(job_id, None)
                self.cpu_runs -= 1
            self._release([job_id])
            current_job_id.reset(token)
            self.wake.set()

    def _run_records(self, ctx: StepContext, job_ids: list[uuid.UUID]) -> None:
        """Small records posts validated together; any the batch leaves are let go, still `validating`, and
        claimed again one by one (the single path names exactly what is wrong with them)."""
        def step() -> bool:
            started = {"worker": self.worker_id, "together_with": len(job_ids) - 1}
            with session_scope() as session:
                jobs_repository.transition_many(
                    session, [jobs_repository.Move(job_id, "Validation started", started, {"progress": 1})
                              for job_id in job_ids],
                    JobState.validating, lease_owner=self.worker_id)
            self.cpu.validate_records(job_ids, self.worker_id, ctx.lease_lost)
            return False

        try:
            self._drive(ctx, job_ids, step)
        finally:
            with self._lock:
                for job_id in job_ids:
                    self.jobs.pop(job_id, None)
                self.cpu_runs -= 1
            self._release(job_ids)
            self.wake.set()

    def _cpu_step(self, ctx: StepContext, job_id: uuid.UUID) -> bool:
        """One step of a job in its CPU phase; False once it left that phase (staged, or ended)."""
        job = ctx.load_held_job(job_id)
        if job.state not in jobs_repository.CPU_STATES:
            return False
        log.info("step", extra={"state": job.state.value, "worker": self.worker_id})
        if job.state == JobState.queued:
            ctx.transition(job.id, JobState.validating, "Validation started", {"worker": self.worker_id},
                           progress=1)
        else:
            self.cpu.validate(job.id, self.worker_id, ctx.lease_lost)
        return True

    # --- Druid tasks: grouped by the submitter, one thread per task -------------------------------------------

    def _submit_ready(self) -> None:
        """Give the staged jobs Druid tasks, as many as there are free slots (one submitter at a time among all
        workers: the others skip the round)."""
        settings = self.settings
        planned: list[tuple[str, list[uuid.UUID]]] = []
        with session_scope() as session:
            if not druid_tasks_repository.lock_submissions(session):
                return
            now = druid_tasks_repository.submit_round(
                session, max_running=settings.druid_max_running_tasks,
                min_interval_s=settings.druid_min_submit_interval_s, limit=_ROUND_LIMIT)
            if now is None:
                return
            plans = [] if now.spacing_wait_s > 0 else plan_tasks(
                now.ready, self.policy, now.free_slots, now.datasources_validating, now.datasources_in_druid)
            if settings.druid_min_submit_interval_s > 0:
                plans = plans[:1]  # spaced submissions: one per interval
            for plan in plans:
                task_id = _task_id(plan)
                assigned = druid_tasks_repository.assign_task(session, task_id, plan.job_ids, self.worker_id,
                                                              settings.worker_lease_s)
                if assigned:
                    planned.append((task_id, assigned))
            self._note_waiting(session, now, {job_id for _, ids in planned for job_id in ids})
        for task_id, _ in planned:
            self._follow(task_id)

    def _note_waiting(self, session: Any, now: druid_tasks_repository.SubmitRound, leaving: set[uuid.UUID]) -> None:
        """Once per job: why it is still waiting when no Druid slot is free."""
        if now.free_slots > 0 and now.spacing_wait_s <= 0:
            return
        reason = (f"submissions are spaced {self.settings.druid_min_submit_interval_s:g} s apart"
                  if now.spacing_wait_s > 0 else
                  f"{now.running} of {self.settings.druid_max_running_tasks} Druid slots are in use")
        for job in now.ready:
            if job.id in leaving or job.id in self.waiting_noted:
                continue
            self.waiting_noted.add(job.id)
            events_repository.add_event(session, job.id, JobState.submitting, f"Waiting for a Druid slot: {reason}",
                                        {"reason": reason})

    def _take_over_tasks(self) -> None:
        """Follow the Druid tasks whose worker let go of them (or died), a whole task at a time."""
        while not self.stopping.is_set():
            with session_scope() as session:
                task_id = druid_tasks_repository.claim_orphaned_task(session, self.worker_id,
                                                                     self.settings.worker_lease_s)
            if task_id is None:
                return
            with self._lock:
                running = task_id in self.tasks
            if not running:
                self._follow(task_id)

    def _follow(self, task_id: str) -> None:
        ctx = self._context()
        with self._lock:
            self.tasks[task_id] = ctx
        self._start(f"task-{task_id[-12:]}", self._run_task, ctx, task_id)

    def _run_task(self, ctx: StepContext, task_id: str) -> None:
        run = TaskRun(ctx, task_id)
        held: list[uuid.UUID] = []

        def step() -> bool:
            members = run.held_members()
            held[:] = [job.id for job in members]
            if members and members[0].kind is not JobKind.ingest:
                run_operation(run)  # a compaction or retraction: one job, to its end
            elif members:
                run_task(run)  # to the members' ends, or back to submitting (sent again in another task)
            return False

        try:
            self._drive(ctx, held, step)
        finally:
            with self._lock:
                self.tasks.pop(task_id, None)
            with session_scope() as session:
                everyone = [job.id for job in druid_tasks_repository.members(session, task_id)]
            self._release(everyone)
            self.wake.set()

    # --- shared by both ---------------------------------------------------------------------------------------

    def _context(self) -> StepContext:
        return StepContext(self.settings, self.store, self.overlord, self.broker, self.worker_id)

    def _start(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _drive(self, ctx: StepContext, job_ids: list[uuid.UUID], step: Callable[[], bool]) -> None:
        """Run `step` until it says there is nothing left or the jobs are no longer ours; one place decides what
        a fault means. `job_ids` are the jobs the step works on (read again after every attempt)."""
        policy = RetryPolicy.from_settings(self.settings)
        failures = 0
        while not self.stopping.is_set():
            try:
                if not step():
                    return
                failures = 0
            except LeaseLost:
                log.warning("lease lost; leaving the job to its new owner", extra={"worker": self.worker_id})
                return
            except Exception as exc:
                if is_transient(exc):
                    failures += 1
                    delay = policy.delay_before(failures)
                    if delay is not None:
                        for job_id in job_ids:
                            self._note_retry(ctx, job_id, exc, failures, policy.attempts, delay)
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
                    error = exc
                else:
                    log.exception("step crashed")
                    error = IngestError(ErrorCode.internal_error, f"Unexpected error: {exc!r}")
                for job_id in job_ids:
                    self._end(ctx, job_id, error)
                return

    def _note_retry(
        self, ctx: StepContext, job_id: uuid.UUID, exc: Exception, failures: int, attempts: int, delay: float,
    ) -> None:
        reason = exc.message if isinstance(exc, IngestError) else f"{type(exc).__name__}: {exc}"
        log.warning("transient fault; retrying", extra={"reason": reason, "failure": failures, "delay_s": delay})
        message = f"Transient fault, retrying in {delay:.1f} s ({failures}/{attempts - 1}): {reason}"[:1000]
        details = {"failure": failures, "delay_s": round(delay, 2)}
        try:
            state = ctx.load_state(job_id)
            if state is None or state in TERMINAL_STATES:
                return
            ctx.add_event(job_id, state, message, details)
        except Exception as record_error:
            log.warning("could not record the retry now; it is recorded once the database answers",
                        extra={"error": first_line(record_error)})
            self.unrecorded.append(UnrecordedEvent(job_id, datetime.now(UTC), message, details))

    def _release(self, job_ids: list[uuid.UUID]) -> None:
        try:
            with session_scope() as session:
                druid_tasks_repository.release_all(session, job_ids, self.worker_id)
        except Exception as exc:
            # The lease runs out by itself; then any worker claims the job again.
            log.warning("could not release jobs; their leases will expire", extra={"error": str(exc)[:300]})

    def _sweep_storage(self) -> None:
        try:
            sweep_storage(self.store, timedelta(seconds=self.settings.janitor_min_age_s),
                          delete_orphans=self.settings.janitor_delete_orphans)
        except Exception as exc:
            log.warning("storage sweep failed; trying again later", exc_info=not is_transient(exc),
                        extra={"error": first_line(exc)})

    def _record_late_events(self) -> None:
        record_late_events(self.unrecorded)

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

    def _heartbeat(self) -> None:
        """One heartbeat for every job this worker holds: the CPU ones by id, the Druid ones by task."""
        while not self.stopping.wait(self.settings.worker_heartbeat_s):
            with self._lock:
                jobs = dict(self.jobs)
                tasks = dict(self.tasks)
            try:
                with session_scope() as session:
                    held = druid_tasks_repository.extend_leases(session, list(jobs), self.worker_id,
                                                                self.settings.worker_lease_s)
                    held_tasks = druid_tasks_repository.extend_task_leases(
                        session, list(tasks), self.worker_id, self.settings.worker_lease_s)
            except Exception as exc:
                log.warning("heartbeat failed; will retry", exc_info=not is_transient(exc),
                            extra={"error": first_line(exc)})
                continue
            for job_id, ctx in jobs.items():
                if job_id not in held:
                    ctx.lease_lost.set()
            for task_id, ctx in tasks.items():
                if task_id not in held_tasks:
                    ctx.lease_lost.set()


def _task_id(plan: PlannedTask) -> str:
    if len(plan.jobs) == 1:
        job = plan.jobs[0]
        return solo_task_id(job.datasource, job.id, job.attempt)
    return shared_task_id(plan.datasource)
