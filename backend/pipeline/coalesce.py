"""Which staged jobs go to Druid now, and together: a pure decision over the jobs waiting for a Druid task.

Append jobs of one datasource, schema version and staged format may share one index_parallel task (one input
format per task; one schema per spec). A group is cut at `max_rows` rows or `max_jobs` jobs, and sent once it is
full, once its oldest member has waited `window_s`, or at once when nothing more for that datasource is on its
way (no job of it is being validated, so waiting would gain nothing).

One task per datasource runs at a time: Druid gives an appending batch task an exclusive lock on the days it
writes, so a second task over the same days would fail to get its locks; and jobs that wait for the running task
gather into the next one, which is what keeps tasks and segments few. Replace jobs, jobs marked solo (a shared
task of theirs failed) and everything when coalescing is off get a task of their own. Groups leave in the order
of their most urgent member (priority, then age), as many as there are free Druid slots.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from backend.db.druid_tasks_repository import ReadyJob
from backend.vocabulary import Mode


@dataclass(frozen=True)
class CoalescePolicy:
    enabled: bool
    window_s: float
    max_rows: int
    max_jobs: int


@dataclass(frozen=True)
class PlannedTask:
    """Jobs to submit in one Druid task, most urgent first."""

    jobs: tuple[ReadyJob, ...]

    @property
    def job_ids(self) -> list[uuid.UUID]:
        return [job.id for job in self.jobs]

    @property
    def datasource(self) -> str:
        return self.jobs[0].datasource

    @property
    def rows(self) -> int:
        return sum(job.rows for job in self.jobs)


def plan_tasks(
    ready: Sequence[ReadyJob], policy: CoalescePolicy, free_slots: int, validating: frozenset[str],
    busy: frozenset[str] = frozenset(),
) -> list[PlannedTask]:
    """The tasks to submit now; `ready` is in queue order (priority, then age). A datasource in `busy` has a task
    running: its jobs wait for it to end."""
    if free_slots <= 0:
        return []
    groups: dict[Hashable, list[ReadyJob]] = {}
    for job in ready:
        if job.datasource not in busy:
            groups.setdefault(_group_key(job, policy), []).append(job)
    due: list[tuple[int, PlannedTask]] = []
    position = {job.id: index for index, job in enumerate(ready)}
    for key, members in groups.items():
        solo = isinstance(key, tuple) and key[0] == "solo"
        for chunk, full in _chunks(members, policy):
            waited = max(job.waited_s for job in chunk)
            if solo or full or waited >= policy.window_s or chunk[0].datasource not in validating:
                due.append((position[chunk[0].id], PlannedTask(tuple(chunk))))
    due.sort(key=lambda item: item[0])
    chosen: list[PlannedTask] = []
    for _, task in due:
        if len(chosen) < free_slots and task.datasource not in {other.datasource for other in chosen}:
            chosen.append(task)
    return chosen


def _group_key(job: ReadyJob, policy: CoalescePolicy) -> Hashable:
    if not policy.enabled or job.solo or job.mode != Mode.APPEND or job.staged_format is None:
        return ("solo", job.id)
    return ("shared", job.datasource, job.schema_version, job.staged_format)


def _chunks(members: list[ReadyJob], policy: CoalescePolicy) -> list[tuple[list[ReadyJob], bool]]:
    """Consecutive runs of at most max_jobs jobs and max_rows rows (a job larger than that alone), each with
    whether it is full."""
    chunks: list[tuple[list[ReadyJob], bool]] = []
    current: list[ReadyJob] = []
    rows = 0
    for job in members:
        if current and (rows + job.rows > policy.max_rows or len(current) >= policy.max_jobs):
            chunks.append((current, True))
            current, rows = [], 0
        current.append(job)
        rows += job.rows
    if current:
        chunks.append((current, rows >= policy.max_rows or len(current) >= policy.max_jobs))
    return chunks
