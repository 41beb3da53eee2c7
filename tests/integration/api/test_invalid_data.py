"""Invalid rows: `reject` ingests nothing and names every bad cell; `skip` ingests the rest and offers the rejects."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import polars as pl
import requests

from .conftest import Service, sales


def _with_bad_cells(tag: str, rows: int, bad: dict[int, dict[str, str]], seed: int) -> tuple[bytes, pl.DataFrame]:
    """A CSV whose data record i (0-based) has the given cells replaced; returns it and the good rows."""
    frame = sales(tag, rows, seed=seed, start=datetime(2024, 6, 1), days=4)
    text = frame.with_columns(pl.all().cast(pl.String))
    records = text.to_dicts()
    for index, cells in bad.items():
        records[index].update(cells)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=text.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    good = frame.filter(~pl.int_range(pl.len()).is_in(list(bad)))
    return out.getvalue().encode(), good


BAD = {
    1: {"Quantity": "0"},  # file row 3
    3: {"Region": "XX"},  # file row 5
    4: {"Quantity": "abc", "Currency": "usd"},  # file row 6
    9: {"TransactionTimestamp": "yesterday"},  # file row 11
}
# Quantity 0 also breaks Revenue == Quantity x UnitPrice x (1 - Discount); "abc" is no number, so that row's
# Revenue is not judged.
EXPECTED = {(3, "Quantity"), (3, "Revenue"), (5, "Region"), (6, "Quantity"), (6, "Currency"),
            (11, "TransactionTimestamp")}


def test_reject_reports_exact_rows_and_ingests_nothing(service: Service, unique_tag: str) -> None:
    content, _ = _with_bad_cells(unique_tag, 40, BAD, seed=11)
    job_id = service.accepted(content, "bad.csv", on_invalid="reject")
    job = service.wait(job_id)
    assert job["state"] == "rejected"
    assert job["code"] == "validation_failed"
    assert job["rows_total"] == 40 and job["rows_invalid"] == 4 and job["rows_valid"] == 36
    errors = service.errors(job_id)
    assert {(e["row"], e["column"]) for e in errors["items"]} == EXPECTED
    assert errors["total"] == len(EXPECTED)
    assert [e["row"] for e in errors["items"]] == sorted(e["row"] for e in errors["items"])
    by_cell = {(e["row"], e["column"]): e for e in errors["items"]}
    assert by_cell[(6, "Quantity")]["value"] == "abc"
    assert by_cell[(5, "Region")]["value"] == "XX"
    assert all(e["message"] for e in errors["items"])
    assert service.landed(job_id) == (0, 0.0)


def test_skip_ingests_valid_rows_and_offers_rejects(service: Service, unique_tag: str) -> None:
    content, good = _with_bad_cells(unique_tag, 40, BAD, seed=12)
    job_id = service.accepted(content, "partly-bad.csv", on_invalid="skip")
    job = service.wait(job_id)
    assert job["state"] == "succeeded", job
    assert job["rows_valid"] == 36 and job["rows_invalid"] == 4 and job["druid_rows"] == 36
    rows, revenue = service.landed(job_id)
    assert rows == 36
    assert abs(revenue - float(good["Revenue"].sum())) < 0.01

    response = requests.get(f"{service.url}/api/v1/jobs/{job_id}/rejects", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rejects = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rejects) == 4
    assert "errors" in rejects[0]
    assert {r["Quantity"] for r in rejects} >= {"0", "abc"}


def test_rejects_larger_than_one_upload_part_download_whole(service: Service, unique_tag: str) -> None:
    # Reports are stored in S3 in several parts once they pass s3_multipart_chunk_bytes (8 MiB); the download
    # must still be the whole file, not a stream that breaks at its end (moto, like some S3-compatible stores,
    # answers such objects with a checksum botocore cannot verify as a whole-object one).
    rows = 80_000
    frame = sales(unique_tag, rows, seed=23, start=datetime(2024, 6, 1), days=2)
    content = frame.with_columns(pl.lit("0").alias("Quantity")).write_csv().encode()  # every row invalid
    job_id = service.accepted(content, "all-bad.csv", on_invalid="reject")
    job = service.wait(job_id)
    assert job["state"] == "rejected" and job["rows_invalid"] == rows
    response = requests.get(f"{service.url}/api/v1/jobs/{job_id}/rejects", timeout=60)
    assert response.status_code == 200
    assert len(response.content) > 8 * 1024 * 1024, "the rejects file should span several upload parts"
    rejects = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rejects) == rows
    assert {r["Quantity"] for r in rejects} == {"0"}
    assert int(rejects[-1]["__row"]) == rows + 1
