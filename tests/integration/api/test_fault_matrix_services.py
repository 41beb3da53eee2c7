"""The fault matrix, services: PostgreSQL restarted, S3 and the Overlord frozen, each as the processes under test
see them through a relay (tcp_relay.py), so the real services stay up for everything else."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy.engine import make_url

from backend.settings import REPO_ROOT, get_settings
from tests.polling import poll_until

from .conftest import Service, Workers, sales_csv
from .fault_matrix import ROWS, FaultRow
from .tcp_relay import TcpRelay
from .test_fault_matrix import _druid_tasks, _record


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _relay_to(url: str) -> tuple[TcpRelay, str]:
    """A relay in front of the service at `url`, and the same URL through it."""
    parts = urlsplit(url)
    relay = TcpRelay((parts.hostname or "127.0.0.1", parts.port or 80))
    return relay, parts._replace(netloc=f"127.0.0.1:{relay.port}").geturl()


@contextmanager
def _api(**env: str) -> Iterator[str]:
    """An API of the test's own (one process) with `env` overrides."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--workers", "1"],
                               cwd=REPO_ROOT, env={**__import__("os").environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        poll_until(lambda: requests.get(f"{url}/health", timeout=2).status_code == 200 or None, 60, "the API",
                   ignore=(requests.RequestException,))
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("state", ["validating", "indexing"])
def test_postgres_restarted_mid_job(service: Service, workers: Workers, unique_tag: str, state: str) -> None:
    database = make_url(get_settings().database_url)
    relay = TcpRelay((database.host or "127.0.0.1", database.port or 5432))
    through = database.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    with workers.only(), _api(INGEST_DATABASE_URL=through) as api:
        workers.start(INGEST_DATABASE_URL=through)
        job_id = service.accepted(sales_csv(unique_tag, 200_000, seed=170, start=datetime(2024, 3, 1), days=2),
                                  f"pg-restart-{state}.csv")
        assert service.wait_state(job_id, {state}, timeout_s=180)["state"] == state
        relay.cut()  # PostgreSQL goes down for the processes under test ...
        answers = {requests.get(f"{api}/api/v1/jobs/{job_id}", timeout=30).status_code for _ in range(5)}
        relay = TcpRelay((database.host or "127.0.0.1", database.port or 5432), port=relay.port)  # ... and is back
        back_at = time.monotonic()
        try:
            job = service.wait(job_id, timeout_s=300)
            assert requests.get(f"{api}/api/v1/jobs/{job_id}", timeout=30).status_code == 200
        finally:
            relay.cut()
    assert answers <= {200, 503}, f"the status endpoint answered {answers} while PostgreSQL was down"
    assert job["state"] == "succeeded", job
    _record(f"PostgreSQL restarted in {state}", service, job, time.monotonic() - back_at)


def test_s3_frozen_during_an_upload(service: Service, unique_tag: str) -> None:
    relay, through = _relay_to(get_settings().s3_endpoint_url)
    with _api(INGEST_S3_ENDPOINT_URL=through) as api:
        relay.pause()
        threading.Timer(20, relay.resume).start()
        started = time.monotonic()
        response = requests.post(f"{api}/api/v1/uploads", timeout=120,
                                 files={"file": ("s3-frozen.csv", sales_csv(unique_tag, 100_000, seed=171))})
        answered_s = time.monotonic() - started
    relay.cut()
    if response.status_code == 202:  # stalled, then stored: the job must land
        job = service.wait(response.json()["job_id"], timeout_s=300)
        assert job["state"] == "succeeded", job
        _record("S3 frozen 20 s during an upload", service, job, answered_s)
    else:  # refused: with a code that says so, and no job
        assert response.status_code == 503 and response.json()["code"] == "storage_unavailable", response.text
        listed = requests.get(f"{service.url}/api/v1/jobs", params={"limit": 500}, timeout=30).json()["items"]
        assert "s3-frozen.csv" not in [j["filename"] for j in listed if unique_tag in j["filename"]]
        ROWS.append(FaultRow("S3 frozen 20 s during an upload", 0, "503 storage_unavailable, no job", "0", "-",
                             answered_s))


def test_s3_frozen_during_validation(service: Service, workers: Workers, unique_tag: str) -> None:
    relay, through = _relay_to(get_settings().s3_endpoint_url)
    with workers.only():
        workers.start(INGEST_S3_ENDPOINT_URL=through)
        job_id = service.accepted(sales_csv(unique_tag, 200_000, seed=172, start=datetime(2024, 2, 1), days=2),
                                  "s3-frozen-validating.csv")
        assert service.wait_state(job_id, {"validating"}, timeout_s=180)["state"] == "validating"
        relay.pause()
        time.sleep(20)  # the fault's duration (not synchronisation): S3 stays frozen this long
        relay.resume()
        back_at = time.monotonic()
        job = service.wait(job_id, timeout_s=300)
    relay.cut()
    assert job["state"] in {"succeeded", "failed"}, job
    if job["state"] == "failed":
        assert job["code"] == "storage_unavailable", job
    _record("S3 frozen 20 s during validation", service, job, time.monotonic() - back_at)


def test_overlord_frozen_mid_task(service: Service, workers: Workers, unique_tag: str) -> None:
    relay, through = _relay_to(get_settings().druid_overlord_url)
    with workers.only():
        workers.start(INGEST_DRUID_OVERLORD_URL=through)
        job_id = service.accepted(sales_csv(unique_tag, 100_000, seed=173, start=datetime(2024, 1, 1), days=2),
                                  "overlord-frozen.csv")
        assert service.wait_state(job_id, {"indexing"}, timeout_s=180)["state"] == "indexing"
        relay.pause()
        time.sleep(30)  # the fault's duration (not synchronisation): the Overlord stays frozen this long
        relay.resume()
        back_at = time.monotonic()
        job = service.wait(job_id, timeout_s=300)
    relay.cut()
    assert job["state"] == "succeeded", job
    assert len(_druid_tasks(job_id)) == 1
    _record("Overlord frozen 30 s mid-task", service, job, time.monotonic() - back_at)
