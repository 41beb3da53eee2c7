"""Cancel once the Druid task succeeded: the rows are published, so a cancelled job would be a lie."""

from __future__ import annotations

import requests

from tests.polling import poll_until

from .conftest import Service, Workers, sales_csv
from .fault_matrix import ROWS, FaultRow


def test_cancel_after_the_druid_task_succeeded_is_refused_and_the_job_lands(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    # A broker this worker cannot reach holds the job between "Druid task succeeded" and the receipt (rows
    # become queryable only after hand-off; here they never are, for this worker) so the cancel lands in that
    # window every time.
    with workers.only():
        workers.start(INGEST_DRUID_BROKER_URL="http://127.0.0.1:9", INGEST_DRUID_QUERY_VISIBLE_TIMEOUT_S="600")
        job_id = service.accepted(sales_csv(unique_tag, 2_000, seed=150), "cancel-late.csv")

        def task_succeeded() -> dict[str, object] | None:
            job = service.job(job_id)
            succeeded = any(e["message"].startswith("Druid task succeeded") for e in job["events"])
            return job if succeeded or job["state"] in {"failed", "rejected", "cancelled"} else None

        job = poll_until(task_succeeded, 240, "the Druid task to succeed", interval_s=0.1)
        assert job["state"] == "indexing", job
        refused = requests.post(f"{service.url}/api/v1/jobs/{job_id}/cancel", timeout=60)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "conflict" and "already succeeded" in refused.json()["message"]
        assert service.job(job_id)["state"] == "indexing"
        workers.stop_all()
        workers.start()  # a worker that reaches the broker takes the job over and takes the receipt
        job = service.wait(job_id, timeout_s=240)
    assert job["state"] == "succeeded", job
    assert job["druid_rows"] == job["rows_valid"] == 2_000
    assert service.landed(job_id)[0] == 2_000
    assert not any(e["state"] == "cancelled" for e in job["events"])
    ROWS.append(FaultRow("cancel after the Druid task succeeded (409)", 1, job["state"], "1 task(s), 1 attempt(s)",
                         "yes", None))
