"""Many jobs at once, against the real stack: five jobs in flight in one worker survive its SIGKILL; jobs share
Druid tasks (and their receipts stay their own); a shared task that Druid fails is split so that only the job at
fault fails; a cancelled member of a shared task lands nothing while the others land; replace jobs never share;
single records land together."""

from __future__ import annotations

import json
import signal
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from backend.db.models import Job
from backend.db.session import session_scope
from backend.settings import get_settings
from backend.storage.object_store import ObjectStore
from tests.polling import poll_until

from .conftest import Service, Workers, sales, sales_csv

_UNREACHABLE_OVERLORD = "http://127.0.0.1:9"  # the discard port: connections are refused


def _held_by(job_ids: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
    """Each job's (state, lease owner, Druid task id) as PostgreSQL has it."""
    with session_scope() as session:
        rows = {str(job_id): session.get(Job, uuid.UUID(job_id)) for job_id in job_ids}
        return {job_id: (job.state.value, job.lease_owner, job.druid_task_id)
                for job_id, job in rows.items() if job is not None}


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rfind(")") + 2:].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rfind(")") + 2:].split()[0] != "Z"


def _task_ids_in_events(job: dict[str, Any]) -> list[str]:
    return [e["details"]["task_id"] for e in job["events"]
            if e["state"] == "indexing" and "task_id" in (e.get("details") or {}) and "ubmitted" in e["message"]]


def _druid_task(task_id: str, what: str = "") -> dict[str, Any]:
    url = f"{get_settings().druid_overlord_url}/druid/indexer/v1/task/{task_id}{what}"
    body: dict[str, Any] = requests.get(url, timeout=30).json()
    return body


def test_five_jobs_in_flight_survive_their_worker_killed(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    with workers.only():
        ids = [service.accepted(sales_csv(unique_tag, 20_000, seed=200 + i, start=datetime(2024, 11, 1), days=3),
                                f"five-{i}.csv") for i in range(5)]
        victim = workers.start(INGEST_WORKER_CONCURRENCY="5")
        # All five held by the one worker at once, none finished: five in flight.
        poll_until(lambda: _held_by(ids), 120, "five jobs in flight in one worker", interval_s=0.05,
                   accept=lambda held: all(state not in {"queued", "succeeded"} and owner is not None
                                           for state, owner, _ in held.values()) and len(held) == 5)
        pool = _children(victim.pid)
        assert len(pool) >= 1, "the worker validates in processes of its own"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        orphaned = {job_id for job_id, (_, owner, _) in _held_by(ids).items()
                    if owner is not None and owner.split(":")[1] == str(victim.pid)}
        assert orphaned, "the killed worker held jobs"
        poll_until(lambda: [pid for pid in pool if _alive(pid)], 15, "the killed worker's processes to exit",
                   accept=lambda alive: not alive)
        workers.start()
        jobs = [service.wait(job_id, timeout_s=300) for job_id in ids]
    assert [job["state"] for job in jobs] == ["succeeded"] * 5, jobs
    for job in jobs:
        assert job["druid_rows"] == job["rows_valid"] == 20_000
        assert service.landed(job["job_id"])[0] == 20_000
        # One Druid task per submission: every attempt was submitted once, and the task it rode is the job's.
        submitted = _task_ids_in_events(job)
        assert len(submitted) == len(set(submitted)) == job["attempt"], submitted
        assert submitted[-1] == job["druid_task_id"]


def _stage_three_behind_an_unreachable_overlord(
    service: Service, workers: Workers, files: list[bytes]
) -> tuple[list[str], str]:
    """Three jobs validated, staged and given one shared Druid task by a worker that cannot reach the Overlord;
    that worker is then killed, leaving the task's members for another to take over."""
    ids = [service.accepted(content, f"shared-{i}.csv") for i, content in enumerate(files)]
    stuck = workers.start(INGEST_DRUID_OVERLORD_URL=_UNREACHABLE_OVERLORD, INGEST_DRUID_COALESCE_WINDOW_S="30")
    held = poll_until(lambda: _held_by(ids), 120, "three jobs to share one Druid task", interval_s=0.1,
                      accept=lambda held: len({task for _, _, task in held.values()}) == 1
                      and None not in {task for _, _, task in held.values()})
    stuck.send_signal(signal.SIGKILL)
    stuck.wait(timeout=10)
    task_id = next(iter(held.values()))[2]
    assert task_id is not None and "_shared_" in task_id, task_id
    return ids, task_id


def test_a_shared_task_that_druid_fails_is_split_and_only_the_bad_job_fails(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    files = [sales_csv(unique_tag, 300, seed=210 + i, start=datetime(2024, 11, 10), days=2) for i in range(3)]
    with workers.only():
        ids, shared = _stage_three_behind_an_unreachable_overlord(service, workers, files)
        # The middle job's staged rows become unreadable before any Druid task reads them.
        bad = ids[1]
        with session_scope() as session:
            job = session.get(Job, uuid.UUID(bad))
            assert job is not None and job.staged_keys
            staged_keys = list(job.staged_keys)
        store = ObjectStore(get_settings())
        for key in staged_keys:
            store.delete(key)
        workers.start()
        jobs = {job_id: service.wait(job_id, timeout_s=300) for job_id in ids}
    assert _druid_task(shared, "/status")["status"]["status"] == "FAILED"
    good = [job_id for job_id in ids if job_id != bad]
    for job_id in good:
        job = jobs[job_id]
        assert job["state"] == "succeeded", job
        assert job["druid_rows"] == 300 and service.landed(job_id)[0] == 300
        assert job["druid_task_id"].endswith("attempt-2"), "sent again in a task of its own"
        assert any("task of its own" in e["message"] for e in job["events"]), job["events"]
    failed = jobs[bad]
    assert failed["state"] == "failed", failed
    assert failed["code"] == "druid_task_failed"
    assert failed["druid_task_id"].endswith("attempt-2")
    assert service.landed(bad)[0] == 0


def test_cancelling_a_member_of_a_shared_task_lands_none_of_its_rows(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    files = [sales_csv(unique_tag, 400, seed=220 + i, start=datetime(2024, 11, 15), days=2) for i in range(3)]
    with workers.only():
        ids = [service.accepted(content, f"cancel-shared-{i}.csv") for i, content in enumerate(files)]
        workers.start(INGEST_DRUID_COALESCE_WINDOW_S="30")
        victim = ids[1]
        running = poll_until(lambda: service.job(victim), 120, "the shared task to run", interval_s=0.1,
                             accept=lambda job: job["state"] == "indexing")
        shared = running["druid_task_id"]
        assert "_shared_" in shared, shared
        assert {service.job(job_id)["druid_task_id"] for job_id in ids} == {shared}
        response = requests.post(f"{service.url}/api/v1/jobs/{victim}/cancel", timeout=60)
        assert response.status_code == 200, response.text
        jobs = {job_id: service.wait(job_id, timeout_s=300) for job_id in ids}
    assert jobs[victim]["state"] == "cancelled", jobs[victim]
    assert service.landed(victim)[0] == 0
    for job_id in ids:
        if job_id == victim:
            continue
        job = jobs[job_id]
        assert job["state"] == "succeeded", job
        assert service.landed(job_id)[0] == job["druid_rows"] == 400
        assert any("was cancelled" in e["message"] and victim in e["message"] for e in job["events"]), job["events"]
        assert job["druid_task_id"] != shared


def test_replace_jobs_never_share_a_task_and_appends_do(service: Service, workers: Workers, unique_tag: str) -> None:
    start = datetime(2024, 11, 20)
    with workers.only():
        appends = [service.accepted(sales_csv(unique_tag, 200, seed=230 + i, start=start, days=2), f"append-{i}.csv")
                   for i in range(3)]
        replace = service.accepted(sales_csv(unique_tag, 200, seed=239, start=datetime(2024, 11, 25), days=1),
                                   "replace.csv", mode="replace")
        workers.start(INGEST_DRUID_COALESCE_WINDOW_S="30")
        jobs = {job_id: service.wait(job_id, timeout_s=300) for job_id in [*appends, replace]}
    assert all(job["state"] == "succeeded" for job in jobs.values()), jobs
    assert jobs[replace]["druid_task_id"].endswith(f"{replace}_attempt-1")
    members = [job for job in jobs.values() if job["druid_task_id"] == jobs[replace]["druid_task_id"]]
    assert len(members) == 1
    shared = {jobs[job_id]["druid_task_id"] for job_id in appends}
    assert len(shared) == 1 and "_shared_" in next(iter(shared)), shared
    assert any("with 2 other jobs" in e["message"] for e in jobs[appends[0]]["events"])
    # Druid kept exactly the members' rows of the shared task (its filter names them all).
    spec = _druid_task(next(iter(shared)))["payload"]["spec"]["dataSchema"]["transformSpec"]["filter"]
    assert sorted(spec["values"]) == sorted(appends)
    for job_id in [*appends, replace]:
        assert service.landed(job_id)[0] == 200


def test_single_records_land_together_each_with_its_own_outcome(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    frame = sales(unique_tag, 33, seed=240, start=datetime(2024, 12, 1), days=1)
    records = [{key: value.isoformat() if isinstance(value, datetime) else value for key, value in row.items()}
               for row in frame.to_dicts()]
    for bad in (records[5], records[17], records[29]):
        bad["Quantity"] = -5  # invalid: these three are rejected, each with its own error
    ids = []
    with workers.only():  # posted while no worker runs, so that they are validated together
        for record in records:
            response = requests.post(f"{service.url}/api/v1/datasources/sales/records", data=json.dumps(record),
                                     headers={"Content-Type": "application/json"}, timeout=30)
            assert response.status_code == 202, response.text
            ids.append(response.json()["job_id"])
        workers.start()
        jobs = [service.wait(job_id) for job_id in ids]
    rejected = [jobs[i] for i in (5, 17, 29)]
    landed = [job for i, job in enumerate(jobs) if i not in (5, 17, 29)]
    assert all(job["state"] == "rejected" and job["code"] == "validation_failed" for job in rejected), rejected
    for job in rejected:
        errors = service.errors(job["job_id"])["items"]
        assert {(e["row"], e["column"]) for e in errors} >= {(1, "Quantity")}, errors
    assert all(job["state"] == "succeeded" and job["druid_rows"] == 1 for job in landed), landed
    assert any("together_with" in (e.get("details") or {}) and e["details"]["together_with"] >= 10
               for e in landed[0]["events"]), landed[0]["events"]
    tasks = {job["druid_task_id"] for job in landed}
    assert len(tasks) <= 3, f"30 records rode {len(tasks)} Druid tasks"
    rows = service.sql('SELECT COUNT(*) AS n FROM "sales" WHERE "TransactionID" LIKE ?', f"TXN-{unique_tag}-%")
    assert int(rows[0]["n"]) == 30
    for job in landed[:3]:
        assert service.landed(job["job_id"])[0] == 1
