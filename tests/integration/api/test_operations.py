"""Operating it: priorities, Druid submission limits, JSON records, cancel, retry after an Overlord fault,
duplicate uploads and the PENDING deadline, each against the real stack."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import requests

from backend.settings import get_settings
from tests.polling import poll_until

from .conftest import Service, Workers, sales, sales_csv
from .overlord_double import OverlordDouble


def _csv(tag: str, rows: int, seed: int, start: datetime = datetime(2024, 9, 1)) -> bytes:
    return sales_csv(tag, rows, seed=seed, start=start, days=2)


def _event_time(job: dict[str, Any], state: str, contains: str = "") -> datetime:
    return next(datetime.fromisoformat(e["at"]) for e in job["events"]
                if e["state"] == state and contains in e["message"])


def _druid_tasks(job_id: str) -> list[dict[str, Any]]:
    url = f"{get_settings().druid_overlord_url}/druid/indexer/v1/tasks"
    tasks: list[dict[str, Any]] = requests.get(url, params={"datasource": "sales"}, timeout=30).json()
    return [t for t in tasks if job_id in t["id"]]


def test_high_priority_job_starts_before_older_low_ones(service: Service, workers: Workers, unique_tag: str) -> None:
    with workers.only():
        low = [service.accepted(_csv(unique_tag, 50, 50 + i), f"low-{i}.csv", priority="LOW") for i in range(2)]
        high = service.accepted(_csv(unique_tag, 50, 60), "high.csv", priority="HIGH")
        workers.start()
        jobs = {job_id: service.wait(job_id) for job_id in [*low, high]}
    assert all(job["state"] == "succeeded" for job in jobs.values()), jobs
    started = {job_id: _event_time(job, "validating") for job_id, job in jobs.items()}
    assert started[high] < started[low[0]] < started[low[1]]
    # The three may share one Druid task: it runs at the priority of its most urgent job.
    task_id = jobs[high]["druid_task_id"]
    assert requests.get(f"{get_settings().druid_overlord_url}/druid/indexer/v1/task/{task_id}",
                        timeout=30).json()["payload"]["context"]["priority"] == 75


def test_submission_limits_hold_jobs_back_in_priority_order(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    with workers.only():
        ids = [service.accepted(_csv(unique_tag, 200, 70 + i), f"limited-{i}.csv") for i in range(3)]
        for _ in range(3):
            workers.start(INGEST_DRUID_MAX_RUNNING_TASKS="1", INGEST_DRUID_MIN_SUBMIT_INTERVAL_S="2",
                          INGEST_DRUID_COALESCE="false")
        jobs = [service.wait(job_id, timeout_s=300) for job_id in ids]
    assert all(job["state"] == "succeeded" for job in jobs), jobs
    waited = [job for job in jobs if any("Waiting for a Druid slot" in e["message"] for e in job["events"])]
    assert waited, "with one slot and three workers, someone must have waited"
    spans = sorted((_event_time(j, "indexing", "Submitted"), _event_time(j, "succeeded")) for j in jobs)
    for (_, end), (next_start, _) in pairwise(spans):
        assert next_start >= end, f"two jobs held a Druid task at once: {spans}"
    for (start, _), (next_start, _) in pairwise(spans):
        assert next_start - start >= timedelta(seconds=2), spans


def test_ten_thousand_json_records_land_exactly(service: Service, unique_tag: str) -> None:
    frame = sales(unique_tag, 10_000, seed=80, start=datetime(2024, 10, 1), days=3)
    body = json.dumps(frame.to_dicts()).encode()
    response = requests.post(f"{service.url}/api/v1/datasources/sales/records", data=body,
                             headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 202, response.text
    job = service.wait(response.json()["job_id"])
    assert job["state"] == "succeeded", job
    assert job["druid_rows"] == 10_000
    rows, revenue = service.landed(job["job_id"])
    assert rows == 10_000
    assert abs(revenue - float(frame["Revenue"].sum())) < 0.01


def test_one_json_record_with_an_error_names_its_position(service: Service, unique_tag: str) -> None:
    record = sales(unique_tag, 1, seed=81).to_dicts()[0] | {"Quantity": -1}
    response = requests.post(f"{service.url}/api/v1/datasources/sales/records", json=record, timeout=30)
    assert response.status_code == 202, response.text
    job = service.wait(response.json()["job_id"])
    assert job["state"] == "rejected"
    assert [(e["row"], e["column"]) for e in service.errors(job["job_id"])["items"]] == [(1, "Quantity"),
                                                                                          (1, "Revenue")]
    unknown = requests.post(f"{service.url}/api/v1/datasources/nope/records", json=record, timeout=30)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_datasource"


def test_one_json_record_after_a_bom_and_whitespace_is_read_as_that_record(service: Service, unique_tag: str) -> None:
    # A single object is stored wrapped as `[object]`; what stood before its `{` must not end up inside the array.
    record = sales(unique_tag, 1, seed=82).to_dicts()[0] | {"Quantity": -2}
    body = b"\xef\xbb\xbf \r\n" + json.dumps(record).encode()
    response = requests.post(f"{service.url}/api/v1/datasources/sales/records", data=body,
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 202, response.text
    job = service.wait(response.json()["job_id"])
    assert (job["state"], job["format"], job["rows_total"]) == ("rejected", "json", 1), job
    assert [(e["row"], e["column"]) for e in service.errors(job["job_id"])["items"]] == [(1, "Quantity"),
                                                                                          (1, "Revenue")]


def test_cancel_an_indexing_job_shuts_its_druid_task_down(service: Service, unique_tag: str) -> None:
    job_id = service.accepted(_csv(unique_tag, 300_000, 90, datetime(2024, 11, 1)), "big.csv")
    job = service.wait_state(job_id, {"indexing"}, timeout_s=180)
    assert job["state"] == "indexing", job
    response = requests.post(f"{service.url}/api/v1/jobs/{job_id}/cancel", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "cancelled"
    job = service.wait(job_id)
    assert job["state"] == "cancelled"
    overlord = get_settings().druid_overlord_url
    status = requests.get(f"{overlord}/druid/indexer/v1/task/{job['druid_task_id']}/status", timeout=30).json()
    assert status["status"]["status"] == "FAILED"
    assert "Shutdown" in (status["status"].get("errorMsg") or "")
    assert service.landed(job_id)[0] == 0
    again = requests.post(f"{service.url}/api/v1/jobs/{job_id}/cancel", timeout=30)
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_retry_after_the_overlord_answered_503(service: Service, workers: Workers, unique_tag: str) -> None:
    with OverlordDouble(get_settings().druid_overlord_url) as double, workers.only():
        double.mode = "fail_submissions"
        workers.start(INGEST_DRUID_OVERLORD_URL=double.url, INGEST_TRANSIENT_RETRY_ATTEMPTS="3",
                      INGEST_TRANSIENT_RETRY_BASE_S="0.2")
        job_id = service.accepted(_csv(unique_tag, 100, 95, datetime(2024, 12, 1)), "retry.csv")
        failed = service.wait(job_id)
        assert (failed["state"], failed["code"]) == ("failed", "druid_unavailable"), failed
        assert "503" in failed["message"]
        assert sum("Transient fault" in e["message"] for e in failed["events"]) == 2
        assert _druid_tasks(job_id) == []

        double.mode = "pass"
        response = requests.post(f"{service.url}/api/v1/jobs/{job_id}/retry", timeout=30)
        assert response.status_code == 200, response.text
        assert (response.json()["state"], response.json()["attempt"]) == ("queued", 2)
        job = service.wait(job_id)
    assert job["state"] == "succeeded", job
    assert job["druid_rows"] == 100
    assert [t["id"] for t in _druid_tasks(job_id)] == [job["druid_task_id"]]
    assert job["druid_task_id"].endswith("attempt-2")
    again = requests.post(f"{service.url}/api/v1/jobs/{job_id}/retry", timeout=30)
    assert again.status_code == 409


def test_task_stuck_pending_is_shut_down(service: Service, workers: Workers, unique_tag: str) -> None:
    with OverlordDouble(get_settings().druid_overlord_url) as double, workers.only():
        double.mode = "pending"
        workers.start(INGEST_DRUID_OVERLORD_URL=double.url, INGEST_DRUID_PENDING_TIMEOUT_S="2")
        job = service.wait(service.accepted(_csv(unique_tag, 60, 96, datetime(2024, 12, 5)), "pending.csv"))
    assert (job["state"], job["code"]) == ("failed", "druid_task_pending_timeout"), job
    assert ("POST", f"/druid/indexer/v1/task/{job['druid_task_id']}/shutdown") in double.seen


def test_duplicate_upload_is_refused_unless_forced(service: Service, unique_tag: str) -> None:
    # The one test that sends the same bytes twice on purpose, and the one that forces.
    content = _csv(unique_tag, 20, 97, datetime(2024, 12, 9))
    first = service.accepted(content, "dup.csv")
    second = service.upload(content, "dup-again.csv", force="false")
    assert second.status_code == 409, second.text
    assert second.json()["code"] == "duplicate_upload"
    assert second.json()["details"]["job_id"] == first
    assert service.upload(content, "dup-forced.csv", force="true").status_code == 202
    service.wait(first)


def test_workers_run_at_the_configured_cpu_priority(workers: Workers) -> None:
    # Validation is batch work: on a host shared with the API it must yield the CPU to requests.
    assert get_settings().worker_nice == 10
    assert get_settings().worker_sched_idle
    with workers.only():
        expected = {
            workers.start().pid: (10, os.SCHED_IDLE),
            workers.start(INGEST_WORKER_NICE="3", INGEST_WORKER_SCHED_IDLE="false").pid: (3, os.SCHED_OTHER),
        }
        def seen() -> dict[int, tuple[int, int]]:
            return {pid: (os.getpriority(os.PRIO_PROCESS, pid), os.sched_getscheduler(pid)) for pid in expected}

        # The worker lowers its priority as it starts.
        poll_until(seen, 30, f"(nice, policy) of the workers to be {expected}", interval_s=0.1,
                   accept=lambda now_seen: now_seen == expected)
