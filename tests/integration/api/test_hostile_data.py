"""A client's bytes never end a job in `internal_error` (issue 12: #3, #4, #5, #9, #11): odd files are `rejected`
with a code and words about what is wrong in the client's own data, and what people read stays small and safe."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import requests

from .conftest import Service, sales

_DEPTH = 10_000


def _frame(tag: str, rows: int, seed: int) -> pl.DataFrame:
    return sales(tag, rows, seed=seed, start=datetime(2024, 5, 1), days=3)


def _records(service: Service, body: bytes) -> str:
    response = requests.post(f"{service.url}/api/v1/datasources/sales/records", data=body,
                             headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def _rejected(service: Service, job_id: str, code: str) -> dict[str, Any]:
    job = service.wait(job_id)
    assert (job["state"], job["code"]) == ("rejected", code), job
    assert service.landed(job_id) == (0, 0.0)
    return job


def _ending_details(job: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = job["events"][-1]["details"]
    return details


def _json_lines(frame: pl.DataFrame) -> list[str]:
    return [json.dumps(row) for row in frame.with_columns(pl.all().cast(pl.String)).to_dicts()]


# -- #3: a header field over the csv module's field limit --------------------------------------------------------


def test_csv_header_field_over_the_limit_is_rejected_not_failed(service: Service, unique_tag: str) -> None:
    text = _frame(unique_tag, 20, seed=31).write_csv()
    content = ("N" * 200_000 + "," + text).encode()  # a 200 KB column name before the real header
    job_id = service.accepted(content, "wide-name.csv")
    job = _rejected(service, job_id, "malformed_file")
    assert "131,072" in job["message"] and "header" in job["message"].lower(), job["message"]
    assert _ending_details(job)["limit_bytes"] == 131_072
    assert service.errors(job_id)["total"] == 0
    # A rejected job is not offered for a retry that can only fail again.
    assert requests.post(f"{service.url}/api/v1/jobs/{job_id}/retry", timeout=10).status_code == 409


def test_one_line_file_without_a_line_break_is_rejected(service: Service, unique_tag: str) -> None:
    content = f"TransactionID-{unique_tag}".encode() + b"x" * (3 * 1024 * 1024)
    job = _rejected(service, service.accepted(content, "one-line.csv"), "malformed_file")
    assert "limit_bytes" in _ending_details(job), job


# -- #4: JSON nested 10,000 levels deep ---------------------------------------------------------------------------


def _deep(tag: str) -> str:
    return '{"TransactionID": "' + tag + '", "x": ' + '{"a": ' * _DEPTH + "1" + "}" * _DEPTH + "}"


def test_deeply_nested_records_body_is_rejected(service: Service, unique_tag: str) -> None:
    job = _rejected(service, _records(service, ("[" + _deep(unique_tag) + "]").encode()), "malformed_file")
    assert "100 levels" in job["message"], job["message"]
    assert _ending_details(job)["max_depth"] == 100


def test_deeply_nested_json_and_ndjson_files_are_rejected(service: Service, unique_tag: str) -> None:
    good = _json_lines(_frame(unique_tag, 3, seed=41))
    array = ("[" + ",".join([*good, _deep(unique_tag)]) + "]").encode()
    job = _rejected(service, service.accepted(array, "deep.json"), "malformed_file")
    assert "Record 4" in job["message"] and "100 levels" in job["message"], job["message"]
    lines = ("\n".join([*good, _deep(unique_tag + "-nd")]) + "\n").encode()
    job = _rejected(service, service.accepted(lines, "deep.ndjson"), "malformed_file")
    assert "100 levels" in job["message"], job["message"]


# -- #5: control characters in invalid values ---------------------------------------------------------------------


def test_nul_in_an_invalid_value_is_stored_escaped_and_kept_exact_in_the_reports(
    service: Service, unique_tag: str
) -> None:
    frame = _frame(unique_tag, 1200, seed=51)  # > 64 KiB: the NUL is past the head that format detection reads
    records = frame.with_columns(pl.all().cast(pl.String)).to_dicts()
    records[1100]["Region"] = "E\x00MEA\x1b[31m"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=frame.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    job_id = service.accepted(out.getvalue().encode(), "nul.csv", on_invalid="skip")
    job = service.wait(job_id)
    assert job["state"] == "succeeded", job
    assert job["rows_invalid"] == 1 and service.landed(job_id)[0] == 1199
    (error,) = service.errors(job_id)["items"]
    assert error["row"] == 1102 and error["column"] == "Region"
    assert error["value"] == "E\\x00MEA\\x1b[31m"
    assert "\x00" not in error["message"] and "\x1b" not in error["message"]
    rejects = requests.get(f"{service.url}/api/v1/jobs/{job_id}/rejects", timeout=10)
    assert rejects.status_code == 200
    assert "E\x00MEA\x1b[31m" in rejects.text  # the exact value, for programs


def test_nul_escape_in_json_records_is_stored(service: Service, unique_tag: str) -> None:
    records = [json.loads(line) for line in _json_lines(_frame(unique_tag, 2, seed=52))]
    records[0]["Region"] = "N\x00A"
    records[0]["note\x00key"] = "x"
    job = _rejected(service, _records(service, json.dumps(records).encode()), "validation_failed")
    (error,) = service.errors(job["job_id"])["items"]
    assert error["value"] == "N\\x00A"


# -- #9: a 10,000-column file -------------------------------------------------------------------------------------


def test_ten_thousand_columns_keep_events_and_messages_small(service: Service, unique_tag: str) -> None:
    frame = _frame(unique_tag, 5, seed=91)
    extra = pl.DataFrame({f"Extra_column_number_{i:05d}": ["v"] * frame.height for i in range(9_987)})
    wide = pl.concat([frame, extra], how="horizontal")
    job_id = service.accepted(wide.write_csv().encode(), "wide.csv")
    job = service.wait(job_id)
    assert job["state"] == "succeeded", job
    (ignoring,) = [e for e in job["events"] if e["message"].startswith("Ignoring")]
    assert len(ignoring["message"]) < 2_000, len(ignoring["message"])
    assert "9987" in ignoring["message"] and "Extra_column_number_00000" in ignoring["message"]
    assert ignoring["details"]["extra_columns_total"] == 9_987
    assert len(ignoring["details"]["extra_columns"]) == 20
    assert len(json.dumps(job)) < 20_000

    missing = wide.drop("Revenue")
    job = _rejected(service, service.accepted(missing.write_csv().encode(), "wide-missing.csv"), "missing_columns")
    assert len(job["message"]) < 2_000, len(job["message"])
    assert "Revenue" in job["message"] and "9999" in job["message"].replace(",", "")
    assert len(json.dumps(job)) < 20_000


# -- #11: messages about the right thing ---------------------------------------------------------------------------


def test_json_records_missing_fields_speak_of_fields(service: Service, unique_tag: str) -> None:
    records = [json.loads(line) for line in _json_lines(_frame(unique_tag, 2, seed=111))]
    for record in records:
        del record["Revenue"]
    job = _rejected(service, _records(service, json.dumps(records).encode()), "missing_columns")
    assert "header row" not in job["message"] and "field" in job["message"], job["message"]


def test_nested_arrays_are_not_an_array_of_objects(service: Service, unique_tag: str) -> None:
    body = f'[[["{unique_tag}"]]]'.encode()
    for job_id in (service.accepted(body, "arrays.json"), _records(service, body + b" ")):
        job = _rejected(service, job_id, "malformed_file")
        assert "not an object" in job["message"] and "[[" not in job["message"], job["message"]


def test_lone_cr_line_endings_are_read(service: Service, unique_tag: str) -> None:
    frame = _frame(unique_tag, 30, seed=112)
    job_id = service.accepted(frame.write_csv().replace("\n", "\r").encode(), "mac.csv")
    job = service.wait(job_id)
    assert job["state"] == "succeeded", job
    assert service.landed(job_id)[0] == 30


def _xlsx(frame: pl.DataFrame, path: Path, formula_rows: set[int] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(frame.columns)
    revenue = frame.columns.index("Revenue")
    for index, row in enumerate(frame.with_columns(pl.col("TransactionTimestamp").cast(pl.String)).rows()):
        values = list(row)
        if formula_rows and index in formula_rows:
            # openpyxl saves formulas without a cached value, like a file written by a program.
            values[revenue] = f"=J{index + 2}*K{index + 2}*(1-L{index + 2})"
        sheet.append(values)
    workbook.save(path)
    return path.read_bytes()


_SHARED_STRINGS_WITH_DTD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE sst [<!ENTITY e "entity">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    b"<si><t>&e;</t></si></sst>"
)


def test_xlsx_shared_strings_with_a_dtd_say_so(service: Service, unique_tag: str, tmp_path: Path) -> None:
    plain = _xlsx(_frame(unique_tag, 5, seed=113), tmp_path / "plain.xlsx")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry.filename))
        # openpyxl writes strings inline; this workbook gets a shared-strings part that declares a DTD.
        target.writestr("xl/sharedStrings.xml", _SHARED_STRINGS_WITH_DTD)
    job = _rejected(service, service.accepted(out.getvalue(), "dtd.xlsx"), "malformed_file")
    assert "declares a DTD" in job["message"], job["message"]


def test_formula_cells_without_saved_values_are_named(service: Service, unique_tag: str, tmp_path: Path) -> None:
    content = _xlsx(_frame(unique_tag, 6, seed=114), tmp_path / "formulas.xlsx", formula_rows={2, 4})
    job = _rejected(service, service.accepted(content, "formulas.xlsx"), "validation_failed")
    items = service.errors(job["job_id"])["items"]
    assert {(e["row"], e["column"]) for e in items} == {(4, "Revenue"), (6, "Revenue")}
    assert all("formula" in e["message"] and "saved value" in e["message"] for e in items), items


# -- other paths from a client's bytes to internal_error, found auditing the readers ------------------------------


def test_parquet_column_of_lists_is_rejected_by_name(service: Service, unique_tag: str) -> None:
    frame = _frame(unique_tag, 5, seed=121).with_columns(pl.concat_list(pl.col("Quantity")).alias("Quantity"))
    out = io.BytesIO()
    frame.write_parquet(out)
    job = _rejected(service, service.accepted(out.getvalue(), "lists.parquet"), "malformed_file")
    assert "'Quantity'" in job["message"] and "not plain ones" in job["message"], job["message"]


def test_year_zero_timestamp_is_a_row_error(service: Service, unique_tag: str) -> None:
    records = [json.loads(line) for line in _json_lines(_frame(unique_tag, 3, seed=122))]
    records[1]["TransactionTimestamp"] = "0000-01-01"
    job = _rejected(service, _records(service, json.dumps(records).encode()), "validation_failed")
    (error,) = service.errors(job["job_id"])["items"]
    assert (error["row"], error["column"], error["rule"]) == (2, "TransactionTimestamp", "type")
