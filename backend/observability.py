"""Operating the service: request ids with one JSON access line per request, and what Postgres says about the jobs
(the source of truth for metrics and /health, since the API and the workers are separate processes)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.logging_setup import current_request_id
from backend.vocabulary import TERMINAL_STATES, JobState, Priority
from backend.settings import get_settings

access_log = logging.getLogger("backend.access")
log = logging.getLogger("backend.observability")

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept when it is plain visible ASCII of sane length; anything else is replaced, so a header can
# neither forge log structure nor grow the logs without bound.
_ACCEPTABLE_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode()

# Step durations are read from the events of jobs created within this window: the window function then touches a
# bounded number of rows however long the job history grows.
STEP_DURATION_WINDOW = timedelta(hours=24)
# Once a query has failed and this much time has gone, the scrape stops trying the database.
SCRAPE_BUDGET_S = 4.0
_TERMINAL = tuple(sorted(state.value for state in TERMINAL_STATES))


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID or makes one, exposes it to logs for the request's duration, returns it in
    the response header and logs one JSON line per request (method, path, status, duration_ms)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id_of(scope)
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        header = (_HEADER_KEY, request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # Unhandled: Starlette's outermost handler answers 500 (unless an answer had started) and logs the error
            # after this frame, so the request id stays set (the request's task ends with it) for that line too.
            _log_request(scope, status, started)
            raise
        _log_request(scope, status, started)
        current_request_id.reset(token)


def _request_id_of(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == _HEADER_KEY:
            candidate: str = value.decode("latin-1")
            if _ACCEPTABLE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def _log_request(scope: Scope, status: int, started: float) -> None:
    access_log.info(
        "request",
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )


# --- reading the job store ----------------------------------------------------------------------------------------

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
        f"SELECT state, priority, count(*) FROM jobs WHERE state NOT IN ({_terminal_list()}) GROUP BY state, priority"
    ))
    queued = {priority.name: 0 for priority in sorted(Priority, reverse=True)}
    in_progress = 0
    for state, priority, n in rows:
        if state == JobState.queued.value:
            queued[Priority(priority).name] += int(n)
        else:
            in_progress += int(n)
    return ActiveJobs(in_progress, queued)


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
            ) ev
            WHERE ev.previous_state IS DISTINCT FROM ev.state
        ) step
        WHERE j.created_at >= now() - make_interval(secs => :window_s)
          AND step.ended_at IS NOT NULL
          AND step.state NOT IN ({_terminal_list()})
        GROUP BY step.state
        """),
        {"window_s": window.total_seconds()},
    )
    return {state: StepDurations(int(n), float(seconds)) for state, n, seconds in rows}


def _terminal_list() -> str:
    # Literal state names from the enum (never user input), inlined so the planner can match the partial index.
    return ", ".join(f"'{state}'" for state in _TERMINAL)


# --- Prometheus ---------------------------------------------------------------------------------------------------

class JobStoreCollector(Collector):
    """Reads Postgres at scrape time. A failing query leaves its families out and sets druid_ingest_scrape_error 1;
    the scrape itself still answers."""

    def __init__(self, database_url: str | None = None, window: timedelta = STEP_DURATION_WINDOW) -> None:
        self.database_url = database_url
        self.window = window

    def describe(self) -> Iterable[Metric]:
        # Nothing to describe up front: registering must not query the database.
        return []

    def collect(self) -> Iterable[Metric]:
        started = time.perf_counter()
        failed = False
        for part in (self._job_families, self._active_families, self._step_families):
            if failed and time.perf_counter() - started > SCRAPE_BUDGET_S:
                break  # a sick database: answer within Prometheus' default 10 s scrape timeout instead
            try:
                with probe_session(self.database_url) as session:
                    families = list(part(session))
            except Exception as exc:
                failed = True
                log.warning("metrics query failed", extra={"part": part.__name__, "error": str(exc)[:300]})
                continue
            yield from families
        yield GaugeMetricFamily("druid_ingest_scrape_error",
                                "1 if any query of this scrape failed (its families are missing), else 0",
                                value=1 if failed else 0)
        yield GaugeMetricFamily("druid_ingest_scrape_duration_seconds", "Time spent reading the job store",
                                value=time.perf_counter() - started)

    def _job_families(self, session: Session) -> Iterator[Metric]:
        totals = totals_by_state(session)
        jobs = GaugeMetricFamily("druid_ingest_jobs", "Jobs by state", labels=["state"])
        for state in JobState:
            jobs.add_metric([state.value], totals[state].jobs if state in totals else 0)
        yield jobs
        rows = CounterMetricFamily("druid_ingest_rows", "Rows validated, by outcome", labels=["kind"])
        rows.add_metric(["valid"], sum(t.rows_valid for t in totals.values()))
        rows.add_metric(["invalid"], sum(t.rows_invalid for t in totals.values()))
        yield rows
        yield CounterMetricFamily("druid_ingest_uploaded_bytes", "Bytes of files accepted for ingestion",
                                  value=sum(t.uploaded_bytes for t in totals.values()))
        tasks = CounterMetricFamily("druid_ingest_druid_tasks",
                                    "Jobs that submitted a Druid task, by the job's final state",
                                    labels=["outcome"])
        for outcome in (JobState.succeeded, JobState.failed):
            tasks.add_metric([outcome.value], totals[outcome].with_druid_task if outcome in totals else 0)
        yield tasks

    def _active_families(self, session: Session) -> Iterator[Metric]:
        active = active_jobs(session)
        depth = GaugeMetricFamily("druid_ingest_queue_depth", "Queued jobs waiting for a worker, by priority",
                                  labels=["priority"])
        for priority, n in active.queued.items():
            depth.add_metric([priority], n)
        yield depth

    def _step_families(self, session: Session) -> Iterator[Metric]:
        steps = step_durations(session, self.window)
        summary = SummaryMetricFamily(
            "druid_ingest_step_duration_seconds",
            f"Time jobs spent in each state, steps that ended, of jobs created in the last "
            f"{self.window.total_seconds():.0f} s (a sliding window: read _sum / _count, not rate())",
            labels=["state"],
        )
        for state in JobState:
            if state not in TERMINAL_STATES:
                found = steps.get(state.value, StepDurations(0, 0.0))
                summary.add_metric([state.value], found.count, found.seconds)
        yield summary
