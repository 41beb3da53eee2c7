"""A worker killed with SIGKILL while its job is indexing: another worker finishes the job, with one Druid task."""

from __future__ import annotations

import signal
from datetime import datetime

import requests

from backend.settings import get_settings

from .conftest import Service, Workers, sales_csv


def _lease_owner_pid(service: Service, job_id: str) -> int:
    from backend.db.models import Job
    from backend.db.session import session_scope

    with session_scope() as session:
        job = session.get(Job, __import__("uuid").UUID(job_id))
        assert job is not None and job.lease_owner is not None
        return int(job.lease_owner.split(":")[1])


def test_killed_worker_job_is_finished_by_another(service: Service, workers: Workers, unique_tag: str) -> None:
    job_id = service.accepted(sales_csv(unique_tag, 3000, seed=31, start=datetime(2024, 7, 1), days=3), "takeover.csv")
    job = service.wait_state(job_id, {"indexing"})
    assert job["state"] == "indexing", job
    victim = workers.by_pid(_lease_owner_pid(service, job_id))
    assert victim is not None, "the job must be held by a worker this test started"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    workers.start()  # the replacement that must take over after the lease expires

    job = service.wait(job_id)
    assert job["state"] == "succeeded", job
    assert job["druid_rows"] == 3000
    assert any("took the job over" in e["message"] for e in job["events"])
    states = [e["state"] for e in job["events"]]
    for step in ("queued", "validating", "staging", "submitting", "succeeded"):
        assert states.count(step) == 1, f"{step} recorded {states.count(step)} times: {states}"

    overlord = get_settings().druid_overlord_url
    tasks = requests.get(f"{overlord}/druid/indexer/v1/tasks", params={"datasource": "sales"}, timeout=30).json()
    mine = [t["id"] for t in tasks if job_id in t["id"]]
    assert mine == [job["druid_task_id"]], mine
    assert service.landed(job_id)[0] == 3000
