"""The fault matrix, Druid: the indexer killed while it runs the job's task. The task is lost; the job must not
count partial rows as success, must never have two tasks for one attempt, and is retried as a new attempt by
itself (an infrastructure fault, within the retry budget) instead of waiting for a person to press retry."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest
import requests

from backend.settings import REPO_ROOT, get_settings
from stack.settings import get_stack_settings
from tests.polling import poll_until

from .conftest import Service, Workers, sales_csv
from .test_fault_matrix import _druid_tasks, _record


def test_indexer_killed_mid_task(service: Service, workers: Workers, unique_tag: str) -> None:
    pid_file = get_stack_settings().var_dir / "run" / "indexer.pid"
    if not pid_file.exists():
        pytest.skip(f"the stack's indexer was not started from this checkout ({pid_file} is missing): killing it "
                    "is for a stack of our own")
    job_id = service.accepted(sales_csv(unique_tag, 300_000, seed=190, start=datetime(2023, 3, 1), days=2),
                              "indexer-killed.csv")
    job = service.wait_state(job_id, {"indexing"}, timeout_s=240)
    assert job["state"] == "indexing", job
    # Killed once the task has started on the indexer: an assignment the indexer has not started yet survives in
    # ZooKeeper, and the restarted indexer would simply run it.
    status_url = f"{get_settings().druid_overlord_url}/druid/indexer/v1/task/{job['druid_task_id']}/status"
    poll_until(lambda: (requests.get(status_url, timeout=10).json()["status"].get("location") or {}).get("host"),
               120, "the task to start on the indexer (its location known)", interval_s=0.2)
    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
    killed_at = time.monotonic()
    # The operator's (or a supervisor's) restart of the stack's missing service.
    def restart() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "stack/stackctl.py", "up"], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=300, check=False)

    poll_until(restart, 600, "the stack's indexer to be up again", interval_s=2,
               accept=lambda done: done.returncode == 0)
    job = service.wait(job_id, timeout_s=600)

    tasks = _druid_tasks(job_id)

    assert job["state"] == "succeeded", job
    assert job["attempt"] == 2 and len(tasks) == 2, (job["attempt"], tasks)
    assert any(e["message"].startswith("Druid lost task") for e in job["events"]), job["events"]
    _record("Druid indexer SIGKILL mid-task", service, job, time.monotonic() - killed_at)
