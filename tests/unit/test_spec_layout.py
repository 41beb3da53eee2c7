"""Rollup and partitioning in the index_parallel spec, and the declaration's checks on them: literal inputs,
literal outputs (whether Druid takes them is shown against the real Druid in tests/integration/api/test_layouts.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from backend.druid.spec import build_index_parallel_spec
from backend.errors import IngestError
from backend.schema.codec import schema_from_json, schema_to_json
from backend.schema.declaration import ColumnSpec, ColumnType, DatasourceSchema
from backend.schema.layout import Aggregator, Metric, Partitioning, PartitionType, Rollup

ORDERS = DatasourceSchema("orders", "orders", "ts", (
    ColumnSpec("ts", ColumnType.timestamp),
    ColumnSpec("country", ColumnType.string),
    ColumnSpec("store", ColumnType.string),
    ColumnSpec("units", ColumnType.long),
    ColumnSpec("amount", ColumnType.double),
))
ROLLED_UP = replace(ORDERS, rollup=Rollup(True, (Metric("units", Aggregator.longSum),
                                                 Metric("amount", Aggregator.doubleSum))))
URIS = ["s3://bucket/staged/job1/1.csv"]
INTERVAL = ["2020-01-01T00:00:00Z/2020-01-02T00:00:00Z"]


def _spec(schema: DatasourceSchema, *, append: bool) -> dict[str, Any]:
    return build_index_parallel_spec(schema, datasource="orders", task_id="t1", input_uris=URIS, append=append,
                                     replace_intervals=None if append else INTERVAL, priority=50,
                                     extra_string_dimensions=["ingest_job_id"])


def _tuning(**fields: Any) -> dict[str, Any]:
    return {"type": "index_parallel", "maxParseExceptions": 0, "maxSavedParseExceptions": 10,
            "maxNumConcurrentSubTasks": 1, **fields}


def test_rollup_puts_metrics_in_the_metrics_spec_and_keeps_the_rest_as_dimensions() -> None:
    spec = _spec(ROLLED_UP, append=True)["spec"]
    assert spec["dataSchema"]["dimensionsSpec"] == {"dimensions": [
        {"type": "string", "name": "country"}, {"type": "string", "name": "store"},
        {"type": "string", "name": "ingest_job_id"}]}
    assert spec["dataSchema"]["metricsSpec"] == [
        {"type": "count", "name": "count"},
        {"type": "longSum", "name": "units", "fieldName": "units"},
        {"type": "doubleSum", "name": "amount", "fieldName": "amount"},
    ]
    assert spec["dataSchema"]["granularitySpec"] == {"segmentGranularity": "DAY", "queryGranularity": "NONE",
                                                     "rollup": True}


def test_without_rollup_there_is_no_metrics_spec() -> None:
    spec = _spec(ORDERS, append=True)["spec"]
    assert "metricsSpec" not in spec["dataSchema"]
    assert spec["dataSchema"]["granularitySpec"]["rollup"] is False


def test_dynamic_partitioning_with_a_target() -> None:
    schema = replace(ORDERS, partitioning=Partitioning(PartitionType.dynamic, 1_000_000))
    assert _spec(schema, append=True)["spec"]["tuningConfig"] == _tuning(
        partitionsSpec={"type": "dynamic", "maxRowsPerSegment": 1_000_000})


def test_hashed_partitioning_by_target_rows() -> None:
    schema = replace(ORDERS, partitioning=Partitioning(PartitionType.hashed, 2_000_000, ("country", "store")))
    assert _spec(schema, append=False)["spec"]["tuningConfig"] == _tuning(
        forceGuaranteedRollup=True,
        partitionsSpec={"type": "hashed", "partitionDimensions": ["country", "store"],
                        "targetRowsPerSegment": 2_000_000})


def test_hashed_partitioning_by_shard_count() -> None:
    schema = replace(ORDERS, partitioning=Partitioning(PartitionType.hashed, None, ("store",), 4))
    assert _spec(schema, append=False)["spec"]["tuningConfig"] == _tuning(
        forceGuaranteedRollup=True,
        partitionsSpec={"type": "hashed", "partitionDimensions": ["store"], "numShards": 4})


def test_range_partitioning_runs_in_parallel_mode() -> None:
    schema = replace(ORDERS, partitioning=Partitioning(PartitionType.range, 500_000, ("country",)))
    assert _spec(schema, append=False)["spec"]["tuningConfig"] == _tuning(
        forceGuaranteedRollup=True, maxNumConcurrentSubTasks=2,
        partitionsSpec={"type": "range", "partitionDimensions": ["country"], "targetRowsPerSegment": 500_000})


@pytest.mark.parametrize("kind", [PartitionType.hashed, PartitionType.range])
def test_an_append_to_a_hashed_or_range_datasource_writes_dynamic_segments(kind: PartitionType) -> None:
    schema = replace(ORDERS, partitioning=Partitioning(kind, 300_000, ("country",)))
    spec = _spec(schema, append=True)["spec"]
    assert spec["tuningConfig"] == _tuning(partitionsSpec={"type": "dynamic", "maxRowsPerSegment": 300_000})
    assert spec["ioConfig"]["appendToExisting"] is True


def test_the_layout_survives_json_and_back() -> None:
    schema = replace(ROLLED_UP, partitioning=Partitioning(PartitionType.range, 500_000, ("country", "store")))
    data = schema_to_json(schema)
    assert data["rollup"] == {"enabled": True, "count_metric": "count", "metrics": [
        {"column": "units", "aggregator": "longSum"}, {"column": "amount", "aggregator": "doubleSum"}]}
    assert data["partitioning"] == {"type": "range", "dimensions": ["country", "store"],
                                    "target_rows_per_segment": 500_000}
    back = schema_from_json(data, name="orders", druid_datasource="orders")
    assert (back.rollup, back.partitioning) == (schema.rollup, schema.partitioning)


def test_a_definition_without_layout_reads_as_no_rollup_and_dynamic_partitioning() -> None:
    data = schema_to_json(ORDERS)
    del data["rollup"], data["partitioning"]
    schema = schema_from_json(data, name="orders", druid_datasource="orders")
    assert schema.rollup == Rollup() and schema.partitioning == Partitioning()


def _problems(**layout: Any) -> list[dict[str, str]]:
    with pytest.raises(IngestError) as caught:
        schema_from_json({**schema_to_json(ORDERS), **layout}, name="orders", druid_datasource="orders")
    problems: list[dict[str, str]] = caught.value.details["problems"]
    return problems


@pytest.mark.parametrize(("layout", "path", "says"), [
    ({"partitioning": {"type": "hashed", "num_shards": 2}}, "partitioning.dimensions", "at least one dimension"),
    ({"rollup": {"enabled": True, "metrics": [{"column": "country", "aggregator": "longSum"}]}},
     "rollup.metrics[0].aggregator", "`country` is a string column"),
    ({"rollup": {"enabled": True, "metrics": [{"column": "amount", "aggregator": "longMax"}]}},
     "rollup.metrics[0].aggregator", "longMax needs a long column"),
    ({"rollup": {"enabled": True}}, "rollup.metrics", "at least one metric"),
    ({"rollup": {"metrics": [{"column": "units", "aggregator": "longSum"}]}}, "rollup.metrics", "rollup on"),
    ({"rollup": {"enabled": True, "metrics": [{"column": "units", "aggregator": "longSum"}]},
      "partitioning": {"type": "range", "dimensions": ["units"]}}, "partitioning.dimensions[0]",
     "is a rollup metric, not a dimension"),
    ({"partitioning": {"type": "range", "dimensions": ["ts"]}}, "partitioning.dimensions[0]", "time column"),
    ({"partitioning": {"type": "range", "dimensions": ["nope"]}}, "partitioning.dimensions[0]", "not one of"),
    ({"partitioning": {"type": "range", "dimensions": ["amount"]}}, "partitioning.dimensions[0]",
     "string dimensions only"),
    ({"partitioning": {"type": "hashed", "dimensions": ["store"], "num_shards": 2, "target_rows_per_segment": 1000}},
     "partitioning", "exactly one of"),
    ({"partitioning": {"type": "dynamic", "num_shards": 2}}, "partitioning.num_shards", "hashed partitioning only"),
    ({"partitioning": {"type": "dynamic", "target_rows_per_segment": 5}}, "partitioning.target_rows_per_segment",
     "must be 100 to"),
    ({"partitioning": {"type": "dynamic", "dimensions": ["store"]}}, "partitioning.dimensions", "hashed and range"),
    ({"partitioning": {"type": "zigzag"}}, "partitioning.type", "must be one of dynamic, hashed, range"),
    ({"rollup": {"enabled": True, "count_metric": "store", "metrics": [{"column": "units", "aggregator": "longSum"}]}},
     "rollup.count_metric", "also a column's name"),
    ({"rollup": {"enabled": True, "metrics": [{"column": "units", "aggregator": "thetaSketch"}]}},
     "rollup.metrics[0].aggregator", "must be one of"),
])
def test_invalid_layouts_name_the_field(layout: dict[str, Any], path: str, says: str) -> None:
    problems = _problems(**layout)
    assert [p["path"] for p in problems] == [path], problems
    assert says in problems[0]["message"]


def test_a_huge_dimension_list_is_refused_once_and_quickly() -> None:
    problems = _problems(partitioning={"type": "hashed", "num_shards": 2,
                                       "dimensions": [f"d{i}" for i in range(200_000)]})
    assert problems == [{"path": "partitioning.dimensions", "message": "at most 10 dimensions; got 200,000"}]
