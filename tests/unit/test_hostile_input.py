"""Odd bytes from clients end in an IngestError naming what is wrong, never in another exception (issue 12)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from backend.errors import ErrorCode, IngestError
from backend.formats import FileFormat, ReadLimits, open_tabular
from backend.formats.columns import match_columns, require_columns
from backend.formats.csv_dialect import read_header
from backend.formats.detect import detect_format
from backend.formats.display import display_names, display_safe, display_text
from backend.formats.json_diagnose import MAX_JSON_DEPTH, JsonTooDeep, find_json_line_problem, loads_bounded
from backend.formats.text_encoding import lf_copy_if_lone_cr
from backend.pipeline.validate_file import OutputFiles, ValidationTally, validate_to_files
from backend.sample_data import generate_sales
from backend.schema.builtins import SALES_SCHEMA
from backend.validation.messages import quoted

LIMITS = ReadLimits(batch_rows=1000, max_spreadsheet_cells=1_000_000, max_spreadsheet_inflated_bytes=100_000_000,
                    max_spreadsheet_ratio=100)


def _validate(tmp_path: Path, content: bytes) -> ValidationTally:
    raw = tmp_path / "raw"
    raw.write_bytes(content)
    return validate_to_files(raw, detect_format(content[:65536]), SALES_SCHEMA, LIMITS,
                             OutputFiles.in_folder(tmp_path), lineage_id="x", now=datetime.now(UTC),
                             error_sample_limit=100)


def _sales_text(rows: int = 3) -> str:
    return generate_sales(rows, seed=3).write_csv()


def _deep(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


# -- display ------------------------------------------------------------------------------------------------------


def test_display_text_escapes_controls_and_surrogates_and_cuts() -> None:
    assert display_text("a\x00b\x1b[31m\t\n\ud800\x85") == "a\\x00b\\x1b[31m\\t\\n\\ud800\\x85"
    assert display_text("Café ✓") == "Café ✓"
    long = display_text("x" * 5000, 100)
    assert long.startswith("x" * 100) and long.endswith("(5,000 characters in all)")


def test_display_names_lists_the_first_and_counts_the_rest() -> None:
    assert display_names(["a", "b"]) == "'a', 'b'"
    listed = display_names([f"c{i}" for i in range(9987)])
    assert listed.endswith("'c19' and 9,967 more") and len(listed) < 400
    assert display_names([]) == "none"


def test_display_safe_walks_details() -> None:
    assert display_safe({"k\x00": ["a\x00"] * 500, "n": 3}) == {"k\\x00": ["a\\x00"] * 100, "n": 3}


def test_quoted_values_are_cut() -> None:
    assert quoted("N\x00A") == "'N\\x00A'"
    assert quoted("y" * 1000).endswith("... (1,000 characters)")


# -- #3: CSV header over the field limit ---------------------------------------------------------------------------


def test_csv_header_field_over_the_limit_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("N" * 200_000 + ",b\n1,2\n")
    with pytest.raises(IngestError) as raised:
        read_header(path, ",")
    assert raised.value.code is ErrorCode.malformed_file
    assert raised.value.details == {"row": 1, "limit_bytes": 131_072}


def test_csv_header_line_is_read_no_further_than_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("backend.formats.csv_dialect.HEADER_LIMIT_CHARS", 1000)
    path = tmp_path / "one-line.csv"
    path.write_text("a," * 5000)
    with pytest.raises(IngestError) as raised:
        read_header(path, ",")
    assert raised.value.details["limit_bytes"] == 1000


def test_a_whole_csv_with_a_huge_header_field_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as raised:
        _validate(tmp_path, ("x" * 300_000 + "," + _sales_text()).encode())
    assert raised.value.code is ErrorCode.malformed_file


# -- #4: JSON depth ------------------------------------------------------------------------------------------------


def test_loads_bounded_refuses_deep_values_and_keeps_flat_ones() -> None:
    assert loads_bounded('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    assert loads_bounded(_deep(MAX_JSON_DEPTH)) is not None
    for depth in (MAX_JSON_DEPTH + 1, 10_000):
        with pytest.raises(JsonTooDeep):
            loads_bounded(_deep(depth))


@pytest.mark.parametrize("fmt", [FileFormat.json, FileFormat.ndjson])
def test_deep_records_are_malformed_naming_the_limit(tmp_path: Path, fmt: FileFormat) -> None:
    records = ['{"a": 1}', '{"a": 2, "b": ' + _deep(10_000) + "}"]
    content = "[" + ",".join(records) + "]" if fmt is FileFormat.json else "\n".join(records)
    with pytest.raises(IngestError) as raised:
        _validate(tmp_path, content.encode())
    assert raised.value.code is ErrorCode.malformed_file
    assert "100 levels" in raised.value.message
    assert raised.value.details["max_depth"] == MAX_JSON_DEPTH


def test_json_line_problem_names_a_deep_line() -> None:
    problem = find_json_line_problem([(1, '{"a": 1}'), (2, _deep(5000))])
    assert problem is not None and problem.line == 2 and "100 levels" in problem.reason


# -- #5: control characters in values ----------------------------------------------------------------------------


def test_nul_in_a_value_reaches_the_reports_exactly(tmp_path: Path) -> None:
    frame = generate_sales(3, seed=4).with_columns(pl.all().cast(pl.String))
    records = frame.to_dicts()
    records[1]["Region"] = "E\x00MEA"
    tally = _validate(tmp_path, ("\n".join(json.dumps(r) for r in records) + "\n").encode())
    assert tally.rows_invalid == 1
    assert b"E\x00MEA" in (tmp_path / "rejects.csv").read_bytes()
    assert b"E\x00MEA" in (tmp_path / "errors.csv").read_bytes()


# -- #9: many columns ----------------------------------------------------------------------------------------------


def test_missing_columns_message_is_bounded() -> None:
    found = [f"Extra_{i}" for i in range(10_000)]
    match = match_columns(found, ["A", "B"], ["A", "B"])
    with pytest.raises(IngestError) as raised:
        require_columns(match, found)
    assert len(raised.value.message) < 1000
    assert "(10,000 in all)" in raised.value.message and "and 9,980 more" in raised.value.message
    assert raised.value.details["found_total"] == 10_000 and len(raised.value.details["found"]) == 20


# -- #11: messages about the right thing ---------------------------------------------------------------------------


def test_missing_keys_of_json_records_speak_of_fields() -> None:
    match = match_columns(["x"], ["A"], ["A"])
    with pytest.raises(IngestError) as raised:
        require_columns(match, ["x"], keyed=True)
    assert raised.value.message.startswith("The JSON records lack required field(s): A. Keys found: 'x'")


@pytest.mark.parametrize("content", [b"[[1, 2], [3]]", b'[["a"]]', b"[ [ {} ] ]"])
def test_an_array_of_arrays_is_json_that_is_not_an_array_of_objects(tmp_path: Path, content: bytes) -> None:
    assert detect_format(content) is FileFormat.json
    with pytest.raises(IngestError) as raised:
        _validate(tmp_path, content)
    assert raised.value.code is ErrorCode.malformed_file
    assert "it is a JSON array, not an object" in raised.value.message


def test_lone_cr_copy_turns_every_lone_cr_into_lf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("backend.formats.text_encoding._CHUNK_BYTES", 4)
    path = tmp_path / "mac.csv"
    path.write_bytes(b"a,b\rx,y\r\n1,2\r")
    copy = lf_copy_if_lone_cr(path, path.read_bytes()[:5])
    assert copy is not None and copy.read_bytes() == b"a,b\nx,y\r\n1,2\n"
    assert lf_copy_if_lone_cr(path, b"a,b\r\n") is None
    assert lf_copy_if_lone_cr(path, b"a,b\n") is None


def test_lone_cr_csv_is_read_and_the_copy_removed(tmp_path: Path) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(_sales_text(5).replace("\n", "\r").encode())
    with open_tabular(path, FileFormat.csv, LIMITS) as table:
        frame = pl.concat(table.batches({"TransactionID": "TransactionID"}))
        assert frame["__row"].to_list() == [2, 3, 4, 5, 6]
    assert [p.name for p in tmp_path.iterdir()] == ["upload.csv"]


def _workbook(tmp_path: Path, formula_rows: set[int]) -> bytes:
    frame = generate_sales(5, seed=5).with_columns(pl.col("TransactionTimestamp").cast(pl.String))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(frame.columns)
    for index, row in enumerate(frame.rows()):
        values = list(row)
        if index in formula_rows:
            values[-1] = f"=J{index + 2}*K{index + 2}*(1-L{index + 2})"
        sheet.append(values)
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    return path.read_bytes()


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/styles.xml"])
def test_any_workbook_part_declaring_a_dtd_is_refused_saying_so(tmp_path: Path, part: str) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook(tmp_path, set()))) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            if entry.filename != part:
                target.writestr(entry, source.read(entry.filename))
        target.writestr(part, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "f">]><x/>')
    with pytest.raises(IngestError) as raised:
        _validate(tmp_path, out.getvalue())
    assert raised.value.code is ErrorCode.malformed_file
    assert f"{part} declares a DTD" in raised.value.message


def test_formula_cells_without_saved_values_say_so(tmp_path: Path) -> None:
    tally = _validate(tmp_path, _workbook(tmp_path, {1, 3}))
    sample = tally.error_sample
    assert [(e.row, e.column, e.rule) for e in sample] == [(3, "Revenue", "required"), (5, "Revenue", "required")]
    assert all("formula with no saved value" in e.message for e in sample)
    rejects = (tmp_path / "rejects.csv").read_text()
    assert rejects.count("Revenue: is required (the cell holds a formula with no saved value") == 2


# -- other paths from a client's bytes to an exception that was not an IngestError ---------------------------------


def _parquet(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "column",
    [
        pl.concat_list(pl.col("Quantity")).alias("Quantity"),
        pl.concat_list(pl.col("Quantity"), pl.col("Quantity")).cast(pl.Array(pl.Int64, 2)).alias("Quantity"),
        pl.struct(pl.col("Region"), pl.col("Country")).alias("Region"),
        pl.lit(timedelta(hours=3)).alias("Quantity"),
    ],
    ids=["list", "array", "struct", "duration"],
)
def test_parquet_columns_of_no_plain_type_are_refused_by_name(tmp_path: Path, column: pl.Expr) -> None:
    with pytest.raises(IngestError) as raised:
        _validate(tmp_path, _parquet(generate_sales(3, seed=6).with_columns(column)))
    assert raised.value.code is ErrorCode.malformed_file
    assert "not plain ones" in raised.value.message and raised.value.details["column"] in ("Quantity", "Region")


def test_parquet_bytes_that_are_not_utf8_are_malformed(tmp_path: Path) -> None:
    frame = generate_sales(3, seed=6).with_columns(pl.lit(b"\xff\xfe", pl.Binary).alias("Region"))
    with pytest.raises(IngestError) as raised:
        _validate(tmp_path, _parquet(frame))
    assert raised.value.code is ErrorCode.malformed_file


def test_spreadsheet_duration_cells_are_type_errors_with_their_value(tmp_path: Path) -> None:
    frame = generate_sales(3, seed=7).with_columns(pl.col("TransactionTimestamp").cast(pl.String))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(frame.columns)
    for row in frame.rows():
        values = list(row)
        values[frame.columns.index("Quantity")] = timedelta(hours=3)
        sheet.append(values)
    path = tmp_path / "durations.xlsx"
    workbook.save(path)
    tally = _validate(tmp_path, path.read_bytes())
    assert {(e.column, e.rule, e.value) for e in tally.error_sample} == {("Quantity", "type", "PT3H")}


@pytest.mark.parametrize("fmt", [FileFormat.json, FileFormat.ndjson])
@pytest.mark.parametrize(("value", "reason"), [("1" * 5000, "number too long"), ("NaN", "holds NaN")])
def test_json_numbers_python_or_polars_refuse_are_named(tmp_path: Path, fmt: FileFormat, value: str,
                                                         reason: str) -> None:
    records = ['{"a": 1}', '{"a": ' + value + "}"]
    content = "[" + ",".join(records) + "]" if fmt is FileFormat.json else "\n".join(records)
    with pytest.raises(IngestError) as raised:
        _validate(tmp_path, content.encode())
    assert raised.value.code is ErrorCode.malformed_file
    assert reason in raised.value.message and "2" in raised.value.message


def test_timestamps_with_a_year_python_cannot_hold_are_type_errors(tmp_path: Path) -> None:
    frame = generate_sales(3, seed=8).with_columns(pl.all().cast(pl.String))
    records = frame.to_dicts()
    records[1]["TransactionTimestamp"] = "0000-01-01"
    tally = _validate(tmp_path, ("\n".join(json.dumps(r) for r in records) + "\n").encode())
    assert [(e.row, e.column, e.rule) for e in tally.error_sample] == [(2, "TransactionTimestamp", "type")]


@pytest.mark.parametrize("fmt", [FileFormat.json, FileFormat.ndjson])
def test_json_numbers_beyond_a_float_are_named(tmp_path: Path, fmt: FileFormat) -> None:
    records = ['{"a": 1}', '{"a": 1e999}']
    content = "[" + ",".join(records) + "]" if fmt is FileFormat.json else "\n".join(records)
    with pytest.raises(IngestError) as raised:
        _validate(tmp_path, content.encode())
    assert "field 'a' holds a number too large" in raised.value.message


def test_workbook_part_compressed_with_an_unknown_method_is_malformed(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook(tmp_path, set()))) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            target.writestr(entry.filename, source.read(entry.filename), compress_type=zipfile.ZIP_STORED)
    data = out.getvalue()
    # Compression method 99 (AES) in every local and central header: zipfile cannot read such an entry.
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = data.find(signature)
        while start != -1:
            data = data[: start + offset] + b"\x63\x00" + data[start + offset + 2 :]
            start = data.find(signature, start + 4)
    with pytest.raises(IngestError) as raised:
        _validate(tmp_path, data)
    assert raised.value.code is ErrorCode.malformed_file
