"""A datasource of the user's own, from an inferred sample to Druid: web events (nothing like sales) declared from a
proposal, 10,000 rows ingested with Druid's types following the declaration, then evolved: an optional column
added (old rows NULL there), a pinned older version validating an upload, a type change refused under BACKWARD."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import requests

from tests.polling import poll_until
from tests.web_events import web_events

from .conftest import Service


def _infer(service: Service, content: bytes, filename: str, **fields: str) -> dict[str, Any]:
    response = requests.post(f"{service.url}/api/v1/datasources/infer", files={"file": (filename, content)},
                             data=fields, timeout=60)
    assert response.status_code == 200, response.text
    proposal: dict[str, Any] = response.json()
    return proposal


def _columns(service: Service, table: str) -> dict[str, str]:
    rows = service.sql(
        "SELECT COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'druid' "
        "AND TABLE_NAME = ?", table)
    return {row["COLUMN_NAME"]: row["DATA_TYPE"] for row in rows}


def test_web_events_from_an_inferred_sample_to_druid_and_evolved(service: Service, unique_tag: str) -> None:
    name = f"web_events_{unique_tag}"
    sample = web_events(300, seed=3, id_prefix=f"{unique_tag}-")
    proposal = _infer(service, sample.write_csv().encode(), "sample.csv")
    assert proposal["time_column"] == "event_time"
    assert {c["name"]: c["type"] for c in proposal["columns"]} == {
        "event_time": "timestamp", "user_id": "string", "page": "string", "duration_ms": "long",
        "score": "double", "country": "string",
    }
    jobs_before = requests.get(f"{service.url}/api/v1/jobs", params={"datasource": name}, timeout=10).json()
    assert jobs_before["total"] == 0  # inference stores nothing

    created = requests.post(f"{service.url}/api/v1/datasources",
                            json={"name": name, "description": "Page views", **proposal["definition"]}, timeout=30)
    assert created.status_code == 201, created.text

    events = web_events(10_000, seed=4, id_prefix=f"{unique_tag}-")
    first = service.wait(service.accepted(events.write_csv().encode(), "events.csv", datasource=name), 300)
    assert first["state"] == "succeeded", first
    assert (first["druid_rows"], first["schema_version"]) == (10_000, 1)

    assert poll_until(lambda: _columns(service, name) or None, 60, "the datasource's columns in Druid") == {
        "__time": "TIMESTAMP", "user_id": "VARCHAR", "page": "VARCHAR", "duration_ms": "BIGINT", "score": "DOUBLE",
        "country": "VARCHAR", "ingest_job_id": "VARCHAR",
    }
    sums = service.sql(f'SELECT SUM(duration_ms) AS d, SUM(score) AS s, COUNT(*) AS n FROM "{name}"')[0]
    assert sums["n"] == 10_000
    assert sums["d"] == int(events["duration_ms"].sum())
    assert round(sums["s"], 2) == round(float(events["score"].sum()), 2)

    # Version 2 adds an optional column: compatible under BACKWARD, the default.
    definition_2 = {**proposal["definition"],
                    "columns": [*proposal["definition"]["columns"],
                                {"name": "referrer", "type": "string", "required": False, "rules": []}]}
    registered = requests.post(f"{service.url}/api/v1/datasources/{name}/schemas", json=definition_2, timeout=30)
    assert registered.status_code == 201 and registered.json()["version"] == 2, registered.text
    later = web_events(50, seed=5, start=dt.datetime(2025, 3, 6), days=1, id_prefix=f"{unique_tag}-") \
        .with_columns(pl.format("https://example.com/{}", pl.col("user_id")).alias("referrer"))
    second = service.wait(service.accepted(later.write_csv().encode(), "with-referrer.csv", datasource=name))
    assert second["state"] == "succeeded" and second["schema_version"] == 2, second
    # The broker learns of a new column when it next refreshes its view of the datasource (every 5 s here).
    poll_until(lambda: _columns(service, name).get("referrer"), 90, "`referrer` in INFORMATION_SCHEMA.COLUMNS",
               accept=lambda sql_type: sql_type == "VARCHAR")
    by_job = {row["ingest_job_id"]: row for row in service.sql(
        f'SELECT ingest_job_id, COUNT(*) AS n, COUNT(referrer) AS with_referrer FROM "{name}" GROUP BY ingest_job_id')}
    assert (by_job[first["job_id"]]["n"], by_job[first["job_id"]]["with_referrer"]) == (10_000, 0)  # NULL there
    assert (by_job[second["job_id"]]["n"], by_job[second["job_id"]]["with_referrer"]) == (50, 50)
    pairs = service.sql(f'SELECT user_id, referrer FROM "{name}" WHERE ingest_job_id = ?', second["job_id"])
    assert {(row["user_id"], row["referrer"]) for row in pairs} == set(later.select("user_id", "referrer").rows())

    # A producer still on version 1 pins it: its file is checked against version 1, whatever is current.
    pinned_rows = web_events(20, seed=6, start=dt.datetime(2025, 3, 7), days=1, id_prefix=f"{unique_tag}-")
    pinned = service.wait(service.accepted(pinned_rows.write_csv().encode(), "pinned.csv", datasource=name,
                                           schema_version="1"))
    assert (pinned["state"], pinned["schema_version"], pinned["druid_rows"]) == ("succeeded", 1, 20), pinned
    bad = pinned_rows.with_columns(pl.lit("1.5").alias("duration_ms"))
    refused = service.wait(service.accepted(bad.write_csv().encode(), "pinned-bad.csv", datasource=name,
                                            schema_version="1"))
    assert (refused["state"], refused["code"], refused["schema_version"]) == ("rejected", "validation_failed", 1)
    assert {e["column"] for e in service.errors(refused["job_id"])["items"]} == {"duration_ms"}

    # A type change breaks BACKWARD: refused with its violation.
    retyped = {**definition_2, "columns": [
        {**c, "type": "double", "rules": []} if c["name"] == "duration_ms" else c for c in definition_2["columns"]]}
    answer = requests.post(f"{service.url}/api/v1/datasources/{name}/schemas", json=retyped, timeout=30)
    assert answer.status_code == 409 and answer.json()["code"] == "incompatible_schema", answer.text
    assert answer.json()["details"]["violations"][0]["kind"] == "CHANGE_TYPE"
