"""The fault matrix, load: 20 concurrent 5 MB uploads while the status endpoint is polled at 100 requests per
second. Every upload is accepted, every poll answered 200, and every job lands exactly."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import requests

from .conftest import Service, sales_csv
from .fault_matrix import ROWS, FaultRow
from .test_fault_matrix import _record

UPLOADS = 20
POLLS_PER_S = 100


def test_concurrent_uploads_while_status_is_polled(service: Service, unique_tag: str) -> None:
    files = [sales_csv(f"{unique_tag}-{i}", 45_000, seed=180 + i, start=datetime(2023, 6, 1), days=3)
             for i in range(UPLOADS)]
    assert all(len(f) > 5_000_000 for f in files)
    probe = service.accepted(sales_csv(unique_tag, 10, seed=179), "load-probe.csv")
    stop = threading.Event()
    answers: list[int] = []

    def poll() -> None:
        with requests.Session() as http:
            next_at = time.monotonic()
            while not stop.is_set():
                try:
                    answers.append(http.get(f"{service.url}/api/v1/jobs/{probe}", timeout=10).status_code)
                except requests.RequestException:
                    answers.append(0)
                next_at += 4 / POLLS_PER_S  # four pollers
                time.sleep(max(0.0, next_at - time.monotonic()))  # pacing the load, not synchronisation

    pollers = [threading.Thread(target=poll, daemon=True) for _ in range(4)]
    for poller in pollers:
        poller.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(UPLOADS) as pool:
            uploads = list(pool.map(lambda i: service.upload(files[i], f"load-{unique_tag}-{i}.csv"), range(UPLOADS)))
        uploaded_s = time.monotonic() - started
    finally:
        stop.set()
        for poller in pollers:
            poller.join(timeout=20)
    assert [u.status_code for u in uploads] == [202] * UPLOADS, [u.text for u in uploads if u.status_code != 202]
    assert answers and set(answers) == {200}, {code: answers.count(code) for code in set(answers)}
    assert len(answers) >= POLLS_PER_S * uploaded_s * 0.5, f"{len(answers)} polls in {uploaded_s:.1f} s"
    jobs = [service.wait(u.json()["job_id"], timeout_s=900) for u in uploads]
    for job in jobs:
        assert job["state"] == "succeeded", job
        _record("load", service, job, None)
    del ROWS[-UPLOADS:]
    ROWS.append(FaultRow(f"{UPLOADS} x 5 MB uploads in {uploaded_s:.1f} s, status polled {POLLS_PER_S}/s "
                         f"({len(answers)} polls, all 200)", UPLOADS, "succeeded", "1 task each", "yes", None))
