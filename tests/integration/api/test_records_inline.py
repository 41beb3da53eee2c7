"""Records at any rate (issue 14): a records body that ends within INGEST_RECORDS_INLINE_MAX_BYTES is kept in
PostgreSQL with its job, nothing is put in S3 under its raw key, and the worker ingests it like any other job; a
larger body streams to S3 as before. Refusals and retries behave as they do for a body in S3."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import requests

from backend.settings import get_settings
from backend.storage.object_store import get_object_store

from .conftest import Service, Workers, sales
from .overlord_double import OverlordDouble

_JSON = {"Content-Type": "application/json"}
# The rows are dated in July 2022, which no other test writes into: a Druid task of another session appending to
# the same day at the same moment may hold that day's lock.


def _post(service: Service, body: bytes, datasource: str = "sales", **params: str) -> requests.Response:
    return requests.post(f"{service.url}/api/v1/datasources/{datasource}/records", data=body, headers=_JSON,
                         params=params, timeout=60)


def _accepted(service: Service, body: bytes, **params: str) -> str:
    response = _post(service, body, **params)
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def _raw_key(job: dict[str, Any]) -> str:
    """The raw key the job records (its first event names it, as for every upload)."""
    first = job["events"][0]
    assert first["state"] == "queued", job
    key: str = first["details"]["raw_key"]
    assert key == f"raw/{job['job_id']}/records.json", job
    return key


def _stored_in_s3(job: dict[str, Any]) -> bool:
    listed = [stored.key for stored in get_object_store().objects(f"raw/{job['job_id']}/")]
    assert listed in ([], [_raw_key(job)]), listed
    return bool(listed)


def _records(tag: str, rows: int, seed: int, start: datetime) -> tuple[bytes, float]:
    frame = sales(tag, rows, seed=seed, start=start, days=1)
    return json.dumps(frame.to_dicts()).encode(), float(frame["Revenue"].sum())


def _array_within(tag: str, seed: int, start: datetime, limit: int) -> tuple[bytes, float, int]:
    """A JSON array of as many records as fit in `limit` bytes: (it, their revenue, how many)."""
    parts: list[bytes] = []
    revenue = 0.0
    for record in sales(tag, limit // 100 + 10, seed=seed, start=start, days=1).to_dicts():
        part = json.dumps(record).encode()
        if 2 + sum(len(p) + 1 for p in parts) + len(part) > limit:
            break
        parts.append(part)
        revenue += record["Revenue"]
    return b"[" + b",".join(parts) + b"]", revenue, len(parts)


def test_one_record_is_kept_with_its_job_and_lands_in_druid(service: Service, unique_tag: str) -> None:
    record = sales(unique_tag, 1, seed=140, start=datetime(2022, 7, 6), days=1).to_dicts()[0]
    job_id = _accepted(service, json.dumps(record).encode(), priority="HIGH")
    queued = service.job(job_id)
    assert (queued["filename"], queued["format"], queued["priority"], queued["schema_version"]) == (
        "records.json", "json", "HIGH", 1), queued
    assert queued["events"][0]["details"]["stored_inline"] is True, queued
    assert not _stored_in_s3(queued), "an inline body must not be put in S3"

    job = service.wait(job_id)
    assert job["state"] == "succeeded", job
    assert (job["rows_total"], job["druid_rows"]) == (1, 1), job
    rows, revenue = service.landed(job_id)
    assert rows == 1 and abs(revenue - record["Revenue"]) < 0.01
    assert not _stored_in_s3(job)


def test_a_body_at_the_limit_stays_inline_and_one_byte_over_streams_to_s3(service: Service, unique_tag: str) -> None:
    limit = get_settings().records_inline_max_bytes
    bodies: list[tuple[bytes, float, int]] = []
    for extra, seed, day in ((0, 141, 7), (1, 142, 8)):
        body, revenue, rows = _array_within(unique_tag, seed, datetime(2022, 7, day), limit)
        # Whitespace after the array is still the same JSON: exactly `limit` bytes, then one more.
        bodies.append((body + b" " * (limit + extra - len(body)), revenue, rows))
    assert [len(body) for body, _, _ in bodies] == [limit, limit + 1]

    ids = [_accepted(service, body) for body, _, _ in bodies]
    queued = [service.job(job_id) for job_id in ids]
    assert [_stored_in_s3(job) for job in queued] == [False, True], queued
    assert [job["size_bytes"] for job in queued] == [limit, limit + 1]
    assert ["stored_inline" in job["events"][0]["details"] for job in queued] == [True, False]

    for job_id, (_, revenue, rows) in zip(ids, bodies, strict=True):
        job = service.wait(job_id)
        assert job["state"] == "succeeded", job
        assert job["druid_rows"] == rows, job
        landed, landed_revenue = service.landed(job_id)
        assert landed == rows and abs(landed_revenue - revenue) < 0.01


def test_inline_refusals_are_those_of_a_streamed_body(service: Service, unique_tag: str) -> None:
    body = json.dumps(sales(unique_tag, 1, seed=143, start=datetime(2022, 7, 9), days=1).to_dicts()[0]).encode()
    before = requests.get(f"{service.url}/api/v1/jobs", params={"limit": 1}, timeout=10).json()["total"]
    # The datasource is refused before the body is looked at, as when the body streamed to S3.
    assert _post(service, b"not json", datasource=f"nope_{unique_tag}").json()["code"] == "unknown_datasource"
    pinned = _post(service, b"not json", schema_version="99")
    assert (pinned.status_code, pinned.json()["details"]["field"]) == (422, "schema_version"), pinned.text
    shape = _post(service, b" \r\n'a string'")
    assert (shape.status_code, shape.json()["code"], shape.json()["details"]) == (
        422, "invalid_field", {"field": "body"}), shape.text
    empty = _post(service, b"\xef\xbb\xbf  \n")
    assert (empty.status_code, empty.json()["code"]) == (422, "empty_file"), empty.text
    assert requests.get(f"{service.url}/api/v1/jobs", params={"limit": 1}, timeout=10).json()["total"] == before

    # The same bytes again are a duplicate naming the first job, unless forced.
    first = _accepted(service, body)
    again = _post(service, body)
    assert (again.status_code, again.json()["code"], again.json()["details"]["job_id"]) == (
        409, "duplicate_upload", first), again.text
    forced = _accepted(service, body, force="true")
    assert forced != first
    # A BOM and whitespace before the object do not change what is stored (the sha256 is of the bytes as sent).
    padded = _accepted(service, b"\xef\xbb\xbf \r\n" + body)
    jobs = {job_id: service.wait(job_id) for job_id in (first, forced, padded)}
    assert {job["state"] for job in jobs.values()} == {"succeeded"}, jobs
    assert jobs[first]["sha256"] == jobs[forced]["sha256"] != jobs[padded]["sha256"]
    assert [service.landed(job_id)[0] for job_id in (first, forced, padded)] == [1, 1, 1]


def test_a_failed_inline_job_is_retried_from_its_kept_body(
    service: Service, workers: Workers, unique_tag: str
) -> None:
    body, revenue = _records(unique_tag, 3, 144, datetime(2022, 7, 10))
    with OverlordDouble(get_settings().druid_overlord_url) as double, workers.only():
        double.mode = "fail_submissions"
        workers.start(INGEST_DRUID_OVERLORD_URL=double.url, INGEST_TRANSIENT_RETRY_ATTEMPTS="2",
                      INGEST_TRANSIENT_RETRY_BASE_S="0.2")
        job_id = _accepted(service, body)
        failed = service.wait(job_id)
        assert (failed["state"], failed["code"]) == ("failed", "druid_unavailable"), failed

        double.mode = "pass"
        response = requests.post(f"{service.url}/api/v1/jobs/{job_id}/retry", timeout=30)
        assert response.status_code == 200, response.text
        job = service.wait(job_id)
    assert (job["state"], job["attempt"], job["druid_rows"]) == ("succeeded", 2, 3), job
    rows, landed_revenue = service.landed(job_id)
    assert rows == 3 and abs(landed_revenue - revenue) < 0.01
    assert not _stored_in_s3(job)
