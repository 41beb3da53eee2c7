"""Rollup and partitioning against the real Druid: each partitioning type leaves its shard spec type in
sys.segments with the file's rows; 10,000 rows roll up to the 480 Druid rows their dimensions allow, with the
metrics' sums equal to the file's and the receipt holding; invalid layouts are refused naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
import requests

from tests.polling import poll_until

from .conftest import Service

COLUMNS = [
    {"name": "ts", "type": "timestamp"},
    {"name": "country", "type": "string"},
    {"name": "store", "type": "string"},
    {"name": "units", "type": "long"},
    {"name": "amount", "type": "double"},
]
DAY = datetime(2019, 6, 1, tzinfo=UTC)


def _orders(rows: int, tag: str) -> pl.DataFrame:
    """Row i falls in hour i % 24 of DAY, country (i // 24) % 5 and store (i // 120) % 4: 480 combinations, all
    present once rows >= 480."""
    return pl.DataFrame({
        "ts": [(DAY + timedelta(hours=i % 24, minutes=(i * 7) % 60)).strftime("%Y-%m-%dT%H:%M:%SZ")
               for i in range(rows)],
        "country": [f"C{(i // 24) % 5}" for i in range(rows)],
        "store": [f"{tag}-S{(i // 120) % 4}" for i in range(rows)],
        "units": [i % 17 + 1 for i in range(rows)],
        "amount": [round((i % 101) * 1.25, 2) for i in range(rows)],
    })


def _create(service: Service, name: str, **layout: Any) -> requests.Response:
    return requests.post(f"{service.url}/api/v1/datasources",
                         json={"name": name, "time_column": "ts", "columns": COLUMNS, **layout}, timeout=30)


def _segments(service: Service, name: str) -> list[dict[str, Any]]:
    return service.sql('SELECT "shard_spec", "num_rows" FROM sys.segments WHERE "datasource" = ? '
                       'AND is_published = 1 AND is_overshadowed = 0', name)


@pytest.mark.parametrize(("partitioning", "shard_types"), [
    ({"type": "dynamic", "target_rows_per_segment": 1000}, {"numbered"}),
    ({"type": "hashed", "dimensions": ["store"], "num_shards": 3}, {"hashed"}),
    ({"type": "range", "dimensions": ["country", "store"], "target_rows_per_segment": 1000}, {"range"}),
])
def test_each_partitioning_type_leaves_its_shard_specs(service: Service, unique_tag: str,
                                                       partitioning: dict[str, Any], shard_types: set[str]) -> None:
    name = f"layout_{partitioning['type']}_{unique_tag}"
    created = _create(service, name, partitioning=partitioning)
    assert created.status_code == 201, created.text
    assert created.json()["schema"]["definition"]["partitioning"] == partitioning
    orders = _orders(3000, unique_tag)
    job = service.wait(service.accepted(orders.write_csv().encode(), "orders.csv", datasource=name, mode="replace"),
                       300)
    assert (job["state"], job["druid_rows"]) == ("succeeded", 3000), job

    # The broker counts a just-loaded segment's rows with a metadata query of its own, moments later.
    segments = poll_until(lambda: _segments(service, name), 60, f"{name}'s segments with their rows counted",
                          accept=lambda found: sum(int(s["num_rows"]) for s in found) == 3000)
    specs = [json.loads(s["shard_spec"]) for s in segments]
    assert {spec["type"] for spec in specs} == shard_types, segments
    if partitioning["type"] == "hashed":  # 3 buckets by the hash of `store` (a bucket no row hashed to is left out)
        assert {(spec["numBuckets"], *spec["partitionDimensions"]) for spec in specs} == {(3, "store")}, specs
    else:
        assert len(segments) >= 3, segments  # 3,000 rows, at most about 1,000 per segment
    # Segment health judges the chunks against the target the datasource declares.
    health = requests.get(f"{service.url}/api/v1/datasources/{name}/segments", timeout=30).json()
    assert health["target_rows_per_segment"] == partitioning.get("target_rows_per_segment", 5_000_000), health
    assert health["totals"]["rows"] == 3000, health
    assert health["totals"]["fragmented"] == 0, health  # 3 hashed shards of a declared count are the layout


def test_rollup_rows_sums_and_receipt(service: Service, unique_tag: str) -> None:
    name = f"layout_rollup_{unique_tag}"
    created = _create(service, name, granularity={"segment": "DAY", "query": "HOUR"},
                      rollup={"enabled": True, "metrics": [{"column": "units", "aggregator": "longSum"},
                                                           {"column": "amount", "aggregator": "doubleSum"}]})
    assert created.status_code == 201, created.text
    orders = _orders(10_000, unique_tag)
    job = service.wait(service.accepted(orders.write_csv().encode(), "orders.csv", datasource=name), 300)
    # The receipt: the sum of the count metric for the job equals the valid rows.
    assert (job["state"], job["rows_valid"], job["druid_rows"]) == ("succeeded", 10_000, 10_000), job

    totals = service.sql(f'SELECT COUNT(*) AS druid_rows, SUM("count") AS rows_in, SUM(units) AS units, '
                         f'SUM(amount) AS amount FROM "{name}" WHERE ingest_job_id = ?', job["job_id"])[0]
    assert totals["druid_rows"] == 480  # 24 hours x 5 countries x 4 stores
    assert totals["rows_in"] == 10_000
    assert totals["units"] == int(orders["units"].sum())
    assert round(totals["amount"], 2) == round(float(orders["amount"].sum()), 2)
    columns = {row["COLUMN_NAME"] for row in service.sql(
        "SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'druid' AND TABLE_NAME = ?", name)}
    assert columns == {"__time", "country", "store", "ingest_job_id", "count", "units", "amount"}


@pytest.mark.parametrize(("layout", "field"), [
    ({"partitioning": {"type": "hashed", "num_shards": 2}}, "partitioning.dimensions"),
    ({"rollup": {"enabled": True, "metrics": [{"column": "country", "aggregator": "longSum"}]}},
     "rollup.metrics[0].aggregator"),
    ({"rollup": {"enabled": True}}, "rollup.metrics"),
    ({"rollup": {"enabled": True, "metrics": [{"column": "units", "aggregator": "longSum"}]},
      "partitioning": {"type": "range", "dimensions": ["units"]}}, "partitioning.dimensions[0]"),
])
def test_invalid_layouts_are_422_naming_the_field(service: Service, unique_tag: str, layout: dict[str, Any],
                                                  field: str) -> None:
    refused = _create(service, f"layout_bad_{unique_tag}", **layout)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_schema" and refused.json()["details"]["fields"] == [field], refused.text
    assert requests.get(f"{service.url}/api/v1/datasources/layout_bad_{unique_tag}", timeout=10).status_code == 404
