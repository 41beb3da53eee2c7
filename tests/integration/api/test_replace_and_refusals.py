"""`replace` swaps exactly the days a file covers; bad uploads are refused with a code and the service stays up."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import datetime, timedelta

import polars as pl
import requests

from backend.sample_data import SALES_COLUMNS

from .conftest import UPLOAD_LIMIT, Service, sales, sales_csv


def _day_count(service: Service, day: datetime) -> int:
    start, end = day.strftime("%Y-%m-%d"), (day + timedelta(days=1)).strftime("%Y-%m-%d")
    rows = service.sql(
        f"SELECT COUNT(*) AS n FROM \"sales\" WHERE __time >= TIMESTAMP '{start} 00:00:00' "
        f"AND __time < TIMESTAMP '{end} 00:00:00'"
    )
    return int(rows[0]["n"])


def test_replace_swaps_exactly_one_day(service: Service, unique_tag: str) -> None:
    # Days of their own (in 2001-2009), so no other test's rows share them.
    first = datetime(2001, 1, 1) + timedelta(days=random.randrange(0, 3000))
    second = first + timedelta(days=1)
    appended = service.wait(service.accepted(sales_csv(unique_tag, 100, seed=21, start=first, days=2),
                                             "two-days.csv"))
    assert appended["state"] == "succeeded", appended
    before_second = _day_count(service, second)
    assert _day_count(service, first) + before_second == 100

    replacement = sales_csv(unique_tag, 7, seed=22, start=first, days=1)
    job = service.wait(service.accepted(replacement, "one-day.csv", mode="replace"))
    assert job["state"] == "succeeded", job
    assert job["druid_rows"] == 7
    assert _day_count(service, first) == 7
    assert _day_count(service, second) == before_second


def _refused(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"]


def test_empty_file_is_refused(service: Service) -> None:
    _refused(service.upload(b"", "empty.csv"), 422, "empty_file")
    assert service.healthy()


def test_binary_file_named_csv_is_refused(service: Service) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    _refused(service.upload(png, "photo.csv"), 415, "unsupported_format")
    assert service.healthy()


def test_header_only_is_rejected(service: Service, unique_tag: str) -> None:
    # An extra column named after the test's tag (ignored) makes the bytes its own.
    header = ",".join([*SALES_COLUMNS, f"Note_{unique_tag}"]) + "\n"
    job = service.wait(service.accepted(header.encode(), "header-only.csv"))
    assert (job["state"], job["code"]) == ("rejected", "no_data_rows")


def test_missing_column_is_rejected_naming_it(service: Service, unique_tag: str) -> None:
    frame = sales(unique_tag, 5).drop("Currency")
    job = service.wait(service.accepted(frame.write_csv().encode(), "no-currency.csv"))
    assert (job["state"], job["code"]) == ("rejected", "missing_columns")
    assert "Currency" in job["message"]


def test_extra_columns_are_ignored_with_a_warning(service: Service, unique_tag: str) -> None:
    frame = sales(unique_tag, 5, seed=5).with_columns(pl.lit("x").alias("Notes"))
    job = service.wait(service.accepted(frame.write_csv().encode(), "extra.csv"))
    assert job["state"] == "succeeded", job
    assert any("Notes" in e["message"] for e in job["events"])


def test_oversized_upload_is_refused_mid_stream(service: Service) -> None:
    # Streamed without a Content-Length so the server can only find out while reading.
    def body() -> object:
        chunk = b"x" * (1024 * 1024)
        boundary = b"--b0undary"
        yield boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        for _ in range(UPLOAD_LIMIT // len(chunk) + 4):
            yield chunk
        yield b"\r\n" + boundary + b"--\r\n"

    response = requests.post(f"{service.url}/api/v1/uploads", data=body(),
                             headers={"Content-Type": "multipart/form-data; boundary=b0undary"}, timeout=60)
    _refused(response, 413, "file_too_large")
    assert service.healthy()


def test_spreadsheet_bomb_is_refused(service: Service, unique_tag: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", f'<?xml version="1.0"?><Types/><!-- {unique_tag} -->')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"A" * (300 * 1024 * 1024) + b">")
    job = service.wait(service.accepted(buffer.getvalue(), "bomb.xlsx"))
    assert (job["state"], job["code"]) == ("rejected", "decompression_limit")
    assert service.healthy()


def test_bad_fields_name_the_field(service: Service) -> None:
    response = service.upload(b"a,b\n1,2\n", "x.csv", on_invalid="maybe")
    _refused(response, 422, "invalid_field")
    assert "on_invalid" in response.json()["message"]
    _refused(service.upload(b"a,b\n1,2\n", "x.csv", datasource="nope"), 404, "unknown_datasource")


def test_unknown_job_is_404(service: Service) -> None:
    response = requests.get(f"{service.url}/api/v1/jobs/00000000-0000-0000-0000-000000000000", timeout=10)
    _refused(response, 404, "not_found")
    response = requests.get(f"{service.url}/api/v1/jobs/not-a-uuid", timeout=10)
    assert response.status_code == 422
