"""The index_parallel spec builder and its helpers: literal inputs, literal outputs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from backend.druid.spec import (
    build_index_parallel_spec,
    day_intervals,
    dimensions_spec,
    input_format_for,
    priority_for,
    replace_intervals,
)
from backend.schema.builtins import SALES_SCHEMA
from backend.schema.declaration import Granularity, QueryGranularity, SegmentGranularity

SALES_DIMENSIONS = {
    "dimensions": [
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
}


def _spec(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "datasource": "sales",
        "task_id": "druid-ingest_sales_job1_attempt-1",
        "input_uris": ["s3://bucket/staged/job1/1.csv"],
        "append": True,
        "replace_intervals": None,
        "priority": 50,
    }
    arguments.update(overrides)
    return build_index_parallel_spec(SALES_SCHEMA, **arguments)


def test_dimensions_spec_is_typed_without_the_timestamp() -> None:
    assert dimensions_spec(SALES_SCHEMA) == SALES_DIMENSIONS


def test_dimensions_spec_with_extra_string_columns() -> None:
    extra = dimensions_spec(SALES_SCHEMA, ["ingest_job_id"])["dimensions"]
    assert extra[-1] == {"type": "string", "name": "ingest_job_id"}
    assert len(extra) == 13


def test_append_spec() -> None:
    assert _spec() == {
        "type": "index_parallel",
        "id": "druid-ingest_sales_job1_attempt-1",
        "context": {"priority": 50},
        "spec": {
            "dataSchema": {
                "dataSource": "sales",
                "timestampSpec": {"column": "TransactionTimestamp", "format": "iso"},
                "dimensionsSpec": SALES_DIMENSIONS,
                "granularitySpec": {"segmentGranularity": "DAY", "queryGranularity": "NONE", "rollup": False},
            },
            "ioConfig": {
                "type": "index_parallel",
                "inputSource": {"type": "s3", "uris": ["s3://bucket/staged/job1/1.csv"]},
                "inputFormat": {"type": "csv", "findColumnsFromHeader": True},
                "appendToExisting": True,
                "dropExisting": False,
            },
            "tuningConfig": {
                "type": "index_parallel",
                "maxParseExceptions": 0,
                "maxSavedParseExceptions": 10,
                "maxNumConcurrentSubTasks": 1,
                "partitionsSpec": {"type": "dynamic", "maxRowsPerSegment": 5_000_000},
            },
        },
    }


def test_replace_spec() -> None:
    spec = _spec(
        datasource="sales_v2",
        task_id="t-2",
        input_uris=["s3://b/a.csv", "s3://b/b.csv"],
        append=False,
        replace_intervals=["2025-01-03T00:00:00Z/2025-01-05T00:00:00Z"],
        priority=75,
        max_num_concurrent_subtasks=2,
    )
    assert spec == {
        "type": "index_parallel",
        "id": "t-2",
        "context": {"priority": 75},
        "spec": {
            "dataSchema": {
                "dataSource": "sales_v2",
                "timestampSpec": {"column": "TransactionTimestamp", "format": "iso"},
                "dimensionsSpec": SALES_DIMENSIONS,
                "granularitySpec": {
                    "segmentGranularity": "DAY",
                    "queryGranularity": "NONE",
                    "rollup": False,
                    "intervals": ["2025-01-03T00:00:00Z/2025-01-05T00:00:00Z"],
                },
            },
            "ioConfig": {
                "type": "index_parallel",
                "inputSource": {"type": "s3", "uris": ["s3://b/a.csv", "s3://b/b.csv"]},
                "inputFormat": {"type": "csv", "findColumnsFromHeader": True},
                "appendToExisting": False,
                "dropExisting": True,
            },
            "tuningConfig": {
                "type": "index_parallel",
                "maxParseExceptions": 0,
                "maxSavedParseExceptions": 10,
                "maxNumConcurrentSubTasks": 2,
                "partitionsSpec": {"type": "dynamic", "maxRowsPerSegment": 5_000_000},
            },
        },
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"append": False}, "needs replace_intervals"),
        ({"append": False, "replace_intervals": []}, "needs replace_intervals"),
        ({"append": True, "replace_intervals": ["2025-01-03T00:00:00Z/2025-01-04T00:00:00Z"]}, "only apply"),
        ({"input_uris": []}, "nothing to ingest"),
        ({"input_uris": ["https://example.com/a.csv"]}, "s3://"),
        ({"task_id": "a/b"}, "task id"),
        ({"task_id": ".hidden"}, "task id"),
        ({"task_id": "x" * 256}, "task id"),
        ({"max_num_concurrent_subtasks": 0}, "max_num_concurrent_subtasks"),
    ],
)
def test_refused_arguments(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _spec(**overrides)


def test_day_intervals_single_day() -> None:
    assert day_intervals(datetime(2025, 1, 3, 10, tzinfo=UTC), datetime(2025, 1, 3, 23, 59, 59, tzinfo=UTC)) == [
        "2025-01-03T00:00:00Z/2025-01-04T00:00:00Z"
    ]


def test_day_intervals_span_every_day_between() -> None:
    assert day_intervals(datetime(2025, 1, 3, tzinfo=UTC), datetime(2025, 1, 7, 0, 0, 1, tzinfo=UTC)) == [
        "2025-01-03T00:00:00Z/2025-01-08T00:00:00Z"
    ]


def test_day_intervals_are_utc_days() -> None:
    minus_two = timezone(timedelta(hours=-2))
    assert day_intervals(datetime(2025, 1, 3, 23, 30, tzinfo=minus_two), datetime(2025, 1, 4, 2, tzinfo=UTC)) == [
        "2025-01-04T00:00:00Z/2025-01-05T00:00:00Z"
    ]


def test_day_intervals_refuse_naive_or_reversed() -> None:
    with pytest.raises(ValueError):
        day_intervals(datetime(2025, 1, 3), datetime(2025, 1, 4))
    with pytest.raises(ValueError):
        day_intervals(datetime(2025, 1, 4, tzinfo=UTC), datetime(2025, 1, 3, tzinfo=UTC))


def test_priority_for() -> None:
    assert [priority_for(name) for name in ("HIGH", "MEDIUM", "LOW", "low")] == [75, 50, 25, 25]
    with pytest.raises(ValueError):
        priority_for("URGENT")


def test_input_format_follows_the_staged_extension() -> None:
    assert input_format_for(["s3://b/staged/j/attempt-1/rows.csv"]) == {"type": "csv", "findColumnsFromHeader": True}
    assert input_format_for(["s3://b/staged/j/attempt-1/rows.json"]) == {"type": "json"}
    spec = _spec(input_uris=["s3://b/staged/j/attempt-1/rows.json"])
    assert spec["spec"]["ioConfig"]["inputFormat"] == {"type": "json"}


@pytest.mark.parametrize(
    "uris", [["s3://b/rows.csv", "s3://b/rows.json"], ["s3://b/rows.parquet"], ["s3://b/rows"], ["s3://b.csv/rows"]]
)
def test_staged_objects_of_mixed_or_unknown_format_are_refused(uris: list[str]) -> None:
    with pytest.raises(ValueError, match="staged objects must all end in one of"):
        _spec(input_uris=uris)


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (SegmentGranularity.HOUR, "2025-01-31T22:00:00Z/2025-02-01T01:00:00Z"),
        (SegmentGranularity.DAY, "2025-01-31T00:00:00Z/2025-02-02T00:00:00Z"),
        # 2025-01-31 is a Friday: Druid's weeks start on Monday (2025-01-27).
        (SegmentGranularity.WEEK, "2025-01-27T00:00:00Z/2025-02-03T00:00:00Z"),
        (SegmentGranularity.MONTH, "2025-01-01T00:00:00Z/2025-03-01T00:00:00Z"),
        (SegmentGranularity.YEAR, "2025-01-01T00:00:00Z/2026-01-01T00:00:00Z"),
    ],
)
def test_replace_intervals_align_to_the_segment_granularity(segment: SegmentGranularity, expected: str) -> None:
    start, end = datetime(2025, 1, 31, 22, 30, tzinfo=UTC), datetime(2025, 2, 1, 0, 15, tzinfo=UTC)
    assert replace_intervals(start, end, segment) == [expected]


def test_a_december_month_ends_in_the_next_year() -> None:
    instant = datetime(2025, 12, 9, tzinfo=UTC)
    month = replace_intervals(instant, instant, SegmentGranularity.MONTH)
    assert month == ["2025-12-01T00:00:00Z/2026-01-01T00:00:00Z"]


def test_the_spec_takes_the_versions_granularity() -> None:
    hourly = replace(SALES_SCHEMA, granularity=Granularity(SegmentGranularity.HOUR, QueryGranularity.MINUTE))
    spec = build_index_parallel_spec(
        hourly, datasource="sales", task_id="t", input_uris=["s3://b/k.csv"], append=True, replace_intervals=None,
        priority=50,
    )
    assert spec["spec"]["dataSchema"]["granularitySpec"] == {
        "segmentGranularity": "HOUR", "queryGranularity": "MINUTE", "rollup": False,
    }
