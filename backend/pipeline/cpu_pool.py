"""The worker's CPU-bound step (reading, validating and staging a file) in a pool of processes, so that several
jobs' validations really run in parallel (Polars releases the GIL, Pandera and the Python around it do not).

The pool has as many processes as the cores the worker may use (INGEST_WORKER_CPU_PROCESSES to choose). A job
thread hands its job id to the pool and waits; the process loads the job, checks it still holds the lease (every
write it makes is guarded by the lease in SQL, so a cancelled or taken-over job stops at its next batch), runs
the step and returns. Errors come back pickled whole (IngestError keeps its code and details).

Processes are started by "spawn" (no inherited locks, threads or connections) and die with the worker: each
watches its parent and exits when it is gone, so a SIGKILLed worker leaves nothing validating in its name.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import TypeVar

from backend.druid.overlord import OverlordClient
from backend.druid.sql import BrokerSqlClient
from backend.errors import ErrorCode, IngestError
from backend.logging_setup import configure_logging, current_job_id
from backend.pipeline.context import LeaseLost, StepContext
from backend.pipeline.records_step import validate_records
from backend.pipeline.validate_step import validate_and_stage
from backend.settings import Settings
from backend.storage.object_store import ObjectStore
from backend.vocabulary import JobState

log = logging.getLogger("backend.worker")
T = TypeVar("T")
_PARENT_CHECK_S = 1.0


def cpu_processes(settings: Settings) -> int:
    return settings.worker_cpu_processes or max(1, len(os.sched_getaffinity(0)))


class CpuPool:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.size = cpu_processes(settings)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start every process now, from the calling thread, and wait until each has imported the pipeline."""
        executor = self._ensure()
        warm = [executor.submit(_ready) for _ in range(self.size)]
        for future in warm:
            future.result()

    def validate(self, job_id: uuid.UUID, worker_id: str, abandon: threading.Event) -> None:
        """Run the job's validation step in a process; returns when it ends, or at once when `abandon` is set
        (the job is no longer this worker's: the process notices by itself at its next guarded write)."""
        self._run(abandon, _validate, job_id, worker_id)

    def validate_records(self, job_ids: list[uuid.UUID], worker_id: str, abandon: threading.Event) -> list[uuid.UUID]:
        """Validate small records posts together (backend.pipeline.records_step); the ids left to the single path."""
        left: list[uuid.UUID] = self._run(abandon, _validate_records, job_ids, worker_id)
        return left

    def _run(self, abandon: threading.Event, function: Callable[..., T], *args: object) -> T:
        try:
            future: Future[T] = self._ensure().submit(function, *args)
        except BrokenProcessPool:
            self._replace()
            raise IngestError(ErrorCode.worker_process_lost,
                              "The validation process pool broke; starting again.") from None
        while True:
            done, _ = wait([future], timeout=0.5, return_when=FIRST_COMPLETED)
            if done:
                break
            if abandon.is_set():
                raise LeaseLost()
        try:
            return future.result()
        except BrokenProcessPool:
            # A process died under the job (killed, out of memory): a fault of the machine, tried again.
            self._replace()
            raise IngestError(ErrorCode.worker_process_lost,
                              "The process validating this job died; the step is tried again.") from None

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            _terminate(executor)

    def _ensure(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.size, mp_context=get_context("spawn"),
                    initializer=_init_process, initargs=(self.settings, os.getpid()),
                )
            return self._executor

    def _replace(self) -> None:
        log.warning("the validation process pool broke; starting a new one")
        self.shutdown()


def _terminate(executor: ProcessPoolExecutor) -> None:
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()


# --- in the pool's processes -------------------------------------------------------------------------------


@dataclass
class _Process:
    settings: Settings
    store: ObjectStore
    overlord: OverlordClient
    broker: BrokerSqlClient


_process: _Process | None = None


def _init_process(settings: Settings, parent_pid: int) -> None:
    global _process
    configure_logging(settings.log_level)
    _process = _Process(settings, ObjectStore(settings),
                        OverlordClient(settings.druid_overlord_url, settings.druid_request_timeout_s),
                        BrokerSqlClient(settings.druid_broker_url, settings.druid_request_timeout_s))
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    stop = threading.Event()
    while not stop.wait(_PARENT_CHECK_S):
        if os.getppid() != parent_pid:
            os._exit(0)


def _ready() -> None:
    """Nothing: submitted once per process at start, so that every process exists (and has imported) before the
    first job needs it."""


def _validate_records(job_ids: list[uuid.UUID], worker_id: str) -> list[uuid.UUID]:
    assert _process is not None, "the pool's initializer did not run"
    ctx = StepContext(_process.settings, _process.store, _process.overlord, _process.broker, worker_id)
    return validate_records(ctx, job_ids)


def _validate(job_id: uuid.UUID, worker_id: str) -> None:
    assert _process is not None, "the pool's initializer did not run"
    token = current_job_id.set(str(job_id))
    try:
        ctx = StepContext(_process.settings, _process.store, _process.overlord, _process.broker, worker_id)
        job = ctx.load_held_job(job_id)
        if job.state in (JobState.validating, JobState.staging):
            validate_and_stage(ctx, job)
    finally:
        current_job_id.reset(token)
