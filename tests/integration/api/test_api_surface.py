"""The rest of the public contract: listing and filtering jobs, OpenAPI, readiness naming what is down, and row
numbers as a person sees them in formats other than CSV."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime

import polars as pl
import requests

from backend.settings import REPO_ROOT
from tests.polling import poll_until

from .conftest import API_PORT, Service, Workers, sales, sales_csv


def test_jobs_are_listed_newest_first_and_filtered(service: Service, unique_tag: str) -> None:
    rejected = service.wait(service.accepted(f"TransactionID\n{unique_tag}\n".encode(), "one-column.csv"))
    assert rejected["state"] == "rejected"
    listing = requests.get(f"{service.url}/api/v1/jobs", params={"state": "rejected", "limit": 5}, timeout=10).json()
    assert listing["total"] >= 1
    assert listing["items"][0]["job_id"] == rejected["job_id"]
    assert all(item["state"] == "rejected" for item in listing["items"])
    created = [item["created_at"] for item in listing["items"]]
    assert created == sorted(created, reverse=True)
    none = requests.get(f"{service.url}/api/v1/jobs", params={"datasource": "no-such"}, timeout=10).json()
    assert none == {"total": 0, "items": []}
    bad = requests.get(f"{service.url}/api/v1/jobs", params={"state": "sleeping"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_field"


def test_openapi_documents_the_contract(service: Service) -> None:
    spec = requests.get(f"{service.url}/openapi.json", timeout=10).json()
    for path in ("/api/v1/uploads", "/api/v1/jobs", "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/errors",
                 "/api/v1/jobs/{job_id}/rejects", "/health", "/ready"):
        assert path in spec["paths"], path
    assert requests.get(f"{service.url}/docs", timeout=10).status_code == 200


def test_ready_names_what_is_unreachable(service: Service) -> None:
    env = dict(os.environ, INGEST_API_PORT=str(API_PORT + 1), INGEST_DRUID_OVERLORD_URL="http://127.0.0.1:9")
    process = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", "18766"], env=env,
                               cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        response = poll_until(lambda: requests.get("http://127.0.0.1:18766/ready", timeout=5), 60,
                              "the API on port 18766 to answer /ready", ignore=(requests.RequestException,))
        assert response.status_code == 503
        body = response.json()
        assert body["checks"]["postgres"] == "ok" and body["checks"]["s3"] == "ok"
        assert body["checks"]["druid_overlord"].startswith("unreachable")
        assert requests.get("http://127.0.0.1:18766/health", timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_ndjson_errors_use_line_numbers(service: Service, unique_tag: str) -> None:
    records = sales(unique_tag, 4, seed=41, start=datetime(2024, 8, 1), days=1).to_dicts()
    records[2]["Region"] = "Mars"
    lines = [json.dumps(records[0]), json.dumps(records[1]), "", json.dumps(records[2]), json.dumps(records[3])]
    job = service.wait(service.accepted(("\n".join(lines) + "\n").encode(), "records.ndjson"))
    assert job["state"] == "rejected"
    assert [(e["row"], e["column"]) for e in service.errors(job["job_id"])["items"]] == [(4, "Region")]


def test_parquet_errors_use_record_numbers(service: Service, unique_tag: str) -> None:
    frame = sales(unique_tag, 5, seed=42, start=datetime(2024, 8, 2), days=1).with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("usd")).otherwise(pl.col("Currency")).alias("Currency")
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    job = service.wait(service.accepted(buffer.getvalue(), "sales.parquet"))
    assert job["state"] == "rejected"
    assert [(e["row"], e["column"]) for e in service.errors(job["job_id"])["items"]] == [(4, "Currency")]


def test_status_document_is_the_job_detail_model(service: Service, unique_tag: str) -> None:
    # PostgreSQL renders the polled status document; it must be exactly what the JobDetail model says, and agree
    # with the job as the list endpoint (built the ordinary way, through the ORM) shows it.
    from backend.api.schemas import JobDetail, JobSummary

    job_id = service.accepted(sales_csv(unique_tag, 30, seed=8, start=datetime(2024, 6, 1), days=1), "document.csv")
    service.wait(job_id)
    response = requests.get(f"{service.url}/api/v1/jobs/{job_id}", timeout=10)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    served = JobDetail.model_validate_json(response.content)
    listed = requests.get(f"{service.url}/api/v1/jobs", params={"state": "succeeded", "limit": 500}, timeout=10)
    assert listed.status_code == 200, listed.text
    summary = next(item for item in listed.json()["items"] if item["job_id"] == job_id)
    assert JobSummary.model_validate(served.model_dump(exclude={"events"})) == JobSummary.model_validate(summary)
    steps = list(dict.fromkeys(e.state for e in served.events))  # notes within a step (a wait) repeat its state
    assert steps == ["queued", "validating", "staging", "submitting", "indexing", "succeeded"]
    assert set(json.loads(response.content)) == set(JobDetail.model_fields)
    assert served.events and served.druid_row_stats and served.priority == "MEDIUM"

    unknown = requests.get(f"{service.url}/api/v1/jobs/{uuid.uuid4()}", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    malformed = requests.get(f"{service.url}/api/v1/jobs/not-a-uuid", timeout=10)
    assert malformed.status_code == 422 and malformed.json()["code"] == "invalid_field"


def test_a_state_change_is_committed_before_it_is_answered(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    # A client that reads right after `cancel` or `retry` answered must see the new state: the transaction has
    # to end before the response leaves, not after (FastAPI ends `yield` dependencies after sending by default).
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from backend.app import create_app

    with workers.only():  # no worker: the job stays queued until it is cancelled
        job_id = service.accepted(sales_csv(unique_tag, 5, seed=9), "to-cancel.csv")
        order: list[str] = []

        def committed(_: Session) -> None:
            order.append("commit")

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                order.append(f"response {message['status']}")

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        path = f"/api/v1/jobs/{job_id}/cancel"
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
                 "headers": [(b"host", b"test")], "client": ("127.0.0.1", 1), "server": ("test", 80)}
        event.listen(Session, "after_commit", committed)
        try:
            asyncio.run(create_app()(scope, receive, send))
        finally:
            event.remove(Session, "after_commit", committed)
    assert order == ["commit", "response 200"]
    assert service.job(job_id)["state"] == "cancelled"
