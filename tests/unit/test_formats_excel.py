"""Excel: native date cells, the row Excel shows, bombs and oversized sheets refused before inflating."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlwt

from backend.errors import ErrorCode, IngestError
from backend.formats import FileFormat, ReadLimits, TabularFile, detect_format, open_tabular, read_head


def _limits(
    batch_rows: int = 1000, cells: int = 1_000_000, inflated: int = 100_000_000, ratio: int = 100
) -> ReadLimits:
    return ReadLimits(
        batch_rows=batch_rows,
        max_spreadsheet_cells=cells,
        max_spreadsheet_inflated_bytes=inflated,
        max_spreadsheet_ratio=ratio,
    )


def _xlsx(path: Path, rows: list[list[object]], first_row: int = 1) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r, row in enumerate(rows, start=first_row):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=value)
    workbook.save(path)
    return path


def _xls(path: Path, rows: list[list[object]]) -> Path:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Data")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def _grid(rows: int, columns: int) -> list[list[object]]:
    grid: list[list[object]] = [[f"c{index}" for index in range(columns)]]
    grid.extend([index] * columns for index in range(1, rows))
    return grid


def _read_all(table: TabularFile, batch: list[int] | None = None) -> pl.DataFrame:
    batches = list(table.batches({name: name for name in table.columns}))
    if batch is not None:
        assert [frame.height for frame in batches] == batch
    return pl.concat(batches)


ROWS: list[list[object]] = [
    ["ID", " Sold At ", "Region", "Qty"],
    ["A1", dt.datetime(2025, 1, 2, 3, 4, 5), "NA", 3],
    ["A2", dt.datetime(2025, 1, 3, 23, 59, 59), "EMEA", 2.5],
    [None, None, None, None],
    ["A3", dt.datetime(2025, 1, 4), "APAC", 1],
]


@pytest.mark.parametrize("fmt", [FileFormat.xlsx, FileFormat.xls])
def test_date_cells_come_out_as_microsecond_datetimes(tmp_path: Path, fmt: FileFormat) -> None:
    path = (_xlsx if fmt is FileFormat.xlsx else _xls)(tmp_path / "upload.bin", ROWS)
    assert detect_format(read_head(path)) is fmt
    with open_tabular(path, fmt, _limits(batch_rows=2)) as table:
        assert table.columns == ["ID", " Sold At ", "Region", "Qty"]
        assert table.approx_total_rows == 4
        frame = _read_all(table, batch=[2, 1])  # the empty row 4 is skipped, its number kept
        assert table.blank_rows_skipped == 1
    assert frame.schema["__row"] == pl.Int64
    assert frame.schema[" Sold At "] == pl.Datetime("us")
    assert frame.get_column("__row").to_list() == [2, 3, 5]
    assert frame.get_column(" Sold At ").to_list() == [
        dt.datetime(2025, 1, 2, 3, 4, 5),
        dt.datetime(2025, 1, 3, 23, 59, 59),
        dt.datetime(2025, 1, 4),
    ]
    assert frame.get_column("Region").to_list() == ["NA", "EMEA", "APAC"]
    assert frame.get_column("Qty").cast(pl.Float64).to_list() == [3.0, 2.5, 1.0]


def test_xlsx_date_only_and_millisecond_cells(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Day", "At"], [dt.date(2025, 3, 1), dt.datetime(2025, 3, 1, 8, 0, 0, 250000)]]
    with open_tabular(_xlsx(tmp_path / "d.xlsx", rows), FileFormat.xlsx, _limits()) as table:
        frame = _read_all(table)
    assert frame.schema["Day"] == pl.Datetime("us")
    assert frame.row(0) == (2, dt.datetime(2025, 3, 1), dt.datetime(2025, 3, 1, 8, 0, 0, 250000))


def test_xlsx_rows_are_numbered_as_excel_shows_them(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "late.xlsx", [["ID", "Qty"], ["A", 1], ["B", 2]], first_row=3)
    with open_tabular(path, FileFormat.xlsx, _limits()) as table:
        assert table.columns == ["ID", "Qty"]
        assert _read_all(table).get_column("__row").to_list() == [4, 5]


def test_text_after_many_numbers_is_not_lost(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Qty"]]
    rows.extend([i] for i in range(1, 1200))
    rows.append(["abc"])
    path = _xlsx(tmp_path / "mixed.xlsx", rows)
    with open_tabular(path, FileFormat.xlsx, _limits()) as table:
        values = table.read_column_rows("Qty")
    assert values.row(-1) == (1201, "abc")


def test_header_only_sheet_raises_no_data_rows(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "h.xlsx", [["ID", "Qty"]])
    with open_tabular(path, FileFormat.xlsx, _limits()) as table, pytest.raises(IngestError) as raised:
        _read_all(table)
    assert raised.value.code is ErrorCode.no_data_rows
    assert "2 columns on sheet 'Sheet'" in raised.value.message


def _bomb(path: Path, sheet_bytes: int) -> Path:
    workbook = (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        "</Relationships>"
    )
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = b"<worksheet><sheetData>" + row * (sheet_bytes // len(row)) + b"</sheetData></worksheet>"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", rels)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def test_xlsx_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", sheet_bytes=20_000_000)
    assert path.stat().st_size < 200_000
    assert detect_format(read_head(path)) is FileFormat.xlsx
    with pytest.raises(IngestError) as raised:
        open_tabular(path, FileFormat.xlsx, _limits(ratio=100))
    assert raised.value.code is ErrorCode.decompression_limit
    assert raised.value.details["entry"] == "xl/worksheets/sheet1.xml"


def test_xlsx_over_the_inflated_size_limit_is_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "big.xlsx", ROWS)
    with pytest.raises(IngestError) as raised:
        open_tabular(path, FileFormat.xlsx, _limits(inflated=2_000))
    assert raised.value.code is ErrorCode.decompression_limit
    assert raised.value.details["limit"] == 2_000


def test_xlsx_dimension_over_the_cell_limit_is_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "wide.xlsx", _grid(30, 3))
    with pytest.raises(IngestError) as raised:
        open_tabular(path, FileFormat.xlsx, _limits(cells=50))
    assert raised.value.code is ErrorCode.decompression_limit
    assert raised.value.details == {"cells": 90, "limit": 50}


def test_xls_over_the_cell_limit_is_refused(tmp_path: Path) -> None:
    path = _xls(tmp_path / "wide.xls", _grid(30, 3))
    with pytest.raises(IngestError) as raised:
        open_tabular(path, FileFormat.xls, _limits(cells=50))
    assert raised.value.code is ErrorCode.decompression_limit


@pytest.mark.parametrize("fmt", [FileFormat.xlsx, FileFormat.xls])
def test_corrupt_workbook_is_malformed(tmp_path: Path, fmt: FileFormat) -> None:
    good = (_xlsx if fmt is FileFormat.xlsx else _xls)(tmp_path / "good", ROWS)
    path = tmp_path / "cut"
    path.write_bytes(good.read_bytes()[:1500])
    assert detect_format(read_head(path)) is fmt
    with pytest.raises(IngestError) as raised:
        open_tabular(path, fmt, _limits())
    assert raised.value.code is ErrorCode.malformed_file
