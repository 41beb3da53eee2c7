"""validate_to_files: the read + validate + stage pass over a whole file (file-wide uniqueness, the staged
rows as CSV or NDJSON, rejects and error report, the tally), for the streaming CSV reader and a batch-by-batch
one."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import backend.pipeline.validate_file as validate_file
from backend.formats.file_format import FileFormat
from backend.formats.limits import ReadLimits
from backend.pipeline.staging import StagedFormat, StagedRows
from backend.pipeline.validate_file import OutputFiles, ValidationTally, validate_to_files
from backend.schema.builtins import SALES_SCHEMA

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = "TransactionID,TransactionTimestamp,ProductLine,ProductName,CustomerID,Region,Country,SalesChannel,"
HEADER += "Quantity,UnitPrice,Discount,Currency,Revenue"


def _row(tid: str, *, name: str = "Widget", quantity: str = "2", ts: str = "2025-01-03T10:00:00Z") -> str:
    return f"{tid},{ts},Hardware,{name},C1,NA,US,Online,{quantity},10.00,0.1,USD,18.00"


def _limits(batch_rows: int) -> ReadLimits:
    return ReadLimits(batch_rows, 1_000_000, 100_000_000, 100)


def _run(
    raw: Path, fmt: FileFormat, batch_rows: int
) -> tuple[ValidationTally, OutputFiles, list[tuple[bool, int]]]:
    out = OutputFiles.in_folder(raw.parent)
    progress: list[tuple[bool, int]] = []
    tally = validate_to_files(
        raw, fmt, SALES_SCHEMA, _limits(batch_rows), out, lineage_id="job-7", now=NOW, error_sample_limit=2,
        on_batch=lambda t, _total: progress.append((t.second_pass, t.rows_total)),
    )
    return tally, out, progress


def _errors(out: OutputFiles) -> list[tuple[str, str, str]]:
    with out.errors.open(encoding="utf-8", newline="") as fh:
        return [(r["row"], r["column"], r["rule"]) for r in csv.DictReader(fh)]


def test_csv_pass_stages_valid_rows_and_reports_the_rest(tmp_path: Path) -> None:
    lines = [
        HEADER,
        _row("A"),  # row 2: duplicated by row 7, two batches later
        _row("B", name='"two\nlines"'),  # row 3 (its record spans two lines)
        _row("C", quantity="abc"),  # row 4
        "",  # row 5: blank, skipped
        _row("D", ts="2025-01-03 12:00:00+02:00"),  # row 6
        _row("A"),  # row 7
        _row("E"),  # row 8
    ]
    raw = tmp_path / "raw.csv"
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")

    tally, out, progress = _run(raw, FileFormat.csv, batch_rows=2)

    assert (tally.rows_total, tally.rows_valid, tally.rows_invalid, tally.errors_total) == (6, 3, 3, 3)
    # Row 7 repeats row 2's ID: the first pass saw the repeated hash, a second pass judged every row again.
    first, second = [rows for again, rows in progress if not again], [rows for again, rows in progress if again]
    assert first == second and first[-1] == 6 and first == sorted(first)
    assert tally.staged_format is StagedFormat.ndjson  # a value holds a line break, which CSV cannot carry
    assert _errors(out) == [
        ("2", "TransactionID", "unique"),
        ("4", "Quantity", "type"),
        ("7", "TransactionID", "unique"),
    ]
    assert [(e.row, e.rule) for e in tally.error_sample] == [(2, "unique"), (4, "type")]
    staged = [json.loads(line) for line in out.staged.read_text(encoding="utf-8").splitlines()]
    assert [r["TransactionID"] for r in staged] == ["B", "D", "E"]
    assert staged[0]["ProductName"] == "two\nlines"  # one JSON line, the line break kept
    assert staged[1]["TransactionTimestamp"] == "2025-01-03T10:00:00.000Z"
    assert {r["ingest_job_id"] for r in staged} == {"job-7"}
    assert staged[2] == {
        "TransactionID": "E", "TransactionTimestamp": "2025-01-03T10:00:00.000Z", "ProductLine": "Hardware",
        "ProductName": "Widget", "CustomerID": "C1", "Region": "NA", "Country": "US", "SalesChannel": "Online",
        "Quantity": 2, "UnitPrice": 10.0, "Discount": 0.1, "Currency": "USD", "Revenue": 18.0,
        "ingest_job_id": "job-7",
    }
    rejects = pl.read_csv(out.rejects, infer_schema=False)
    assert rejects.get_column("__row").to_list() == ["2", "4", "7"]
    assert tally.min_ts == tally.max_ts == datetime(2025, 1, 3, 10, tzinfo=UTC)


def test_duplicates_found_where_the_reader_hands_native_numbers(tmp_path: Path) -> None:
    # Parquet goes through the batch-by-batch map_column; an ID stored as 1001.0 is the ID "1001".
    frame = pl.read_csv(f"{HEADER}\n{_row('1')}\n{_row('2')}\n{_row('1')}\n".encode(), infer_schema=False)
    raw = tmp_path / "raw.parquet"
    frame.with_columns(pl.col("TransactionID").cast(pl.Float64)).write_parquet(raw)

    tally, out, _ = _run(raw, FileFormat.parquet, batch_rows=1)

    assert (tally.rows_valid, tally.rows_invalid) == (1, 2)
    assert _errors(out) == [("1", "TransactionID", "unique"), ("3", "TransactionID", "unique")]


def test_a_failed_staging_write_fails_the_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_text("\n".join([HEADER, _row("A"), _row("B"), _row("C")]) + "\n", encoding="utf-8")

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(StagedRows, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        _run(raw, FileFormat.csv, batch_rows=1)


def test_a_failing_batch_waits_for_the_pending_write_and_keeps_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_text("\n".join([HEADER, _row("A"), _row("B")]) + "\n", encoding="utf-8")
    real_validate = validate_file.validate_batch
    calls: list[int] = []

    def second_batch_fails(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("validation bug")
        return real_validate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(validate_file, "validate_batch", second_batch_fails)
    with pytest.raises(RuntimeError, match="validation bug"):
        _run(raw, FileFormat.csv, batch_rows=1)
    # The first batch's rows were written completely before the file was closed.
    assert pl.read_csv(tmp_path / "staged").get_column("TransactionID").to_list() == ["A"]


def _staged_csv(out: OutputFiles) -> pl.DataFrame:
    return pl.read_csv(out.staged, infer_schema=False)


def test_rows_without_line_breaks_are_staged_as_csv_in_one_pass(tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    rows = [_row("A"), _row("B", name='"Tent, 2 person ""Pro"""'), _row("C", quantity="0")]
    raw.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")

    tally, out, progress = _run(raw, FileFormat.csv, batch_rows=2)

    assert progress == [(False, 2), (False, 3)]  # no repeated ID: one pass
    assert tally.staged_format is StagedFormat.csv
    staged = _staged_csv(out)
    assert staged.columns == [*SALES_SCHEMA.column_names, "ingest_job_id"]
    assert staged.get_column("ProductName").to_list() == ["Widget", 'Tent, 2 person "Pro"']
    assert staged.row(0) == (
        "A", "2025-01-03T10:00:00.000Z", "Hardware", "Widget", "C1", "NA", "US", "Online", "2", "10.0", "0.1",
        "USD", "18.0", "job-7",
    )


def test_a_line_break_after_csv_batches_turns_the_staged_rows_into_ndjson(tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    rows = [_row("A"), _row("007"), _row("B"), _row("C", name='"two\r\nlines"'), _row("D")]
    raw.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")

    tally, out, _ = _run(raw, FileFormat.csv, batch_rows=2)

    assert tally.staged_format is StagedFormat.ndjson
    staged = [json.loads(line) for line in out.staged.read_text(encoding="utf-8").splitlines()]
    assert [r["TransactionID"] for r in staged] == ["A", "007", "B", "C", "D"]  # "007" stays text
    assert staged[3]["ProductName"] == "two\r\nlines"
    # Rows written as CSV before the switch keep their types and normalized timestamp.
    assert (staged[0]["Quantity"], staged[0]["Revenue"]) == (2, 18.0)
    assert staged[0]["TransactionTimestamp"] == "2025-01-03T10:00:00.000Z"
    assert {r["ingest_job_id"] for r in staged} == {"job-7"}


def test_a_repeated_hash_without_a_repeated_value_costs_no_second_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Force every ID onto one hash: the values behind it are compared, none repeats, the first pass stands.
    monkeypatch.setattr(
        validate_file, "value_hashes", lambda rows, column: rows.select(pl.lit(1, pl.UInt64).alias(column))
    )
    raw = tmp_path / "raw.csv"
    raw.write_text("\n".join([HEADER, _row("A"), _row("B"), _row("C")]) + "\n", encoding="utf-8")

    tally, _, progress = _run(raw, FileFormat.csv, batch_rows=2)

    assert (tally.rows_valid, tally.rows_invalid) == (3, 0)
    assert [second for second, _ in progress] == [False, False]
