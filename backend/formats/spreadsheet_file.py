"""Excel (.xlsx and .xls): the first sheet, header in its first row with a value, read with fastexcel.

fastexcel wraps calamine (Rust): 100k rows in about 1 s where openpyxl takes 30 s (see the validation notes),
and it reads .xls too. It loads a whole sheet at once, so a sheet is bounded by cell count instead of being
streamed: .xlsx archives are checked before inflating (xlsx_guard); for .xls, which is not compressed, the
cell count is checked after calamine has parsed the sheet and before it becomes a DataFrame (BIFF8 itself
caps a sheet at 65,536 x 256 cells).

Cells keep their Excel types: numbers as Float64 (Int64 in some .xls), text as String, date cells as Datetime
in microseconds (calamine gives milliseconds). A column mixing numbers and text comes as String. Types are
guessed from every row, not a sample: with a sample, a text cell past it in a numeric column silently becomes
null. Row numbers: the row Excel shows. For .xlsx the header's row is read from the sheet XML; for .xls it is
assumed to be row 1 (calamine skips leading empty rows and BIFF is not worth parsing for this).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fastexcel
import polars as pl

from backend.errors import ErrorCode, IngestError, first_line
from backend.formats.file_format import FileFormat
from backend.formats.limits import ReadLimits
from backend.formats.tabular import ROW_COLUMN, TabularFile, slices
from backend.formats.xlsx_guard import formulas_without_value, inspect_xlsx, too_many_cells

_NAMES = {FileFormat.xlsx: "Excel workbook (.xlsx)", FileFormat.xls: "Excel 97-2003 workbook (.xls)"}


class SpreadsheetFile(TabularFile):
    """The first sheet of a workbook, loaded whole and handed out in batch_rows slices."""

    def __init__(self, path: Path, limits: ReadLimits, fmt: FileFormat) -> None:
        shape = inspect_xlsx(path, limits) if fmt is FileFormat.xlsx else None
        header_row = shape.first_row if shape is not None else 1
        self.format = fmt
        try:
            sheet = fastexcel.read_excel(path).load_sheet(
                0,
                header_row=0,
                schema_sample_rows=None,
                dtype_coercion="coerce",
                skip_whitespace_tail_rows=True,
            )
            cells = (sheet.total_height + 1) * sheet.width
            if cells > limits.max_spreadsheet_cells:
                raise too_many_cells(cells, limits)
            frame = sheet.to_polars()
            self.sheet_name = sheet.name
        except fastexcel.FastExcelError as error:
            raise IngestError(
                ErrorCode.malformed_file,
                f"The {_NAMES[fmt]} could not be read ({first_line(error)}). "
                "Open it in Excel, save it again and re-upload.",
            ) from error
        # A column the file calls `__row` is never a schema column (the name is reserved), so it is ignored like any
        # other extra column; the frame's own row numbers take its name.
        self._frame = _with_microseconds(frame.drop(ROW_COLUMN, strict=False)).with_row_index(
            ROW_COLUMN, offset=header_row + 1)
        self._frame = self._frame.with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))
        super().__init__(path, limits, columns=list(frame.columns), approx_total_rows=frame.height)
        if shape is not None:
            self._formula_rows = _rows_by_column(formulas_without_value(path), shape.first_column, self.columns)

    def _frames(self, file_columns: list[str]) -> Iterator[pl.DataFrame]:
        yield from slices(self._frame.select(ROW_COLUMN, *file_columns), self.limits.batch_rows)

    def read_column_rows(self, name: str) -> pl.DataFrame:
        self._require_column(name)
        return self._frame.select(ROW_COLUMN, pl.col(name).cast(pl.String))

    def _shape_description(self) -> str:
        return f"a header row with {len(self.columns)} columns on sheet {self.sheet_name!r}"


def _rows_by_column(cells: list[tuple[int, int]], first_column: int, columns: list[str]) -> dict[str, frozenset[int]]:
    # calamine's frame starts at the sheet's first used column, which <dimension> names.
    rows: dict[str, set[int]] = {}
    for column, row in cells:
        index = column - first_column
        if 0 <= index < len(columns):
            rows.setdefault(columns[index], set()).add(row)
    return {name: frozenset(found) for name, found in rows.items()}


def _with_microseconds(frame: pl.DataFrame) -> pl.DataFrame:
    # The validator and the staging writer work in microseconds, as do openpyxl and Druid's ingestion. A duration
    # cell (a time-of-day or elapsed-time format) has no place in a row of values; as ISO 8601 text ("PT3H") the
    # validator reports it where it is, with its value (no Polars cast turns a Duration into text).
    return frame.with_columns(
        *(
            pl.col(name).cast(pl.Datetime("us", dtype.time_zone))
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Datetime) and dtype.time_unit != "us"
        ),
        *(pl.col(name).dt.to_string("iso") for name, dtype in frame.schema.items() if isinstance(dtype, pl.Duration)),
    )
