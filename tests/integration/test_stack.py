"""The local stack end to end, without the product: a CSV in S3 -> an index_parallel task -> Druid SQL.

Proves that Druid reads the stack's S3 (path-style, moto), publishes, hands off to the historical and answers
SQL with exactly the rows sent; and that a missing object fails the task with a read error.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from mypy_boto3_s3 import S3Client

from backend.settings import Settings
from stack.settings import get_stack_settings

pytestmark = pytest.mark.integration

# Fixture values are typed Any here: the helper classes live in conftest.py, which tests cannot import
# reliably (every conftest.py of a tree without __init__.py is the module `conftest`).

ROWS = 50
TASK_TIMEOUT_S = 300.0  # a 50-row task takes seconds; this only bounds a hung stack


def _csv(rows: int) -> tuple[bytes, int]:
    """A CSV with a timestamp, a string and an integer column; returns it and the integer column's sum."""
    lines = ["ts,region,amount"]
    total = 0
    for i in range(rows):
        amount = 7 * i + 3
        total += amount
        lines.append(f"2024-01-01T{i // 60:02d}:{i % 60:02d}:00Z,region-{i % 3},{amount}")
    return ("\n".join(lines) + "\n").encode(), total


def _index_spec(task_id: str, datasource: str, uri: str) -> dict[str, Any]:
    """An index_parallel spec reading one S3 object; no rollup, so every CSV row stays one Druid row."""
    return {
        "type": "index_parallel",
        "id": task_id,
        "spec": {
            "dataSchema": {
                "dataSource": datasource,
                "timestampSpec": {"column": "ts", "format": "iso"},
                "dimensionsSpec": {"dimensions": ["region", {"type": "long", "name": "amount"}]},
                "granularitySpec": {"segmentGranularity": "day", "queryGranularity": "none", "rollup": False},
            },
            "ioConfig": {
                "type": "index_parallel",
                "inputSource": {"type": "s3", "uris": [uri]},
                "inputFormat": {"type": "csv", "findColumnsFromHeader": True},
                "appendToExisting": False,
            },
            "tuningConfig": {
                "type": "index_parallel",
                "maxNumConcurrentSubTasks": 1,
                "maxParseExceptions": 0,
            },
        },
    }


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def test_csv_in_s3_lands_in_druid_sql(settings: Settings, s3: S3Client, druid: Any) -> None:
    body, expected_sum = _csv(ROWS)
    datasource = _unique("stack_test")
    key = f"tests/stack/{datasource}.csv"
    s3.put_object(Bucket=settings.s3_bucket, Key=key, Body=body)
    task_id = druid.submit_task(
        _index_spec(_unique("stack-test"), datasource, f"s3://{settings.s3_bucket}/{key}")
    )
    try:
        status = druid.wait_for_task(task_id, TASK_TIMEOUT_S)
        assert status["status"] == "SUCCESS", status

        rows = druid.wait_for_sql(
            f'SELECT COUNT(*) AS n, SUM(amount) AS total FROM "{datasource}"',
            lambda rows: bool(rows) and rows[0]["n"] == ROWS,
            settings.druid_query_visible_timeout_s,
        )
        assert rows == [{"n": ROWS, "total": expected_sum}]
    finally:
        druid.drop_datasource(datasource)
        s3.delete_object(Bucket=settings.s3_bucket, Key=key)


def test_missing_object_fails_the_task_with_a_read_error(settings: Settings, druid: Any) -> None:
    datasource = _unique("stack_test_missing")
    key = f"tests/stack/missing/{datasource}.csv"
    uri = f"s3://{settings.s3_bucket}/{key}"
    task_id = druid.submit_task(_index_spec(_unique("stack-test-missing"), datasource, uri))

    status = druid.wait_for_task(task_id, TASK_TIMEOUT_S)

    assert status["status"] == "FAILED", status
    # The status message is cut to 100 characters; the report holds the whole error with the full URI.
    assert "Error occurred while trying to read uri" in status["errorMsg"], status
    report = druid.task_reports(task_id)["ingestionStatsAndErrors"]["payload"]
    assert uri in report["errorMsg"], report["errorMsg"]


def test_druid_and_zookeeper_run_as_batch_work_and_the_rest_does_not(stack_up: None) -> None:
    # Druid's batch work must yield the CPU to the API on one small machine; PostgreSQL and S3 serve requests.
    settings = get_stack_settings()
    priorities, group_priorities, policies, cpus = {}, {}, {}, {}
    for name in ("postgres", "s3", "zookeeper", "coordinator", "indexer", "historical", "broker"):
        pid = int((settings.var_dir / "run" / f"{name}.pid").read_text().split()[0])
        priorities[name] = os.getpriority(os.PRIO_PROCESS, pid)
        policies[name] = os.sched_getscheduler(pid)
        cpus[name] = os.sched_getaffinity(pid)
        autogroup = Path(f"/proc/{pid}/autogroup")  # e.g. "/autogroup-42 nice 10", where the kernel has them
        if autogroup.exists():
            group_priorities[name] = int(autogroup.read_text().split()[-1])
    nice = settings.stack_druid_nice
    batch = ("zookeeper", "coordinator", "indexer", "historical", "broker")
    expected = {"postgres": 0, "s3": 0, **dict.fromkeys(batch, nice)}
    assert priorities == expected
    assert group_priorities in ({}, expected)
    assert settings.stack_druid_sched_idle
    assert policies == {"postgres": os.SCHED_OTHER, "s3": os.SCHED_OTHER, **dict.fromkeys(batch, os.SCHED_IDLE)}
    # Druid keeps off the first CPU (on a machine with more than one), where requests are served.
    everywhere = os.sched_getaffinity(0)
    druid_cpus = settings.stack_druid_priority.cpus or everywhere
    assert settings.stack_druid_reserved_cpus == 1
    assert druid_cpus == everywhere or min(everywhere) not in druid_cpus
    assert cpus == {"postgres": everywhere, "s3": everywhere, **dict.fromkeys(batch, druid_cpus)}
