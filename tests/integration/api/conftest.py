"""The service under test, for real: the API and workers as separate processes on the real local stack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import requests

from backend.sample_data import DEFAULT_START, generate_sales
from backend.settings import REPO_ROOT, get_settings
from tests.database import session_lane
from tests.polling import poll_until

API_PORT = 18_765 + 10 * session_lane()  # the session's own port (tests/database.py: lanes)
UPLOAD_LIMIT = 64 * 1024 * 1024
TERMINAL = {"succeeded", "rejected", "failed", "cancelled"}


def service_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        # The tests' own database (tests/database.py), never the one a demo worker may be claiming jobs from.
        INGEST_DATABASE_URL=get_settings().database_url,
        INGEST_API_PORT=str(API_PORT),
        INGEST_MAX_UPLOAD_BYTES=str(UPLOAD_LIMIT),
        # Short leases so a killed worker's job is taken over within seconds.
        INGEST_WORKER_LEASE_S="4",
        INGEST_WORKER_HEARTBEAT_S="1",
        INGEST_WORKER_POLL_S="0.2",
        INGEST_DRUID_POLL_INITIAL_S="0.3",
        INGEST_DRUID_POLL_MAX_S="1",
        INGEST_VALIDATION_BATCH_ROWS="1000",
        INGEST_MAX_SPREADSHEET_CELLS="2000000",
    )
    return env


@dataclass
class Workers:
    """Worker processes started by the tests, so one can be killed while another carries on."""

    log_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: dict[int, tuple[Path, int]] = field(default_factory=dict)  # pid -> (log file, its size at start)

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        """A worker with the test settings, plus `env` overrides (INGEST_* names)."""
        path = self.log_dir / f"test-worker-{len(self.processes)}.log"
        with path.open("ab") as log:
            process = subprocess.Popen([sys.executable, "-m", "backend.cli", "worker"],
                                       env={**service_env(), **env}, stdout=log, stderr=subprocess.STDOUT,
                                       cwd=REPO_ROOT)
        self.processes.append(process)
        self.logs[process.pid] = (path, path.stat().st_size)
        return process

    def output_of(self, process: subprocess.Popen[bytes]) -> str:
        """What the worker has logged since it started (its log file is shared with earlier sessions)."""
        path, start = self.logs[process.pid]
        with path.open("rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")

    @contextmanager
    def only(self) -> Iterator[Workers]:
        """Stop every worker for the duration of a test that starts its own; one default worker comes back."""
        self.stop_all()
        try:
            yield self
        finally:
            self.stop_all()
            self.start()

    def by_pid(self, pid: int) -> subprocess.Popen[bytes] | None:
        return next((p for p in self.processes if p.pid == pid and p.poll() is None), None)

    def stop_all(self) -> None:
        # SIGTERM lets a worker release its lease, so the next worker need not wait for it to expire.
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


@pytest.fixture(scope="session")
def log_dir() -> Path:
    path = get_settings().var_dir / "log"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def api_url(druid: Any, log_dir: Path) -> Iterator[str]:
    """The API on its own port with test settings (small upload limit, short leases)."""
    log_path = log_dir / "test-api.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(API_PORT)],
            env=service_env(), stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
        )
    url = f"http://127.0.0.1:{API_PORT}"

    def ready() -> int:
        assert process.poll() is None, f"the API exited {process.returncode}: {_tail(log_path)}"
        return requests.get(f"{url}/ready", timeout=2).status_code

    poll_until(ready, 60, f"the API at {url} to be ready", accept=lambda status: status == 200,
               ignore=(requests.RequestException,), details=lambda: f"{log_path} ends:\n{_tail(log_path)}")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def workers(api_url: str, log_dir: Path) -> Iterator[Workers]:
    pool = Workers(log_dir)
    pool.start()
    yield pool
    pool.stop_all()


@dataclass
class Service:
    """The test's view of druid-ingest: HTTP calls plus Druid SQL for checking what landed."""

    url: str
    broker_url: str

    def upload(self, content: bytes, filename: str, **fields: str) -> requests.Response:
        """POST the file; the same bytes as an earlier upload are refused unless the test sends force=true, so
        tests upload bytes of their own (`sales` with the test's `unique_tag`)."""
        return requests.post(f"{self.url}/api/v1/uploads", files={"file": (filename, content)}, data=fields,
                             timeout=60)

    def accepted(self, content: bytes, filename: str, **fields: str) -> str:
        response = self.upload(content, filename, **fields)
        assert response.status_code == 202, response.text
        return str(response.json()["job_id"])

    def job(self, job_id: str) -> dict[str, Any]:
        response = requests.get(f"{self.url}/api/v1/jobs/{job_id}", timeout=10)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait(self, job_id: str, timeout_s: float = 180) -> dict[str, Any]:
        """The job once it has ended (succeeded, rejected, failed, cancelled)."""
        return self.wait_state(job_id, set(), timeout_s, interval_s=0.2)

    def wait_state(self, job_id: str, states: set[str], timeout_s: float = 120,
                   interval_s: float = 0.05) -> dict[str, Any]:
        """The job once it is in one of `states` or has ended."""
        wanted = states | TERMINAL
        return poll_until(lambda: self.job(job_id), timeout_s, f"job {job_id} to reach {sorted(wanted)}",
                          interval_s=interval_s, accept=lambda job: job["state"] in wanted)

    def errors(self, job_id: str, limit: int = 1000) -> dict[str, Any]:
        response = requests.get(f"{self.url}/api/v1/jobs/{job_id}/errors", params={"limit": limit}, timeout=10)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def sql(self, query: str, *params: Any) -> list[dict[str, Any]]:
        body = {"query": query, "parameters": [{"type": "VARCHAR", "value": str(p)} for p in params]}
        response = requests.post(f"{self.broker_url}/druid/v2/sql", json=body, timeout=30)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows

    def landed(self, job_id: str) -> tuple[int, float]:
        """(rows, revenue sum) that Druid SQL returns for one job."""
        rows = self.sql('SELECT COUNT(*) AS n, COALESCE(SUM("Revenue"), 0) AS revenue FROM "sales" '
                        'WHERE "ingest_job_id" = ?', job_id)
        return int(rows[0]["n"]), float(rows[0]["revenue"])

    def healthy(self) -> bool:
        return requests.get(f"{self.url}/health", timeout=5).status_code == 200


@pytest.fixture(scope="session")
def service(api_url: str, workers: Workers) -> Service:
    return Service(api_url, get_settings().druid_broker_url)


@pytest.fixture
def unique_tag() -> str:
    """Eight hex digits of this test's own, for bytes no earlier upload had."""
    return uuid.uuid4().hex[:8]


def sales(tag: str, rows: int, seed: int = 7, start: datetime = DEFAULT_START, days: int = 30) -> pl.DataFrame:
    """`generate_sales` rows whose TransactionIDs carry the test's tag (TXN-<tag>-0000000001, ...): valid, and
    bytes of this test run's own, so the API's duplicate check never sees them twice."""
    frame = generate_sales(rows, seed=seed, start=start, days=days)
    return frame.with_columns(pl.col("TransactionID").str.replace("TXN-", f"TXN-{tag}-", literal=True))


def sales_csv(tag: str, rows: int, seed: int = 7, start: datetime = DEFAULT_START, days: int = 30) -> bytes:
    return sales(tag, rows, seed, start, days).write_csv().encode()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault matrix (tests/integration/api/test_fault_matrix.py), when any of it ran."""
    from .fault_matrix import ROWS, table

    if ROWS:
        terminalreporter.section("fault matrix")
        for line in table():
            terminalreporter.write_line(line)
