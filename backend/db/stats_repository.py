"""What PostgreSQL says about the jobs, for /health and the Prometheus metrics (the API and the workers are
separate processes, so the job store is the source of truth), read on a pool of its own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from backend.db.models import UNFINISHED
from backend.settings import get_settings
from backend.vocabulary import JobState, Priority

# Step durations are read from the events of jobs created within this window: the window function then touches a
# bounded number of rows however long the job history grows.
STEP_DURATION_WINDOW = timedelta(hours=24)


@lru_cache(maxsize=4)
def _probe_engine(url: str) -> Engine:
    # Its own small pool with short timeouts: a liveness probe or a scrape answers quickly when Postgres is sick and
    # never waits behind the request pool.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=2,
        max_overflow=2,
        pool_timeout=2,
        # JIT compiling costs more than these short aggregate queries save.
        connect_args={"connect_timeout": 3, "options": "-c statement_timeout=5000 -c jit=off"},
    )


@contextmanager
def probe_session(url: str | None = None) -> Iterator[Session]:
    """A read-only session on the probe pool (the configured database unless `url` says otherwise)."""
    # Closing returns the connection to the pool, which rolls the transaction back: nothing here writes.
    with Session(_probe_engine(url or get_settings().database_url)) as session:
        yield session


@dataclass(frozen=True)
class StateTotals:
    """What the jobs in one state add up to."""

    jobs: int
    rows_valid: int
    rows_invalid: int
    uploaded_bytes: int
    with_druid_task: int


@dataclass(frozen=True)
class ActiveJobs:
    """Jobs a worker is on (non-terminal, not queued) and the queue by priority name."""

    in_progress: int
    queued: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StepDurations:
    count: int
    seconds: float


def totals_by_state(session: Session) -> dict[str, StateTotals]:
    """Every job counted once, in one pass over `jobs`: counts, rows, bytes and Druid tasks per state."""
    rows = session.execute(text(
        "SELECT state, count(*), coalesce(sum(rows_valid), 0), coalesce(sum(rows_invalid), 0), "
        "coalesce(sum(size_bytes), 0), count(druid_task_id) FROM jobs GROUP BY state"
    ))
    return {
        state: StateTotals(int(jobs), int(valid), int(invalid), int(size), int(tasks))
        for state, jobs, valid, invalid, size, tasks in rows
    }


def active_jobs(session: Session) -> ActiveJobs:
    """Unfinished jobs only: the predicate is that of the partial queue index, so this reads that index."""
    rows = session.execute(text(
        f"SELECT state, priority, count(*) FROM jobs WHERE {UNFINISHED} GROUP BY state, priority"
    ))
    queued = {priority.name: 0 for priority in sorted(Priority, reverse=True)}
    in_progress = 0
    for state, priority, n in rows:
        if state == JobState.queued:
            queued[priority] += int(n)
        else:
            in_progress += int(n)
    return ActiveJobs(in_progress, queued)


@dataclass(frozen=True)
class StageLoad:
    """How many jobs are in one stage of the queue and how long the longest-waiting of them has waited."""

    jobs: int
    oldest_wait_s: float | None  # None when the stage is empty


@dataclass(frozen=True)
class QueueProgress:
    """Unfinished jobs by where they are: waiting for a worker to validate them, in validation or staging, staged
    and waiting for a Druid task (a slot, or the coalescing window), and in Druid; `druid_tasks` is how many Druid
    tasks the jobs in Druid ride in (coalesced jobs share one)."""

    waiting_validation: StageLoad
    validating: StageLoad
    waiting_druid: StageLoad
    in_druid: StageLoad
    druid_tasks: int

    def stages(self) -> dict[str, StageLoad]:
        """The four stages by name, in the order a job goes through them."""
        return {name: getattr(self, name) for name in QUEUE_STAGES}


QUEUE_STAGES = ("waiting_validation", "validating", "waiting_druid", "in_druid")

_WAITING_VALIDATION = f"state = '{JobState.queued.value}'"
_VALIDATING = f"state IN ('{JobState.validating.value}', '{JobState.staging.value}')"
_WAITING_DRUID = f"state = '{JobState.submitting.value}' AND druid_task_id IS NULL"
_IN_DRUID = (f"(state = '{JobState.submitting.value}' AND druid_task_id IS NOT NULL) "
             f"OR state = '{JobState.indexing.value}'")


def queue_progress(session: Session) -> QueueProgress:
    """Every stage's count and oldest wait in one statement over the unfinished jobs (the partial queue index's
    predicate, so the cost follows the queue, not the job history)."""
    row = session.execute(text(f"""
        SELECT count(*) FILTER (WHERE {_WAITING_VALIDATION}),
               extract(epoch FROM now() - min(updated_at) FILTER (WHERE {_WAITING_VALIDATION})),
               count(*) FILTER (WHERE {_VALIDATING}),
               extract(epoch FROM now() - min(updated_at) FILTER (WHERE {_VALIDATING})),
               count(*) FILTER (WHERE {_WAITING_DRUID}),
               -- rows staged before migration 0006 have no ready_at
               extract(epoch FROM now() - min(coalesce(ready_at, updated_at)) FILTER (WHERE {_WAITING_DRUID})),
               count(*) FILTER (WHERE {_IN_DRUID}),
               extract(epoch FROM now() - min(druid_submitted_at) FILTER (WHERE {_IN_DRUID})),
               count(DISTINCT druid_task_id) FILTER (WHERE {_IN_DRUID})
        FROM jobs
        WHERE {UNFINISHED}
    """)).one()
    return queue_progress_from_row(row)


def queue_progress_from_row(row: Sequence[Any]) -> QueueProgress:
    """The statement's nine columns as a QueueProgress. A wait is never negative: `now()` is when the reading
    transaction began, and a job may have been written a moment later."""

    def stage(jobs: int, wait: Decimal | float | None) -> StageLoad:
        return StageLoad(int(jobs), None if wait is None else max(0.0, float(wait)))

    (waiting_n, waiting_s, validating_n, validating_s, druid_wait_n, druid_wait_s,
     in_druid_n, in_druid_s, tasks) = row
    return QueueProgress(
        waiting_validation=stage(waiting_n, waiting_s),
        validating=stage(validating_n, validating_s),
        waiting_druid=stage(druid_wait_n, druid_wait_s),
        in_druid=stage(in_druid_n, in_druid_s),
        druid_tasks=int(tasks),
    )


def step_durations(session: Session, window: timedelta = STEP_DURATION_WINDOW) -> dict[str, StepDurations]:
    """Per non-terminal state: how many steps ended and the seconds they took, over jobs created within `window`.

    A step runs from the event that entered a state to the job's next event in another state (LEAD over the
    job's events). Consecutive events in one state (a warning, a takeover, "task succeeded; waiting") belong to the
    same step, so the count is of steps, not notes; the sum is the same either way. A running step is not counted.
    Per job (LATERAL) so each job's events come in id order from ix_job_events_job_id_id: the cost follows the
    jobs in the window, not the whole history (8,640 jobs a day among 1.4 M events: ~170 ms here; a plain join
    hash-joined a full scan of job_events, ~450 ms and growing with history).
    """
    rows = session.execute(
        text(f"""
        SELECT step.state, count(*), coalesce(sum(extract(epoch FROM step.ended_at - step.at)), 0)
        FROM jobs j
        CROSS JOIN LATERAL (
            SELECT ev.state, ev.at, lead(ev.at) OVER (ORDER BY ev.id) AS ended_at
            FROM (
                SELECT e.id, e.at, e.state, lag(e.state) OVER (ORDER BY e.id) AS previous_state
                FROM job_events e
                WHERE e.job_id = j.id
                  -- A retry note written after an outage carries the earlier time it happened: in id order it
                  -- would end the step before it in the past (negative durations). It changes no state anyway.
                  AND NOT coalesce((e.details ->> 'recorded_late')::boolean, false)
            ) ev
            WHERE ev.previous_state IS DISTINCT FROM ev.state
        ) step
        WHERE j.created_at >= now() - make_interval(secs => :window_s)
          AND step.ended_at IS NOT NULL
          AND step.{UNFINISHED}
        GROUP BY step.state
        """),
        {"window_s": window.total_seconds()},
    )
    return {state: StepDurations(int(n), float(seconds)) for state, n, seconds in rows}


def ping(session: Session) -> None:
    """Raises when PostgreSQL does not answer."""
    session.execute(text("SELECT 1"))
