"""Outages the worker must outlive: PostgreSQL unreachable mid-job, for longer than its retries last."""

from __future__ import annotations

import time

from sqlalchemy.engine import make_url

from backend.settings import get_settings
from tests.polling import poll_until

from .conftest import Service, Workers, sales_csv
from .fault_matrix import ROWS, FaultRow
from .tcp_relay import TcpRelay

OUTAGE_S = 60


def test_worker_outlives_a_postgres_outage_and_finishes_the_job(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    # The worker reaches PostgreSQL through a relay that the test cuts while the job validates. Its retries
    # (2 here) run out long before the database is back: it must let go of the job and keep polling, not exit,
    # then resume the job by itself and record the retries it could not record during the outage.
    database = make_url(get_settings().database_url)
    relay = TcpRelay((database.host or "127.0.0.1", database.port or 5432))
    through_relay = database.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    with workers.only():
        worker = workers.start(INGEST_DATABASE_URL=through_relay, INGEST_TRANSIENT_RETRY_ATTEMPTS="3",
                               INGEST_TRANSIENT_RETRY_BASE_S="0.5", INGEST_TRANSIENT_RETRY_MAX_S="2")
        job_id = service.accepted(sales_csv(unique_tag, 200_000, seed=140), "outage.csv")
        assert service.wait_state(job_id, {"validating"})["state"] == "validating"
        relay.cut()
        down_at = time.monotonic()
        # Down for 60 s at least, and until the worker has given the job up and failed to read the queue a few
        # times: an outage longer than any retry budget.
        poll_until(lambda: (time.monotonic() - down_at >= OUTAGE_S
                            and workers.output_of(worker).count("cannot work the queue") >= 3) or None,
                   OUTAGE_S + 60, "the worker to give the job up and keep polling while PostgreSQL is unreachable",
                   interval_s=1)
        assert "leaving the job to be claimed again" in workers.output_of(worker)
        assert worker.poll() is None, "the worker exited during the outage"
        relay = TcpRelay((database.host or "127.0.0.1", database.port or 5432), port=relay.port)
        back_at = time.monotonic()
        try:
            job = service.wait(job_id, timeout_s=240)
        finally:
            relay.cut()
    assert job["state"] == "succeeded", job
    assert job["druid_rows"] == job["rows_valid"] == 200_000
    assert service.landed(job_id)[0] == 200_000
    late = [e for e in job["events"] if e["details"].get("recorded_late")]
    assert late and all("Transient fault" in e["message"] for e in late), job["events"]
    assert job["druid_task_id"].endswith("attempt-1")
    ROWS.append(FaultRow(f"PostgreSQL down {OUTAGE_S} s for the worker, mid-validation", 1, job["state"],
                         "1 task(s), 1 attempt(s)", "yes", time.monotonic() - back_at))
