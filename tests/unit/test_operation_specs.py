"""The Druid specs of operations on rows already in Druid, literal inputs to literal outputs (that Druid takes them
and does what they say is shown in tests/integration/api/test_druid_operations.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from backend.druid.operation_specs import build_compaction_spec, build_retraction_spec
from backend.druid.period_rows import segments_text
from backend.schema.layout import Partitioning, PartitionType
from tests.unit.test_spec_layout import ORDERS

DAY = "2020-01-01T00:00:00.000Z/2020-01-02T00:00:00.000Z"
DYNAMIC_TUNING = {"type": "index_parallel", "maxParseExceptions": 0, "maxSavedParseExceptions": 10,
                  "maxNumConcurrentSubTasks": 1, "partitionsSpec": {"type": "dynamic", "maxRowsPerSegment": 5_000_000}}


def test_a_compaction_compacts_the_interval_as_the_schema_lays_it_out() -> None:
    assert build_compaction_spec(ORDERS, datasource="orders", task_id="c1", interval=DAY, priority=25) == {
        "type": "compact",
        "id": "c1",
        "dataSource": "orders",
        "ioConfig": {"type": "compact", "inputSpec": {"type": "interval", "interval": DAY}},
        "granularitySpec": {"segmentGranularity": "DAY"},
        "tuningConfig": DYNAMIC_TUNING,
        "context": {"priority": 25},
    }


def test_a_compaction_target_replaces_the_declared_one_and_a_shard_count() -> None:
    hashed = replace(ORDERS, partitioning=Partitioning(PartitionType.hashed, None, ("store",), 3))
    spec = build_compaction_spec(hashed, datasource="orders", task_id="c1", interval=DAY, priority=25,
                                 target_rows_per_segment=2_000_000)
    assert spec["tuningConfig"]["partitionsSpec"] == {"type": "hashed", "partitionDimensions": ["store"],
                                                      "targetRowsPerSegment": 2_000_000}
    assert spec["tuningConfig"]["forceGuaranteedRollup"] is True
    assert build_compaction_spec(hashed, datasource="orders", task_id="c1", interval=DAY, priority=25)[
        "tuningConfig"]["partitionsSpec"]["numShards"] == 3


def test_a_retraction_compacts_the_interval_without_the_job() -> None:
    assert build_retraction_spec("orders", task_id="r1", interval=DAY, priority=50, partitioning=ORDERS.partitioning,
                                 lineage_column="ingest_job_id", job_id="job-2") == {
        "type": "compact",
        "id": "r1",
        "dataSource": "orders",
        "ioConfig": {"type": "compact", "inputSpec": {"type": "interval", "interval": DAY}, "dropExisting": True},
        "transformSpec": {"filter": {"type": "not", "field": {
            "type": "selector", "dimension": "ingest_job_id", "value": "job-2"}}},
        "tuningConfig": DYNAMIC_TUNING,
        "context": {"priority": 50},
    }


@pytest.mark.parametrize("task_id", ["", "a/b", ".hidden", "x" * 256])
def test_operation_task_ids_are_checked(task_id: str) -> None:
    with pytest.raises(ValueError, match="Druid task id"):
        build_compaction_spec(ORDERS, datasource="orders", task_id=task_id, interval=DAY, priority=25)


def test_instants_are_written_as_sys_segments_writes_them() -> None:
    assert segments_text(datetime(2024, 1, 2, tzinfo=UTC)) == "2024-01-02T00:00:00.000Z"
    assert segments_text(datetime(999, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)) == "0999-01-02T03:04:05.678Z"
