"""`druid-ingest app up`: a worker that dies is started again, and a pid file naming a dead, zombie or recycled
process does not stop `app up` from starting the service."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from backend.settings import REPO_ROOT
from backend.supervise import read_pid_file
from tests.polling import poll_until

from .conftest import Service, sales_csv


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.fixture
def app_env(tmp_path: Path, service: Service) -> Iterator[dict[str, str]]:
    """`app up`/`app down` on a var/ and port of the test's own, against the tests' database."""
    env = dict(os.environ, INGEST_VAR_DIR=str(tmp_path), INGEST_API_PORT=str(_free_port()),
               INGEST_WORKER_POLL_S="0.2", INGEST_WORKER_LEASE_S="4", INGEST_WORKER_HEARTBEAT_S="1")
    yield env
    subprocess.run([sys.executable, "-m", "backend.cli", "app", "down"], env=env, cwd=REPO_ROOT, timeout=90,
                   check=False)


def _app(env: dict[str, str], action: str) -> None:
    done = subprocess.run([sys.executable, "-m", "backend.cli", "app", action], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_killed_worker_is_started_again(app_env: dict[str, str], unique_tag: str) -> None:
    _app(app_env, "up")
    supervisor = read_pid_file(Path(app_env["INGEST_VAR_DIR"]) / "run" / "worker.pid")
    assert supervisor is not None
    first = poll_until(lambda: _children(supervisor.pid) or None, 30, "the supervisor to start a worker")[0]
    os.kill(first, signal.SIGKILL)
    replacement = poll_until(lambda: [c for c in _children(supervisor.pid) if c != first] or None, 30,
                             "the supervisor to start the worker again")[0]
    assert replacement != first
    # The new worker works the queue: an invalid file (no Druid needed) reaches its ending.
    url = f"http://127.0.0.1:{app_env['INGEST_API_PORT']}"
    bad = sales_csv(unique_tag, 5).replace(b"EMEA", b"MARS").replace(b"APAC", b"MARS").replace(b"NA,", b"MARS,")
    accepted = requests.post(f"{url}/api/v1/uploads", files={"file": ("bad.csv", bad)}, timeout=30)
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]
    job = poll_until(lambda: requests.get(f"{url}/api/v1/jobs/{job_id}", timeout=10).json(), 60,
                     "the job to end", accept=lambda j: j["state"] in {"rejected", "succeeded", "failed"})
    assert job["state"] == "rejected", job


def test_app_up_replaces_what_a_stale_pid_file_names(app_env: dict[str, str]) -> None:
    run = Path(app_env["INGEST_VAR_DIR"]) / "run"
    run.mkdir(parents=True)
    # A pid that is alive but not ours (this test's own process, with another start time): a recycled pid.
    for name in ("api", "worker"):
        (run / f"{name}.pid").write_text(f"{os.getpid()} 1\n")
    _app(app_env, "up")
    for name in ("api", "worker"):
        started = read_pid_file(run / f"{name}.pid")
        assert started is not None and started.pid != os.getpid(), name
    assert requests.get(f"http://127.0.0.1:{app_env['INGEST_API_PORT']}/ready", timeout=10).status_code == 200
