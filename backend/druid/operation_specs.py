"""Druid task specs for operations on rows already in Druid, as pure functions of their inputs: a `compact` task
that rewrites a period's segments into fewer, and an `index_parallel` task that reindexes a period from the
`druid` input source without one job's rows (a retraction)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from backend.druid.spec import check_task_id, dimensions_spec, tuning_config
from backend.schema.declaration import DatasourceSchema
from backend.schema.layout import Aggregator, Partitioning, Rollup

# Reading rolled-up rows back, each already aggregates many: the row count is summed, not counted again, and a
# sum stays a sum, a minimum a minimum.
_REAGGREGATE = {aggregator: aggregator.value for aggregator in Aggregator}


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


def reaggregating_metrics(rollup: Rollup) -> list[dict[str, str]]:
    """The metricsSpec that reads rolled-up rows back into the same metrics (the count becomes a longSum)."""
    if not rollup.enabled:
        return []
    return [{"type": "longSum", "name": rollup.count_metric, "fieldName": rollup.count_metric}] + [
        {"type": _REAGGREGATE[m.aggregator], "name": m.column, "fieldName": m.column} for m in rollup.metrics]


def build_retraction_spec(
    schema: DatasourceSchema, *, datasource: str, task_id: str, interval: str, priority: int,
    lineage_column: str, job_id: str,
) -> dict[str, Any]:
    """Replace `interval` of `datasource` with its own rows, read back from Druid, except those whose
    `lineage_column` is `job_id`: that job's rows are gone, every other row (any job's, or none's) stays."""
    check_task_id(task_id)
    data_schema: dict[str, Any] = {
        "dataSource": datasource,
        "timestampSpec": {"column": "__time", "format": "millis"},
        "dimensionsSpec": dimensions_spec(schema, [lineage_column]),
        "granularitySpec": {
            "segmentGranularity": schema.granularity.segment.value,
            "queryGranularity": schema.granularity.query.value,
            "rollup": schema.rollup.enabled,
            "intervals": [interval],
        },
        "transformSpec": {"filter": {"type": "not",
                                     "field": {"type": "selector", "dimension": lineage_column, "value": job_id}}},
    }
    if schema.rollup.enabled:
        data_schema["metricsSpec"] = reaggregating_metrics(schema.rollup)
    return {
        "type": "index_parallel",
        "id": task_id,
        "context": {"priority": priority},
        "spec": {
            "dataSchema": data_schema,
            "ioConfig": {
                "type": "index_parallel",
                "inputSource": {"type": "druid", "dataSource": datasource, "interval": interval},
                "appendToExisting": False,
                "dropExisting": True,
            },
            "tuningConfig": tuning_config(schema.partitioning, appending=False, max_num_concurrent_subtasks=1),
        },
    }
