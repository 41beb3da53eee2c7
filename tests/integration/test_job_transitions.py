"""State changes of many jobs at once (jobs_repository.transition_many) against the real PostgreSQL: the guard
per job, one event per job moved and none for the others, and a heartbeat over the same rows meanwhile."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from backend.db import druid_tasks_repository, events_repository, jobs_repository
from backend.db.models import Job, JobEvent
from backend.db.session import session_scope
from backend.pipeline.worker import UnrecordedEvent, record_late_events
from backend.vocabulary import JobState, Mode, OnInvalid, Priority

WORKER = "transitions-test-worker"
DATASOURCE = "transitions_test"


@pytest.fixture(autouse=True)
def _datasource() -> Iterator[None]:
    """Jobs need a datasource row; the schema behind it does not matter here (it has none: the row and the jobs,
    which have no upload behind them, are deleted afterwards, so no later test or worker ever meets them)."""
    with session_scope() as session:
        session.execute(text("INSERT INTO datasources (name, druid_datasource, current_schema_version) "
                             "VALUES (:name, :name, 1) ON CONFLICT DO NOTHING"), {"name": DATASOURCE})
    yield
    with session_scope() as session:
        session.execute(text("DELETE FROM jobs WHERE datasource = :name"), {"name": DATASOURCE})
        session.execute(text("DELETE FROM datasources WHERE name = :name"), {"name": DATASOURCE})


def _jobs(count: int, state: JobState, owner: str | None) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    with session_scope() as session:
        for job_id in ids:
            session.add(Job(id=job_id, datasource=DATASOURCE, schema_version=1, filename="r.json", size_bytes=1,
                            sha256=uuid.uuid4().hex, raw_key=f"raw/{job_id}", priority=Priority.MEDIUM,
                            on_invalid=OnInvalid.skip, mode=Mode.APPEND, state=state, attempt=1, progress=0,
                            lease_owner=owner,
                            # Held far into the future: no worker of the suite claims these meanwhile.
                            lease_expires_at=datetime.now(UTC) + timedelta(hours=1) if owner else None))
    return ids


def _rows(ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[JobState, int | None, int]]:
    with session_scope() as session:
        jobs = session.scalars(select(Job).where(Job.id.in_(ids))).all()
        events = session.scalars(select(JobEvent).where(JobEvent.job_id.in_(ids))).all()
        return {job.id: (job.state, job.rows_valid, sum(1 for e in events if e.job_id == job.id)) for job in jobs}


def test_each_job_moves_under_its_own_guard_with_its_own_event() -> None:
    held = _jobs(3, JobState.validating, WORKER)
    elsewhere = _jobs(1, JobState.validating, "another-worker")
    ended = _jobs(1, JobState.cancelled, None)
    moves = [jobs_repository.Move(job_id, f"Validated: {n} valid rows", {"n": n}, {"rows_valid": n, "progress": 50})
             for n, job_id in enumerate(held + elsewhere + ended)]
    with session_scope() as session:
        moved = jobs_repository.transition_many(session, moves, JobState.staging, lease_owner=WORKER)
    assert moved == set(held)
    rows = _rows(held + elsewhere + ended)
    assert [rows[job_id] for job_id in held] == [(JobState.staging, 0, 1), (JobState.staging, 1, 1),
                                                (JobState.staging, 2, 1)]
    assert rows[elsewhere[0]] == (JobState.validating, None, 0)
    assert rows[ended[0]] == (JobState.cancelled, None, 0)
    with session_scope() as session:
        messages = session.scalars(select(JobEvent.message).where(JobEvent.job_id == held[2])).all()
    assert messages == ["Validated: 2 valid rows"]


def test_a_terminal_move_releases_the_lease_and_sets_finished_at() -> None:
    held = _jobs(2, JobState.indexing, WORKER)
    with session_scope() as session:
        jobs_repository.transition_many(
            session, [jobs_repository.Move(job_id, "1 rows are queryable in Druid", {}, {"druid_rows": 1})
                      for job_id in held], JobState.succeeded, lease_owner=WORKER)
    with session_scope() as session:
        jobs = session.scalars(select(Job).where(Job.id.in_(held))).all()
    assert {(job.state, job.druid_rows, job.lease_owner, job.finished_at is not None) for job in jobs} == {
        (JobState.succeeded, 1, None, True)}


def test_moves_must_set_the_same_columns() -> None:
    held = _jobs(2, JobState.validating, WORKER)
    moves = [jobs_repository.Move(held[0], "a", {}, {"progress": 1}),
             jobs_repository.Move(held[1], "b", {}, {"progress": 1, "rows_valid": 1})]
    with session_scope() as session:
        try:
            jobs_repository.transition_many(session, moves, JobState.staging, lease_owner=WORKER)
        except ValueError as error:
            assert "same columns" in str(error)
        else:
            raise AssertionError("mixed columns were accepted")


def test_batches_and_heartbeats_over_the_same_rows_never_deadlock() -> None:
    # Before rows were locked in id order, a batch recording 500 outcomes and the heartbeat over the same jobs
    # deadlocked (seen in bench/throughput.py part 2). Here a heartbeat beats without pause over 400 jobs while
    # they are moved, in batches, through three states.
    held = _jobs(400, JobState.validating, WORKER)
    problems: list[BaseException] = []
    done = threading.Event()

    def beat() -> None:
        try:
            while not done.is_set():
                with session_scope() as session:
                    druid_tasks_repository.extend_leases(session, held, WORKER, 60)
        except BaseException as error:  # reported by the main thread
            problems.append(error)

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for target in (JobState.staging, JobState.submitting, JobState.indexing):
            for start in range(0, len(held), 100):
                part = held[start:start + 100]
                with session_scope() as session:
                    moved = jobs_repository.transition_many(
                        session, [jobs_repository.Move(job_id, str(target), {}, {"progress": 50}) for job_id in part],
                        target, lease_owner=WORKER)
                assert moved <= set(part)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not problems, problems
    assert {state for state, _, _ in _rows(held).values()} == {JobState.indexing}


def test_retry_notes_recorded_late_keep_the_state_they_happened_in() -> None:
    # PostgreSQL was down while a job was indexing; the worker kept its retry notes and the job succeeded before
    # they could be written. Seen in CI: the notes took the job's state at writing time, so the ending appeared
    # three times.
    [job_id] = _jobs(1, JobState.succeeded, None)
    start = datetime.now(UTC) - timedelta(minutes=5)
    with session_scope() as session:
        for offset_s, state in ((0, JobState.queued), (10, JobState.indexing), (60, JobState.succeeded)):
            events_repository.add_event(session, job_id, state, state.value, {},
                                        at=start + timedelta(seconds=offset_s))
    notes = [UnrecordedEvent(job_id, start + timedelta(seconds=s), f"Transient fault {s}", {"failure": i})
             for i, s in enumerate((20, 30), start=1)]
    record_late_events(notes)
    assert notes == []
    with session_scope() as session:
        history = session.execute(select(JobEvent.state, JobEvent.message).where(JobEvent.job_id == job_id)
                                  .order_by(JobEvent.at)).all()
    assert [state for state, _ in history] == [JobState.queued, JobState.indexing, JobState.indexing,
                                               JobState.indexing, JobState.succeeded], history
    assert all("recorded late" in message for state, message in history[2:4])
