"""The fault matrix: a fault injected into a running job (or upload), then what must hold: every job ends exactly
once (succeeded with Druid's count equal to rows_valid, or cancelled with no rows in Druid), one Druid task per
attempt, nothing half-recorded; the time to recover is recorded in the table the session prints.

Faults here touch only processes the tests start (workers, an API), so the suite can run beside other sessions.
Stack-wide faults (PostgreSQL, S3, the Overlord, the indexer) are in test_outages.py and test_operations.py.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from mypy_boto3_s3 import S3Client

from backend.settings import REPO_ROOT, Settings, get_settings
from tests.polling import poll_until

from .conftest import Service, Workers, sales_csv
from .fault_matrix import ROWS, FaultRow
from .overlord_double import OverlordDouble


def _druid_tasks(job_id: str) -> list[str]:
    url = f"{get_settings().druid_overlord_url}/druid/indexer/v1/tasks"
    tasks: list[dict[str, Any]] = requests.get(url, params={"datasource": "sales"}, timeout=30).json()
    return [str(t["id"]) for t in tasks if job_id in t["id"]]


def _lease_owner_pid(job_id: str) -> int:
    from backend.db.models import Job
    from backend.db.session import session_scope

    with session_scope() as session:
        job = session.get(Job, uuid.UUID(job_id))
        assert job is not None and job.lease_owner is not None, "the job has no worker"
        return int(job.lease_owner.split(":")[1])


def _record(fault: str, service: Service, job: dict[str, Any], recovery_s: float | None) -> None:
    """Check what must hold after any fault and add the job's row to the matrix."""
    job_id = job["job_id"]
    tasks = _druid_tasks(job_id)
    attempts = {t.rsplit("attempt-", 1)[1] for t in tasks}
    assert len(tasks) == len(attempts), f"more than one Druid task for an attempt: {tasks}"
    landed = service.landed(job_id)[0]
    if job["state"] == "succeeded":
        assert landed == job["druid_rows"] == job["rows_valid"], job
    else:
        assert landed == 0, f"a {job['state']} job has {landed} rows in Druid"
    states = [e["state"] for e in job["events"]]
    assert states.count(job["state"]) == 1, f"the ending was recorded {states.count(job['state'])} times"
    ROWS.append(FaultRow(fault, 1, job["state"], f"{len(tasks)} task(s), {len(attempts)} attempt(s)",
                         "yes" if job["state"] != "succeeded" or landed == job["rows_valid"] else "NO", recovery_s))


@pytest.mark.parametrize("state", ["validating", "indexing"])
def test_worker_killed_in_a_state(service: Service, workers: Workers, unique_tag: str, state: str) -> None:
    with workers.only():
        workers.start()
        job_id = service.accepted(sales_csv(unique_tag, 200_000, seed=160, start=datetime(2024, 5, 1), days=2),
                                  f"kill-{state}.csv")
        assert service.wait_state(job_id, {state}, timeout_s=180)["state"] == state
        victim = workers.by_pid(_lease_owner_pid(job_id))
        assert victim is not None
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        killed_at = time.monotonic()
        workers.start()  # as an operator (or `app up`'s supervisor) would
        job = service.wait(job_id, timeout_s=300)
    assert job["state"] == "succeeded", job
    assert any("took the job over" in e["message"] for e in job["events"])
    _record(f"worker SIGKILL in {state}", service, job, time.monotonic() - killed_at)


def test_worker_killed_while_submitting(service: Service, workers: Workers, unique_tag: str) -> None:
    # The Overlord answers 503 to submissions, so the job sits in `submitting` retrying when its worker dies.
    with OverlordDouble(get_settings().druid_overlord_url) as double, workers.only():
        double.mode = "fail_submissions"
        worker = workers.start(INGEST_DRUID_OVERLORD_URL=double.url, INGEST_TRANSIENT_RETRY_ATTEMPTS="50",
                               INGEST_TRANSIENT_RETRY_BASE_S="0.5", INGEST_TRANSIENT_RETRY_MAX_S="1")
        job_id = service.accepted(sales_csv(unique_tag, 500, seed=161), "kill-submitting.csv")
        poll_until(lambda: any("Transient fault" in e["message"] for e in service.job(job_id)["events"]) or None,
                   120, "a failed submission")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        killed_at = time.monotonic()
        workers.start()
        job = service.wait(job_id, timeout_s=300)
    assert job["state"] == "succeeded", job
    _record("worker SIGKILL in submitting", service, job, time.monotonic() - killed_at)


@pytest.mark.parametrize("state", ["queued", "validating", "indexing"])
def test_cancel_in_a_state(service: Service, workers: Workers, unique_tag: str, state: str) -> None:
    with workers.only():
        if state != "queued":
            workers.start()
        job_id = service.accepted(sales_csv(unique_tag, 200_000, seed=162, start=datetime(2024, 4, 1), days=2),
                                  f"cancel-{state}.csv")
        if state != "queued":
            assert service.wait_state(job_id, {state}, timeout_s=180)["state"] == state
        started = time.monotonic()
        response = requests.post(f"{service.url}/api/v1/jobs/{job_id}/cancel", timeout=60)
        assert response.status_code == 200, response.text
        job = service.wait(job_id)
    assert job["state"] == "cancelled", job
    _record(f"cancel in {state}", service, job, time.monotonic() - started)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def doomed_api(service: Service) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--workers", "1"],
                               cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    poll_until(lambda: requests.get(f"{url}/ready", timeout=2).status_code == 200 or None, 60, "the API",
               ignore=(requests.RequestException,))
    yield url, process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=20)


def test_api_killed_mid_upload_leaves_no_job_and_the_janitor_aborts_the_upload(
    service: Service, doomed_api: tuple[str, subprocess.Popen[bytes]], s3: S3Client, settings: Settings,
    unique_tag: str,
) -> None:
    url, api = doomed_api
    filename = f"killed-{unique_tag}.csv"
    boundary = "faultmatrixboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode()
    chunk = sales_csv(unique_tag, 100_000)  # ~11 MB: more than one 8 MiB part reaches S3 before the kill

    def body() -> Iterator[bytes]:
        yield head
        yield chunk
        # The API has written at least one part; it dies before the upload completes.
        poll_until(lambda: _incomplete(s3, settings, filename) or None, 60, "a part of the upload in S3")
        api.send_signal(signal.SIGKILL)
        yield b"x" * 1024

    with pytest.raises(requests.RequestException):
        requests.post(f"{url}/api/v1/uploads", data=body(), timeout=60,
                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    started = time.monotonic()
    listed = requests.get(f"{service.url}/api/v1/jobs", params={"limit": 500}, timeout=30).json()["items"]
    assert filename not in [j["filename"] for j in listed], "a job exists for an upload that never completed"
    (key,) = _incomplete(s3, settings, filename)
    def sweep() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "backend.cli", "janitor", "--min-age-s", "0", "--prefix",
                               key.rsplit("/", 1)[0] + "/"], cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=60, check=False)

    # Exit 1: a worker's periodic sweep held the janitor's lock; the next try gets it.
    swept = poll_until(sweep, 60, "a sweep that aborts the upload", interval_s=1,
                       accept=lambda done: done.returncode == 0)
    assert key in swept.stdout, swept.stdout + swept.stderr
    assert _incomplete(s3, settings, filename) == []
    ROWS.append(FaultRow("API SIGKILL mid-upload", 0, "no job; upload aborted by the janitor", "0", "-",
                         time.monotonic() - started))


def _incomplete(s3: S3Client, settings: Settings, filename: str) -> list[str]:
    uploads = s3.list_multipart_uploads(Bucket=settings.s3_bucket, Prefix="raw/").get("Uploads", [])
    return [u["Key"] for u in uploads if u["Key"].endswith("/" + filename)]


def test_worker_killed_after_druid_accepted_the_task_before_it_knew(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    # The Overlord accepts the task but its answer never reaches the worker; the worker dies waiting. The next
    # worker must find the task Druid already has (its id is derived from the job and attempt) and follow it,
    # not submit a second one.
    with OverlordDouble(get_settings().druid_overlord_url) as double, workers.only():
        double.mode = "accept_then_hang"
        worker = workers.start(INGEST_DRUID_OVERLORD_URL=double.url, INGEST_DRUID_REQUEST_TIMEOUT_S="120")
        job_id = service.accepted(sales_csv(unique_tag, 500, seed=163), "kill-after-accept.csv")
        poll_until(lambda: _druid_tasks(job_id) or None, 120, "Druid to hold the job's task")
        assert service.job(job_id)["state"] == "submitting"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        killed_at = time.monotonic()
        workers.start()
        job = service.wait(job_id, timeout_s=300)
    assert job["state"] == "succeeded", job
    assert any("was already submitted" in e["message"] for e in job["events"]), job["events"]
    _record("worker SIGKILL after Druid accepted the task, before the worker knew", service, job,
            time.monotonic() - killed_at)


def test_worker_killed_while_staging(
    service: Service, workers: Workers, s3: S3Client, settings: Settings, unique_tag: str
) -> None:
    # S3 frozen for this worker once validation is under way: the job reaches `staging` and stalls writing its
    # staged rows; the worker dies there. The next worker stages again and leaves no incomplete upload behind.
    from .tcp_relay import TcpRelay

    endpoint = settings.s3_endpoint_url.rsplit(":", 1)
    relay = TcpRelay((endpoint[0].split("//")[1], int(endpoint[1])))
    with workers.only():
        worker = workers.start(INGEST_S3_ENDPOINT_URL=f"http://127.0.0.1:{relay.port}")
        job_id = service.accepted(sales_csv(unique_tag, 200_000, seed=164, start=datetime(2024, 6, 1), days=2),
                                  "kill-staging.csv")
        poll_until(lambda: service.job(job_id)["progress"] >= 5 or None, 180, "validation under way (raw read)")
        relay.pause()
        assert service.wait_state(job_id, {"staging"}, timeout_s=180)["state"] == "staging"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        relay.cut()
        killed_at = time.monotonic()
        workers.start()
        job = service.wait(job_id, timeout_s=300)
    assert job["state"] == "succeeded", job
    uploads = s3.list_multipart_uploads(Bucket=settings.s3_bucket, Prefix=f"staged/{job_id}/").get("Uploads", [])
    assert uploads == [], f"incomplete staging uploads left behind: {uploads}"
    _record("worker SIGKILL in staging", service, job, time.monotonic() - killed_at)


def test_cancel_while_submitting(service: Service, workers: Workers, unique_tag: str) -> None:
    with OverlordDouble(get_settings().druid_overlord_url) as double, workers.only():
        double.mode = "fail_submissions"
        workers.start(INGEST_DRUID_OVERLORD_URL=double.url, INGEST_TRANSIENT_RETRY_ATTEMPTS="50",
                      INGEST_TRANSIENT_RETRY_BASE_S="0.5", INGEST_TRANSIENT_RETRY_MAX_S="1")
        job_id = service.accepted(sales_csv(unique_tag, 500, seed=165), "cancel-submitting.csv")
        poll_until(lambda: any("Transient fault" in e["message"] for e in service.job(job_id)["events"]) or None,
                   120, "a failed submission")
        started = time.monotonic()
        response = requests.post(f"{service.url}/api/v1/jobs/{job_id}/cancel", timeout=60)
        assert response.status_code == 200, response.text
        job = service.wait(job_id)
    assert job["state"] == "cancelled", job
    _record("cancel in submitting", service, job, time.monotonic() - started)


def test_cancel_while_staging(service: Service, workers: Workers, settings: Settings, unique_tag: str) -> None:
    # S3 frozen for this worker while it writes the staged rows, so the cancel lands in `staging`.
    from .tcp_relay import TcpRelay

    endpoint = settings.s3_endpoint_url.rsplit(":", 1)
    relay = TcpRelay((endpoint[0].split("//")[1], int(endpoint[1])))
    try:
        with workers.only():
            workers.start(INGEST_S3_ENDPOINT_URL=f"http://127.0.0.1:{relay.port}")
            job_id = service.accepted(sales_csv(unique_tag, 200_000, seed=166, start=datetime(2024, 7, 1), days=2),
                                      "cancel-staging.csv")
            poll_until(lambda: service.job(job_id)["progress"] >= 5 or None, 180, "validation under way")
            relay.pause()
            assert service.wait_state(job_id, {"staging"}, timeout_s=180)["state"] == "staging"
            started = time.monotonic()
            response = requests.post(f"{service.url}/api/v1/jobs/{job_id}/cancel", timeout=60)
            assert response.status_code == 200, response.text
            relay.resume()  # the worker finds the job is no longer its own and submits nothing
            job = service.wait(job_id)
    finally:
        relay.cut()
    assert job["state"] == "cancelled", job
    assert _druid_tasks(job_id) == []
    _record("cancel in staging", service, job, time.monotonic() - started)
