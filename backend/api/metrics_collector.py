"""The Prometheus collector: reads the job store (backend.db.stats_repository) at scrape time."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from backend.db.stats_repository import (
    STEP_DURATION_WINDOW,
    QueueProgress,
    StepDurations,
    active_jobs,
    probe_session,
    queue_progress,
    step_durations,
    totals_by_state,
)
from backend.db.storage_sweeps_repository import removed_by_kind
from backend.pipeline.janitor import INCOMPLETE_UPLOAD, ORPHANED_RAW_OBJECT
from backend.vocabulary import TERMINAL_STATES, JobState

log = logging.getLogger("backend.metrics")

# Once a query has failed and this much time has gone, the scrape stops trying the database.
SCRAPE_BUDGET_S = 4.0


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
        for part in (self._job_families, self._active_families, self._queue_families, self._step_families,
                     self._storage_families):
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

    def _queue_families(self, session: Session) -> Iterator[Metric]:
        yield from queue_families(queue_progress(session))

    def _storage_families(self, session: Session) -> Iterator[Metric]:
        removed = CounterMetricFamily("druid_ingest_storage_removed",
                                      "What the storage janitor removed: incomplete uploads, orphaned raw objects",
                                      labels=["kind"])
        counts = removed_by_kind(session)
        for kind in (INCOMPLETE_UPLOAD, ORPHANED_RAW_OBJECT):
            removed.add_metric([kind], counts.get(kind, 0))
        yield removed

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


def queue_families(progress: QueueProgress) -> Iterator[Metric]:
    """The queue by stage (the same figures as /health's `queue`): jobs, the oldest wait (0 when the stage is
    empty, so a gauge never disappears), and the Druid tasks the jobs in Druid ride in."""
    jobs = GaugeMetricFamily("druid_ingest_queue_jobs",
                             "Unfinished jobs by stage: waiting_validation (queued), validating (validating or "
                             "staging), waiting_druid (staged, waiting for a Druid task), in_druid",
                             labels=["stage"])
    oldest = GaugeMetricFamily("druid_ingest_queue_oldest_wait_seconds",
                               "How long the longest-waiting job of each stage has been in it; 0 when empty",
                               labels=["stage"])
    for stage, load in progress.stages().items():
        jobs.add_metric([stage], load.jobs)
        oldest.add_metric([stage], load.oldest_wait_s or 0.0)
    yield jobs
    yield oldest
    yield GaugeMetricFamily("druid_ingest_druid_tasks_running",
                            "Druid tasks our jobs ride in now (submitted or indexing; coalesced jobs share one)",
                            value=progress.druid_tasks)
