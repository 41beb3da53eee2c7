"""Operating it: /metrics read from Postgres at scrape time, /health as a cheap liveness check with job counts, and
request ids on every answer and access-log line. Against the real stack; for "Postgres is down" the API reaches
Postgres through a TCP relay the test then cuts."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from backend.settings import REPO_ROOT, get_settings
from tests.polling import poll_until

from .conftest import Service, Workers, sales_csv
from .overlord_double import OverlordDouble
from .tcp_relay import TcpRelay

STEP_STATES = ("queued", "validating", "staging", "submitting", "indexing")
QUEUE_STAGES = ("waiting_validation", "validating", "waiting_druid", "in_druid")


def scrape(url: str) -> dict[str, Metric]:
    response = requests.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def sample(families: dict[str, Metric], family: str, sample_name: str | None = None, **labels: str) -> float:
    """The value of the one sample of `family` (named `sample_name`, default the family's) with these labels."""
    name = sample_name or family
    values = [s.value for s in families[family].samples if s.name == name and s.labels == labels]
    assert len(values) == 1, (family, name, labels, families[family].samples)
    return float(values[0])


def test_metrics_count_a_finished_job(service: Service, unique_tag: str) -> None:
    before = scrape(service.url)
    content = sales_csv(unique_tag, 120, start=datetime(2024, 9, 1), days=2)
    job = service.wait(service.accepted(content, f"metrics-{unique_tag}.csv"))
    assert job["state"] == "succeeded", job
    after = scrape(service.url)

    assert after["druid_ingest_jobs"].type == "gauge"
    assert {s.labels["state"] for s in after["druid_ingest_jobs"].samples} == {
        "queued", "validating", "staging", "submitting", "indexing", "succeeded", "rejected", "failed", "cancelled"}
    assert sample(after, "druid_ingest_jobs", state="succeeded") >= 1
    assert sample(after, "druid_ingest_scrape_error") == 0

    # Counters over every job: they grew by at least this job's share (other jobs may run at the same time).
    def grew(family: str, sample_name: str, **labels: str) -> float:
        assert after[family].type == "counter"
        return sample(after, family, sample_name, **labels) - sample(before, family, sample_name, **labels)

    assert grew("druid_ingest_rows", "druid_ingest_rows_total", kind="valid") >= job["rows_valid"] == 120
    assert grew("druid_ingest_rows", "druid_ingest_rows_total", kind="invalid") >= 0
    assert grew("druid_ingest_uploaded_bytes", "druid_ingest_uploaded_bytes_total") >= job["size_bytes"] > 0
    assert grew("druid_ingest_druid_tasks", "druid_ingest_druid_tasks_total", outcome="succeeded") >= 1
    assert sample(after, "druid_ingest_druid_tasks", "druid_ingest_druid_tasks_total", outcome="failed") >= 0

    steps = after["druid_ingest_step_duration_seconds"]
    assert steps.type == "summary"
    for state in STEP_STATES:
        assert sample(after, steps.name, f"{steps.name}_count", state=state) >= 1, state
        assert sample(after, steps.name, f"{steps.name}_sum", state=state) > 0, state
    assert not any(s.labels.get("state") == "succeeded" for s in steps.samples)

    depth = after["druid_ingest_queue_depth"]
    assert {s.labels["priority"]: s.value >= 0 for s in depth.samples} == {"HIGH": True, "MEDIUM": True, "LOW": True}


def test_health_reports_active_jobs_and_queue_depth(service: Service) -> None:
    response = requests.get(f"{service.url}/health", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert isinstance(body["active_jobs"], int) and body["active_jobs"] >= 0
    assert set(body["queue_depth"]) == {"HIGH", "MEDIUM", "LOW"}
    assert all(isinstance(n, int) and n >= 0 for n in body["queue_depth"].values())


def _queue(url: str) -> dict[str, Any]:
    response = requests.get(f"{url}/health", timeout=10)
    assert response.status_code == 200, response.text
    queue: dict[str, Any] = response.json()["queue"]
    assert queue is not None, "/health has no queue: PostgreSQL did not answer"
    return queue


def test_health_and_metrics_show_the_queue_by_stage(service: Service, workers: Workers, unique_tag: str) -> None:
    # One worker, validating one job at a time (staged jobs wait for Druid without holding it), puts a job in each
    # stage: in Druid (the Overlord double tells it the task still waits for a slot, so the job stays there),
    # waiting for a Druid slot (there is one, and that job holds it), validating (then S3 freezes for the worker),
    # and two queued, which the worker, busy validating, leaves alone.
    settings = get_settings()
    s3 = urlsplit(settings.s3_endpoint_url)
    relay = TcpRelay((s3.hostname or "127.0.0.1", s3.port or 80))
    jobs: dict[str, str] = {}
    entered: dict[str, float] = {}  # when the test saw the job in its stage (monotonic)
    uploaded: dict[str, float] = {}  # when its upload began

    def upload(name: str, seed: int) -> str:
        uploaded[name] = time.monotonic()
        jobs[name] = service.accepted(sales_csv(unique_tag, 200, seed=seed, start=datetime(2024, 3, 1), days=1),
                                      f"queue-{name}-{unique_tag}.csv")
        return jobs[name]

    with OverlordDouble(settings.druid_overlord_url) as double, workers.only():
        try:
            before = _queue(service.url)
            double.mode = "pending"
            workers.start(INGEST_DRUID_OVERLORD_URL=double.url, INGEST_S3_ENDPOINT_URL=f"http://127.0.0.1:{relay.port}",
                          INGEST_WORKER_CONCURRENCY="1", INGEST_DRUID_MAX_RUNNING_TASKS="1")
            assert service.wait_state(upload("in_druid", 171), {"indexing"})["state"] == "indexing"
            entered["in_druid"] = time.monotonic()

            assert service.wait_state(upload("waiting_druid", 172), {"submitting"})["state"] == "submitting"
            entered["waiting_druid"] = time.monotonic()

            relay.pause()
            job = service.wait_state(upload("validating", 173), {"validating", "staging"})
            assert job["state"] in {"validating", "staging"}, job

            upload("waiting_validation", 174)
            entered["waiting_validation"] = time.monotonic()
            upload("waiting_validation_2", 175)
            time.sleep(1)  # every wait measurably above zero
            asked = time.monotonic()
            queue = _queue(service.url)
            answered = time.monotonic()
            families = scrape(service.url)

            states = {name: service.job(job_id) for name, job_id in jobs.items()}
            assert states["in_druid"]["state"] == "indexing", states
            assert states["waiting_druid"]["state"] == "submitting", states
            assert states["waiting_druid"]["druid_task_id"] is None, states
            assert states["validating"]["state"] in {"validating", "staging"}, states
            assert states["waiting_validation"]["state"] == states["waiting_validation_2"]["state"] == "queued"
            added = {"waiting_validation": 2, "validating": 1, "waiting_druid": 1, "in_druid": 1}
            for stage in QUEUE_STAGES:
                assert queue[stage]["jobs"] == before[stage]["jobs"] + added[stage], (stage, before, queue)
                waited = queue[stage]["oldest_wait_s"]
                # At most as long as since this test's first upload into the stage, when nothing waited before it.
                if before[stage]["jobs"] == 0:
                    assert waited <= answered - uploaded[stage] + 0.25, (stage, queue)
                if stage in entered:  # the validating job's clock restarts with each progress note
                    assert waited >= asked - entered[stage] - 0.25, (stage, queue)
                else:
                    assert waited >= 0, (stage, queue)
            assert queue["in_druid"]["druid_tasks"] == before["in_druid"]["druid_tasks"] + 1

            for stage in QUEUE_STAGES:
                assert sample(families, "druid_ingest_queue_jobs", stage=stage) == queue[stage]["jobs"], stage
                oldest = sample(families, "druid_ingest_queue_oldest_wait_seconds", stage=stage)
                assert oldest >= queue[stage]["oldest_wait_s"] > 0, stage  # scraped after /health answered
            assert sample(families, "druid_ingest_druid_tasks_running") == queue["in_druid"]["druid_tasks"]
            assert families["druid_ingest_queue_jobs"].type == "gauge"
            assert sample(families, "druid_ingest_scrape_error") == 0
        finally:
            # Cancel what has no Druid task; the job in Druid finishes once the double stops hiding its task.
            for name, job_id in jobs.items():
                if name != "in_druid":
                    requests.post(f"{service.url}/api/v1/jobs/{job_id}/cancel", timeout=60)
            relay.cut()
            double.mode = "pass"
            if "in_druid" in jobs:
                assert service.wait(jobs["in_druid"])["state"] == "succeeded"


def test_request_id_is_echoed_or_made_and_logged(service: Service, log_dir: Path) -> None:
    sent = f"test-{uuid.uuid4()}"
    echoed = requests.get(f"{service.url}/health", headers={"X-Request-ID": sent}, timeout=10)
    assert echoed.headers["X-Request-ID"] == sent

    made = [requests.get(f"{service.url}/api/v1/jobs", params={"limit": 1}, timeout=10) for _ in range(2)]
    ids = [response.headers["X-Request-ID"] for response in made]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and ids[0] != ids[1]

    # Error answers carry it too; an id unfit for a log line is replaced rather than echoed.
    missing = requests.get(f"{service.url}/api/v1/jobs/{uuid.uuid4()}", headers={"X-Request-ID": "a b"}, timeout=10)
    assert missing.status_code == 404
    assert missing.headers["X-Request-ID"] != "a b" and len(missing.headers["X-Request-ID"]) == 32

    line = _access_line(log_dir / "test-api.log", sent)
    assert line["method"] == "GET" and line["path"] == "/health" and line["status"] == 200
    assert line["logger"] == "backend.access"
    assert isinstance(line["duration_ms"], float | int) and 0 <= line["duration_ms"] < 10_000


def _access_line(log: Path, request_id: str) -> dict[str, object]:
    def entry() -> dict[str, object] | None:
        for text in reversed(log.read_text(errors="replace").splitlines()):
            if request_id in text and text.startswith("{"):
                found: dict[str, object] = json.loads(text)
                if found.get("request_id") == request_id:
                    return found
        return None

    return poll_until(entry, 10, f"an access line with request_id {request_id} in {log}", interval_s=0.1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_postgres_down_health_stays_up_and_metrics_say_so(service: Service, log_dir: Path) -> None:
    database = make_url(get_settings().database_url)
    relay = TcpRelay((database.host or "127.0.0.1", database.port or 5432))
    port = _free_port()
    env = dict(os.environ, INGEST_API_PORT=str(port),
               INGEST_DATABASE_URL=database.set(host="127.0.0.1", port=relay.port).render_as_string(False))
    with (log_dir / "test-api-postgres-down.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env=env,
                                   cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        def health() -> int:
            assert process.poll() is None, "the API exited"
            return requests.get(f"{url}/health", timeout=5).status_code

        poll_until(health, 60, f"the API at {url} to answer /health", accept=lambda status: status == 200,
                   ignore=(requests.RequestException,))
        assert requests.get(f"{url}/health", timeout=10).json()["queue_depth"] is not None
        assert sample(scrape(url), "druid_ingest_scrape_error") == 0
        unknown_job = f"{url}/api/v1/jobs/{uuid.uuid4()}"
        assert requests.get(unknown_job, timeout=10).status_code == 404

        relay.cut()
        started = time.monotonic()
        down = requests.get(f"{url}/health", timeout=10)
        assert down.status_code == 200 and time.monotonic() - started < 5
        assert down.json() == {"status": "ok", "active_jobs": None, "queue_depth": None, "queue": None}
        families = scrape(url)
        assert sample(families, "druid_ingest_scrape_error") == 1
        assert "druid_ingest_jobs" not in families and "druid_ingest_step_duration_seconds" not in families
        assert "process_resident_memory_bytes" in families  # what needs no database still renders
        # What needs the database says so with a 503 and a code, twice (a dropped pooled connection, then a
        # refused new one), for the async status read and a session-based listing alike.
        for endpoint in (unknown_job, unknown_job, f"{url}/api/v1/jobs"):
            started = time.monotonic()
            refused = requests.get(endpoint, timeout=30)
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "database_unavailable" and time.monotonic() - started < 15
    finally:
        relay.cut()
        process.terminate()
        process.wait(timeout=20)


def test_status_reads_recover_at_once_after_postgres_restarts(service: Service, log_dir: Path) -> None:
    # After a restart every pooled connection of the status endpoint is dead; each used to fail one request with
    # 503 "terminating connection" (for more than 30 s under a polling page). Reads must succeed at once.
    database = make_url(get_settings().database_url)
    relay = TcpRelay((database.host or "127.0.0.1", database.port or 5432))
    port = _free_port()
    env = dict(os.environ, INGEST_API_PORT=str(port), INGEST_API_WORKERS="1", INGEST_API_STATUS_CONNECTIONS="4",
               INGEST_DATABASE_URL=database.set(host="127.0.0.1", port=relay.port).render_as_string(False))
    with (log_dir / "test-api-postgres-restart.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env=env,
                                   cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    unknown_job = f"{url}/api/v1/jobs/{uuid.uuid4()}"
    try:
        poll_until(lambda: requests.get(unknown_job, timeout=5).status_code, 60, f"the API at {url} to read jobs",
                   accept=lambda status: status == 404, ignore=(requests.RequestException,))
        # Several connections in the pool: concurrent reads make it open more than one.
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(lambda _: requests.get(unknown_job, timeout=10).status_code, range(32))) == {404}
        relay.reset()
        answers = [requests.get(unknown_job, timeout=15) for _ in range(8)]
        assert [a.status_code for a in answers] == [404] * 8, [a.text for a in answers if a.status_code != 404]
    finally:
        relay.cut()
        process.terminate()
        process.wait(timeout=20)


def test_api_started_while_postgres_is_down_serves_and_registers_once_it_is_back(log_dir: Path) -> None:
    # A restart during a database outage: the API (two worker processes) must come up, say what is missing, and
    # finish its start-up work when PostgreSQL returns, not exit (one worker failing at start stops them all).
    database = make_url(get_settings().database_url)
    db_port, api_port = _free_port(), _free_port()  # nothing listens on db_port yet: connections are refused
    env = dict(os.environ, INGEST_API_PORT=str(api_port),
               INGEST_DATABASE_URL=database.set(host="127.0.0.1", port=db_port).render_as_string(False))
    log_path = log_dir / "test-api-started-without-postgres.log"
    log_path.unlink(missing_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(api_port),
                                    "--workers", "2"], env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{api_port}"
    relay: TcpRelay | None = None
    try:
        def answer(path: str) -> requests.Response | None:
            assert process.poll() is None, f"the API exited: {log_path.read_text(errors='replace')[-2000:]}"
            with contextlib.suppress(requests.RequestException):
                return requests.get(f"{url}{path}", timeout=5)
            return None

        poll_until(lambda: answer("/health"), 60, "the API to answer /health while PostgreSQL is down",
                   accept=lambda health: health.status_code == 200)
        ready = answer("/ready")
        assert ready is not None and ready.status_code == 503
        assert ready.json()["checks"]["postgres"] != "ok"

        relay = TcpRelay((database.host or "127.0.0.1", database.port or 5432), port=db_port)
        poll_until(lambda: answer("/ready"), 60, "the API to be ready once PostgreSQL is back",
                   accept=lambda ready: ready.status_code == 200)
        poll_until(lambda: log_path.read_text(errors="replace").count("built-in datasources registered"), 60,
                   f"both API processes to log 'built-in datasources registered' in {log_path}",
                   accept=lambda registered: registered >= 2)
        listing = answer("/api/v1/datasources")
        assert listing is not None and listing.status_code == 200, listing and listing.text
        assert "sales" in [d["name"] for d in listing.json()["items"]]
        assert process.poll() is None
    finally:
        if relay is not None:
            relay.cut()
        process.terminate()
        process.wait(timeout=20)
