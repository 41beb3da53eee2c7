"""What a client names its file, and what the rejects CSV carries, must not reach a person's terminal or
spreadsheet as instructions, nor break the upload: a NUL byte is no 500, a name in any script is recorded exactly,
control characters and escape sequences are recorded as sent but displayed escaped (CLI, Content-Disposition), a
name is capped in length, and formulas in the rejects download are neutralised while the S3 copy keeps the exact
values."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import uuid
from datetime import datetime
from typing import Any

import polars as pl
import requests
from mypy_boto3_s3 import S3Client

from backend.settings import REPO_ROOT, Settings

from .conftest import Service, sales

# Colour, bell, backspace, a C1 control sequence introducer and a right-to-left override: raw, each of them
# changes what a terminal shows. (A line break cannot be sent: CR LF ends the multipart header line.)
ESCAPED = "\x1b[31mred\x1b[0m\x07\x08\u009bname\u202e.csv"
# What must never be printed (tab and line feed aside): C0 and C1 controls, bidirectional overrides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _multipart(filename: bytes, content: bytes, **fields: str) -> tuple[bytes, str]:
    """A multipart body written by hand: requests/urllib3 would escape the filename, a hostile client does not."""
    boundary = f"b-{uuid.uuid4().hex}"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode() + filename
             + b'"\r\nContent-Type: text/csv\r\n\r\n' + content + f"\r\n--{boundary}--\r\n".encode())
    return body, f"multipart/form-data; boundary={boundary}"


def _upload_raw(service: Service, filename: bytes, content: bytes, **fields: str) -> requests.Response:
    body, content_type = _multipart(filename, content, **fields)
    return requests.post(f"{service.url}/api/v1/uploads", data=body, headers={"Content-Type": content_type},
                         timeout=60)


def _rejected_csv(tag: str, rows: int = 6, cells: dict[int, dict[str, str]] | None = None) -> bytes:
    """Sales rows of this test's own where data record 0 has Quantity 0 (so the job ends `rejected` without
    Druid), plus any other cells given."""
    frame = sales(tag, rows, start=datetime(2024, 6, 1), days=2).with_columns(pl.all().cast(pl.String))
    records = frame.to_dicts()
    records[0]["Quantity"] = "0"
    for index, values in (cells or {}).items():
        records[index].update(values)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=frame.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode()


def _cli(service: Service, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args, "--api", service.url], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_nul_byte_in_the_filename_is_accepted_and_recorded_without_it(service: Service, unique_tag: str) -> None:
    # curl -F 'file=@x.csv;filename=a%00b.csv' style: PostgreSQL text cannot hold NUL, which answered 500.
    response = _upload_raw(service, b"a\x00b.csv", _rejected_csv(unique_tag))
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["filename"] == "a\ufffdb.csv"  # the one character a record cannot hold, replaced
    job = service.job(accepted["job_id"])
    assert job["filename"] == "a\ufffdb.csv"
    assert service.wait(job["job_id"])["state"] == "rejected"  # the worker reads it like any other upload


def test_a_filename_in_any_script_is_recorded_exactly(service: Service, unique_tag: str) -> None:
    # The Content-Disposition parameters were decoded as latin-1: "売上" answered 500 and "café" was garbled.
    name = "продажи 売上 café 👩‍💻.csv"
    response = _upload_raw(service, name.encode(), _rejected_csv(unique_tag))
    assert response.status_code == 202, response.text
    assert service.job(response.json()["job_id"])["filename"] == name


def test_control_characters_in_a_filename_are_recorded_as_sent_and_displayed_escaped(
    service: Service, unique_tag: str
) -> None:
    response = _upload_raw(service, ESCAPED.encode(), _rejected_csv(unique_tag))
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    job = service.wait(job_id)
    assert job["filename"] == ESCAPED  # the record keeps what the client sent
    assert job["state"] == "rejected"
    assert "/api/v1" not in job["message"]  # words for people; each client shows the errors in its own place

    status = _cli(service, "status", job_id)
    assert status.returncode == 1, status.stderr
    listing = _cli(service, "jobs", "--limit", "500")
    assert listing.returncode == 0, listing.stderr
    displayed = r"\x1b[31mred\x1b[0m\x07\x08\x9bname\u202e.csv"
    assert displayed in status.stdout
    line = next(line for line in listing.stdout.splitlines() if line.startswith(job_id))
    assert line.endswith(displayed)
    for output in (status.stdout, status.stderr, listing.stdout, listing.stderr):
        assert not _CONTROL.search(output), repr(output)

    rejects = requests.get(f"{service.url}/api/v1/jobs/{job_id}/rejects", timeout=10)
    assert rejects.status_code == 200
    disposition = rejects.headers["content-disposition"]
    assert disposition.isascii() and not _CONTROL.search(disposition), repr(disposition)
    assert disposition.startswith('attachment; filename="') and disposition.endswith('-rejects.csv"')


def test_push_prints_a_hostile_filename_escaped(service: Service, tmp_path: Any, unique_tag: str) -> None:
    path = tmp_path / "\x1b]0;owned\x07data.csv"  # an escape sequence that retitles the terminal window
    path.write_bytes(_rejected_csv(unique_tag))
    pushed = _cli(service, "push", str(path), "--datasource", "sales", "--wait")
    assert pushed.returncode == 1, pushed.stderr
    assert r"\x1b]0;owned\x07data.csv" in pushed.stderr
    assert not _CONTROL.search(pushed.stdout + pushed.stderr), repr(pushed.stderr)
    assert service.job(pushed.stdout.strip())["filename"] == path.name


def test_a_long_filename_is_capped_keeping_its_extension(service: Service, unique_tag: str) -> None:
    name = "quarterly-" + "x" * 2000 + ".csv"
    accepted = service.upload(_rejected_csv(unique_tag), name)
    assert accepted.status_code == 202, accepted.text
    recorded = service.job(accepted.json()["job_id"])["filename"]
    assert len(recorded) == 255
    assert recorded.startswith("quarterly-xxx") and recorded.endswith("\u2026.csv")
    assert accepted.json()["filename"] == recorded


FORMULAS = {
    "ProductName": '=HYPERLINK("http://evil.example","click")',
    "CustomerID": "+cmd|' /C calc'!A0",
    "ProductLine": "@SUM(1+1)*cmd|' /C calc'!A0",
    "Country": "-2+3+cmd|' /C calc'!A0",
}


def test_the_rejects_download_neutralises_formulas_and_s3_keeps_exact_values(
    service: Service, unique_tag: str, s3: S3Client, settings: Settings
) -> None:
    cells = {
        1: {"Quantity": "0", **FORMULAS},
        2: {"Quantity": "-5", "ProductName": "\t=1+1", "CustomerID": "\r=1+1"},
        # A quoted field with a line break: a formula after the break is no cell start; one before it is.
        3: {"Quantity": "0", "ProductName": "line one\n=not a cell start", "CustomerID": "=1+1\nsecond line"},
    }
    job_id = service.accepted(_rejected_csv(unique_tag, 8, cells), "formulas.csv", on_invalid="skip")
    job = service.wait(job_id)
    assert job["rows_invalid"] == 4, job

    response = requests.get(f"{service.url}/api/v1/jobs/{job_id}/rejects", timeout=10)
    assert response.status_code == 200
    downloaded = list(csv.DictReader(io.StringIO(response.text, newline="")))
    stored = s3.get_object(Bucket=settings.s3_bucket, Key=f"reports/{job_id}/rejects.csv")["Body"].read().decode()
    exact = list(csv.DictReader(io.StringIO(stored, newline="")))
    by_row = {int(r["__row"]): r for r in downloaded}
    exact_by_row = {int(r["__row"]): r for r in exact}
    assert set(by_row) == set(exact_by_row) == {2, 3, 4, 5}

    for column, value in FORMULAS.items():
        assert exact_by_row[3][column] == value  # S3, for programs: exact
        assert by_row[3][column] == "'" + value  # the download, for people: inert text
    assert by_row[4]["ProductName"] == "'\t=1+1" and by_row[4]["CustomerID"] == "'\r=1+1"
    assert by_row[4]["Quantity"] == "-5"  # a plain number stays a number
    assert by_row[5]["ProductName"] == "line one\n=not a cell start"
    assert by_row[5]["CustomerID"] == "'=1+1\nsecond line"
    for row, record in by_row.items():  # everything else exactly as stored
        for column, value in record.items():
            original = exact_by_row[row][column]
            assert value == (f"'{original}" if original[:1] in ("=", "+", "@", "\t", "\r") else original) or (
                original.startswith("-") and value in {original, f"'{original}"}
            ), (row, column, value, original)
    # Every cell a spreadsheet would run as a formula was quoted and prefixed in the bytes themselves.
    assert '"\'=HYPERLINK(""http://evil.example"",""click"")"' in response.text
