"""Druid's own APIs, for a benchmark to count what landed (Overlord tasks, `sys.segments`, rows in broker SQL), and
plain Druid as a team would use it without druid-ingest: a CSV put into S3 with boto3 and a hand-written
`index_parallel` spec. Used by bench/throughput.py."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from backend.settings import Settings

# The built-in `sales` columns as Druid dimensions, written out by hand (not through backend.druid.spec): what a
# team writing its own spec for this CSV would declare. TransactionTimestamp is Druid's __time.
SALES_DIMENSIONS: list[dict[str, str]] = [
    {"type": "string", "name": "TransactionID"},
    {"type": "string", "name": "ProductLine"},
    {"type": "string", "name": "ProductName"},
    {"type": "string", "name": "CustomerID"},
    {"type": "string", "name": "Region"},
    {"type": "string", "name": "Country"},
    {"type": "string", "name": "SalesChannel"},
    {"type": "long", "name": "Quantity"},
    {"type": "double", "name": "UnitPrice"},
    {"type": "double", "name": "Discount"},
    {"type": "string", "name": "Currency"},
    {"type": "double", "name": "Revenue"},
]


def plain_spec(datasource: str, uri: str) -> dict[str, Any]:
    """A hand-written index_parallel task: the raw CSV from S3, day segments, no rollup, Druid's defaults else."""
    return {
        "type": "index_parallel",
        "spec": {
            "dataSchema": {
                "dataSource": datasource,
                "timestampSpec": {"column": "TransactionTimestamp", "format": "iso"},
                "dimensionsSpec": {"dimensions": SALES_DIMENSIONS},
                "granularitySpec": {"segmentGranularity": "DAY", "queryGranularity": "NONE", "rollup": False},
            },
            "ioConfig": {
                "type": "index_parallel",
                "inputSource": {"type": "s3", "uris": [uri]},
                "inputFormat": {"type": "csv", "findColumnsFromHeader": True},
                "appendToExisting": True,
            },
            "tuningConfig": {"type": "index_parallel", "partitionsSpec": {"type": "dynamic"}},
        },
    }


class Druid:
    """The Overlord (which is also the coordinator in the local stack) and the broker, over HTTP."""

    def __init__(self, settings: Settings) -> None:
        self.overlord = settings.druid_overlord_url.rstrip("/")
        self.broker = settings.druid_broker_url.rstrip("/")
        self.http = requests.Session()

    def sql(self, query: str, *params: Any) -> list[dict[str, Any]]:
        body = {"query": query, "parameters": [
            {"type": "VARCHAR" if isinstance(p, str) else "BIGINT", "value": p} for p in params]}
        response = self.http.post(f"{self.broker}/druid/v2/sql", json=body, timeout=60)
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()
        return rows

    def count(self, datasource: str) -> int:
        """Rows broker SQL returns for the datasource; 0 while the broker does not know it yet."""
        try:
            return int(self.sql(f'SELECT COUNT(*) AS n FROM "{datasource}"')[0]["n"])
        except requests.HTTPError:
            return 0

    def rows_by_job(self, datasource: str) -> dict[str, int]:
        """Rows per `ingest_job_id` (the receipt column every row druid-ingest writes carries)."""
        rows = self.sql(f'SELECT "ingest_job_id" AS job, COUNT(*) AS n FROM "{datasource}" GROUP BY 1')
        return {str(row["job"]): int(row["n"]) for row in rows}

    def tasks(self, datasource: str) -> list[dict[str, Any]]:
        """Every task the Overlord knows for the datasource (pending, running, complete), sub-tasks included."""
        response = self.http.get(f"{self.overlord}/druid/indexer/v1/tasks", params={"datasource": datasource},
                                 timeout=60)
        response.raise_for_status()
        tasks: list[dict[str, Any]] = response.json()
        return tasks

    def busy(self) -> int:
        """Tasks the Overlord runs or holds pending right now, anyone's: the shared Druid's load at a moment."""
        total = 0
        for kind in ("runningTasks", "pendingTasks"):
            with contextlib.suppress(requests.RequestException, ValueError):
                total += len(self.http.get(f"{self.overlord}/druid/indexer/v1/{kind}", timeout=30).json())
        return total

    def segments_per_chunk(self, datasource: str) -> Counter[str]:
        """Published segments per time chunk (its start, e.g. 2025-01-01T00:00:00.000Z)."""
        rows = self.sql('SELECT "start", COUNT(*) AS n FROM sys.segments WHERE datasource = ? AND is_published = 1 '
                        'GROUP BY 1', datasource)
        return Counter({str(row["start"]): int(row["n"]) for row in rows})

    def submit(self, spec: dict[str, Any]) -> str:
        response = self.http.post(f"{self.overlord}/druid/indexer/v1/task", json=spec, timeout=60)
        response.raise_for_status()
        return str(response.json()["task"])

    def task_status(self, task_id: str) -> dict[str, Any]:
        response = self.http.get(f"{self.overlord}/druid/indexer/v1/task/{task_id}/status", timeout=30)
        response.raise_for_status()
        status: dict[str, Any] = response.json()["status"]
        return status

    def wait_task(self, task_id: str, timeout_s: float, poll_s: float = 0.25) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.task_status(task_id)
            if status.get("status") in ("SUCCESS", "FAILED") or time.monotonic() > deadline:
                return status
            time.sleep(poll_s)

    def drop(self, datasource: str) -> None:
        """Mark the datasource's segments unused (the coordinator API), so the shared historical unloads them."""
        with contextlib.suppress(requests.RequestException):
            self.http.delete(f"{self.overlord}/druid/coordinator/v1/datasources/{datasource}", timeout=30)


def s3_client(settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key, aws_secret_access_key=settings.s3_secret_key,
        config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                      response_checksum_validation="when_required"),
    )


def put_file(settings: Settings, path: Path, key: str) -> str:
    """The file into the service's bucket with boto3's managed transfer (multipart); its s3:// URI."""
    s3_client(settings).upload_file(str(path), settings.s3_bucket, key)
    return f"s3://{settings.s3_bucket}/{key}"


def delete_object(settings: Settings, key: str) -> None:
    # Cleanup of the bench's own object: nothing depends on it.
    with contextlib.suppress(Exception):
        s3_client(settings).delete_object(Bucket=settings.s3_bucket, Key=key)
