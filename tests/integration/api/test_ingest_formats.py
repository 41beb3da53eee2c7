"""One file per format through the HTTP API into the real Druid: the job succeeds and Druid SQL returns exactly
the rows and the revenue that were sent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from backend.formats.file_format import FileFormat
from backend.sample_data import write_sample

from .conftest import Service, sales

ROWS = 240


def _expected(frame: pl.DataFrame) -> tuple[int, float]:
    return frame.height, float(frame["Revenue"].sum())


def _ingest_and_check(service: Service, content: bytes, filename: str, frame: pl.DataFrame) -> dict[str, object]:
    job_id = service.accepted(content, filename)
    job = service.wait(job_id)
    assert job["state"] == "succeeded", job
    rows, revenue = _expected(frame)
    assert job["rows_total"] == rows and job["rows_valid"] == rows and job["rows_invalid"] == 0
    assert job["druid_rows"] == rows, "the receipt must equal the valid rows"
    landed_rows, landed_revenue = service.landed(job_id)
    assert landed_rows == rows
    assert landed_revenue == pytest.approx(revenue, abs=0.01)
    assert [e["state"] for e in job["events"] if e["state"] != "indexing"][-1] == "succeeded"
    return job


@pytest.mark.parametrize("fmt", [FileFormat.csv, FileFormat.xlsx, FileFormat.xls, FileFormat.parquet,
                                 FileFormat.ndjson, FileFormat.json])
def test_each_format_lands_in_druid(service: Service, tmp_path: Path, fmt: FileFormat, unique_tag: str) -> None:
    frame = sales(unique_tag, ROWS, seed=len(fmt.value), start=datetime(2024, 3, 1), days=5)
    path = tmp_path / f"sales.{fmt.value}"
    write_sample(path, fmt, frame)
    job = _ingest_and_check(service, path.read_bytes(), path.name, frame)
    assert job["format"] == fmt.value


def _csv_text(frame: pl.DataFrame, separator: str = ",") -> str:
    return frame.write_csv(separator=separator)


@pytest.mark.parametrize(
    ("variant", "encode"),
    [
        ("semicolon", lambda f: _csv_text(f, ";").encode()),
        ("tab", lambda f: _csv_text(f, "\t").encode()),
        ("pipe", lambda f: _csv_text(f, "|").encode()),
        ("utf8-bom-crlf", lambda f: b"\xef\xbb\xbf" + _csv_text(f).replace("\n", "\r\n").encode()),
        ("cp1252", lambda f: _csv_text(f.with_columns(pl.lit("Café crème").alias("ProductName")))
         .encode("cp1252")),
    ],
)
def test_csv_variants_land_in_druid(service: Service, variant: str, encode: object, unique_tag: str) -> None:
    frame = sales(unique_tag, ROWS, seed=len(variant), start=datetime(2024, 4, 1), days=3)
    if variant == "cp1252":
        frame = frame.with_columns(pl.lit("Café crème").alias("ProductName"))
    assert callable(encode)
    _ingest_and_check(service, encode(frame), f"sales-{variant}.csv", frame)


def test_quoted_fields_with_delimiters_and_line_breaks(service: Service, unique_tag: str) -> None:
    frame = sales(unique_tag, 50, seed=3, start=datetime(2024, 5, 1), days=2).with_columns(
        pl.lit('Widget, "deluxe"\nsecond line').alias("ProductName")
    )
    _ingest_and_check(service, frame.write_csv().encode(), "quoted.csv", frame)
    rows = service.sql('SELECT COUNT(*) AS n FROM "sales" WHERE "ProductName" = ?', 'Widget, "deluxe"\nsecond line')
    assert int(rows[0]["n"]) >= 50


def _staged_key(job: dict[str, object]) -> str:
    events = job["events"]
    assert isinstance(events, list)
    keys = [e["details"]["staged_key"] for e in events if (e.get("details") or {}).get("staged_key")]
    assert len(keys) == 1, events
    return str(keys[0])


def test_values_that_need_quoting_travel_as_csv_and_line_breaks_as_ndjson(service: Service, unique_tag: str) -> None:
    # Druid reads the staged rows as CSV unless a value holds a line break (its CSV reader splits there).
    quoted = 'Tent, 2 person "Pro" ; | \t'
    frame = sales(unique_tag, 40, seed=4, start=datetime(2024, 5, 10), days=2).with_columns(
        pl.lit(quoted).alias("ProductName")
    )
    job = _ingest_and_check(service, frame.write_csv().encode(), "needs-quotes.csv", frame)
    assert _staged_key(job).endswith("/rows.csv")
    rows = service.sql('SELECT COUNT(*) AS n FROM "sales" WHERE "ProductName" = ? AND "ingest_job_id" = ?',
                       quoted, job["job_id"])
    assert int(rows[0]["n"]) == 40

    broken = frame.with_columns(pl.lit("first line\r\nsecond line").alias("ProductName"))
    job = _ingest_and_check(service, broken.write_csv().encode(), "line-break.csv", broken)
    assert _staged_key(job).endswith("/rows.json")
