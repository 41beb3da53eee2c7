"""Druid task specs for operations on rows already in Druid, as pure functions of their inputs: `compact` tasks
that rewrite a period's segments into fewer (a compaction), or without one job's rows (a retraction)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from backend.druid.spec import check_task_id, tuning_config
from backend.schema.declaration import DatasourceSchema
from backend.schema.layout import Partitioning


def compaction_partitioning(partitioning: Partitioning, target_rows_per_segment: int | None) -> Partitioning:
    """The declared layout, with a requested target rows per segment in place of its target or shard count."""
    if target_rows_per_segment is None:
        return partitioning
    return replace(partitioning, target_rows_per_segment=target_rows_per_segment, num_shards=None)


def build_compaction_spec(
    schema: DatasourceSchema, *, datasource: str, task_id: str, interval: str, priority: int,
    target_rows_per_segment: int | None = None,
) -> dict[str, Any]:
    """Compact `interval` of `datasource` into segments laid out as the schema declares (its partitioning and
    segment granularity). Dimensions and metrics stay as the segments hold them; Druid publishes the new segments
    at the task's end, all at once, so the period reads the same rows before and after."""
    check_task_id(task_id)
    partitioning = compaction_partitioning(schema.partitioning, target_rows_per_segment)
    return {
        "type": "compact",
        "id": task_id,
        "dataSource": datasource,
        "ioConfig": {"type": "compact", "inputSpec": {"type": "interval", "interval": interval}},
        "granularitySpec": {"segmentGranularity": schema.granularity.segment.value},
        "tuningConfig": tuning_config(partitioning, appending=False, max_num_concurrent_subtasks=1),
        "context": {"priority": priority},
    }


def build_retraction_spec(
    datasource: str, *, task_id: str, interval: str, priority: int, partitioning: Partitioning,
    lineage_column: str, job_id: str,
) -> dict[str, Any]:
    """Rewrite `interval` of `datasource` without the rows whose `lineage_column` is `job_id`: a `compact` task
    with a filter, so every other row keeps exactly the dimensions, metrics and granularities its segments hold
    (a datasource whose schema changed since keeps its older columns). dropExisting: a chunk left with no rows is
    emptied (a tombstone), not left serving the old segments."""
    check_task_id(task_id)
    return {
        "type": "compact",
        "id": task_id,
        "dataSource": datasource,
        "ioConfig": {"type": "compact", "inputSpec": {"type": "interval", "interval": interval},
                     "dropExisting": True},
        "transformSpec": {"filter": {"type": "not",
                                     "field": {"type": "selector", "dimension": lineage_column, "value": job_id}}},
        "tuningConfig": tuning_config(partitioning, appending=False, max_num_concurrent_subtasks=1),
        "context": {"priority": priority},
    }
