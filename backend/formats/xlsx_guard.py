"""Looking inside an .xlsx before calamine inflates it: refuse zip bombs, find the header's row.

An .xlsx is a zip of XML parts; a few KB can inflate to gigabytes. Before anything inflates the workbook we
check, from the zip directory alone, the total declared uncompressed size and each entry's compression ratio,
then read just the start of the first sheet's XML (streaming, stopping early) for its
`<dimension ref="A1:M3001">` (cell count) and the row of the first cell with a value: calamine skips leading
empty rows without telling us how many, and we promise the row number a person sees in Excel.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast
from xml.etree import ElementTree

from backend.errors import ErrorCode, IngestError
from backend.formats.limits import ReadLimits

_CHUNK_BYTES = 64 * 1024
# What zipfile raises for a damaged or unusual archive besides BadZipFile: truncated data (EOFError, OSError),
# an entry compressed with a method it lacks (NotImplementedError), an encrypted entry (RuntimeError).
_ZIP_READ_ERRORS = (OSError, EOFError, ValueError, NotImplementedError, RuntimeError)
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
# A cell that holds a formula (<f>...</f> or a shared <f .../>) and nothing else, or an empty <v>.
_EMPTY_FORMULA = re.compile(
    rb'<c\s[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)


@dataclass(frozen=True)
class XlsxSheetShape:
    """first_row: the 1-based row of the first cell with a value; declared_cells: from <dimension>, if any;
    first_column: the 1-based column <dimension> starts at (1 without one)."""

    first_row: int
    declared_cells: int | None
    first_column: int = 1


def inspect_xlsx(path: Path, limits: ReadLimits) -> XlsxSheetShape:
    """Check the archive against `limits` and read the first sheet's shape.

    Raises IngestError: decompression_limit (too big once inflated), malformed_file (not a readable workbook).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise _malformed(f"it is not a readable zip archive ({error})") from error
    with archive:
        _check_sizes(archive.infolist(), limits)
        try:
            _refuse_dtds(archive)
            sheet = _first_sheet_entry(archive)
            shape = _sheet_shape(archive, sheet)
        except (zipfile.BadZipFile, ElementTree.ParseError, *_ZIP_READ_ERRORS) as error:
            raise _malformed(f"its parts could not be read ({error})") from error
    if shape.declared_cells is not None and shape.declared_cells > limits.max_spreadsheet_cells:
        raise too_many_cells(shape.declared_cells, limits)
    return shape


def _check_sizes(entries: list[zipfile.ZipInfo], limits: ReadLimits) -> None:
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_spreadsheet_inflated_bytes:
        raise IngestError(
            ErrorCode.decompression_limit,
            f"The workbook would inflate to {total:,} bytes, more than the "
            f"{limits.max_spreadsheet_inflated_bytes:,} allowed. "
            "Split it into smaller files, or export it as CSV.",
            {"inflated_bytes": total, "limit": limits.max_spreadsheet_inflated_bytes},
        )
    for entry in entries:
        if entry.file_size == 0:
            continue
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > limits.max_spreadsheet_ratio:
            raise IngestError(
                ErrorCode.decompression_limit,
                f"The workbook part {entry.filename} is compressed {ratio:,.0f} to 1, more than the "
                f"{limits.max_spreadsheet_ratio} to 1 allowed: it looks like a decompression bomb. "
                "Export the data as CSV if the file is genuine.",
                {"entry": entry.filename, "ratio": round(ratio), "limit": limits.max_spreadsheet_ratio},
            )


def too_many_cells(cells: int, limits: ReadLimits) -> IngestError:
    """The refusal for a sheet with more cells than the limit (also used after loading a sheet)."""
    return IngestError(
        ErrorCode.decompression_limit,
        f"The first sheet spans {cells:,} cells, more than the {limits.max_spreadsheet_cells:,} allowed. "
        "Split it into smaller files, or export it as CSV.",
        {"cells": cells, "limit": limits.max_spreadsheet_cells},
    )


def _refuse_dtds(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook any of whose XML parts (shared strings, styles, ...) declares a DTD.

    Workbook writers never emit one; the DTD would stand in the part's prolog, at its start.
    """
    for entry in archive.infolist():
        if entry.filename.endswith((".xml", ".rels")) and not entry.is_dir():
            with archive.open(entry) as stream:
                if b"<!DOCTYPE" in stream.read(_CHUNK_BYTES):
                    raise ValueError(f"{entry.filename} declares a DTD")


def formulas_without_value(path: Path) -> list[tuple[int, int]]:
    """(column, row), both 1-based, of the first sheet's cells that hold a formula and no saved value.

    A workbook written by a program (openpyxl, for one) stores formulas without computing them; calamine then
    reads the cell as empty. The sheet's XML is streamed through a regular expression, chunk by chunk.
    """
    found: list[tuple[int, int]] = []
    try:
        with zipfile.ZipFile(path) as archive, archive.open(_first_sheet_entry(archive)) as stream:
            tail = b""
            while chunk := stream.read(_CHUNK_BYTES):
                text = tail + chunk
                cut = text.rfind(b"</c>") + 4 if b"</c>" in text else 0
                if b"<f" in text[:cut]:
                    found.extend((_column_index(m.group(1).decode()), int(m.group(2)))
                                 for m in _EMPTY_FORMULA.finditer(text, 0, cut))
                # Keep an unfinished cell for the next chunk (a cell larger than a few chunks is no formula cell).
                tail = text[cut:][-4 * _CHUNK_BYTES :]
    except (zipfile.BadZipFile, *_ZIP_READ_ERRORS) as error:
        raise _malformed(f"its parts could not be read ({error})") from error
    return found


def _parse_small_part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    data = archive.read(name)
    # Workbook writers never emit a DTD; refusing one rules out entity-expansion tricks in the parts we parse.
    if b"<!DOCTYPE" in data[:_CHUNK_BYTES]:
        raise ValueError(f"{name} declares a DTD")
    return ElementTree.fromstring(data)  # noqa: S314 - DTDs refused above; expat caps entity expansion


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _first_sheet_entry(archive: zipfile.ZipFile) -> str:
    """The zip entry of the first sheet in workbook order (what calamine calls sheet 0)."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        raise ValueError("there is no xl/workbook.xml")
    workbook = _parse_small_part(archive, "xl/workbook.xml")
    first = next((el for el in workbook.iter() if _local(el.tag) == "sheet"), None)
    relation = None
    if first is not None:
        relation = next((value for key, value in first.attrib.items() if _local(key) == "id"), None)
    if relation is not None and "xl/_rels/workbook.xml.rels" in names:
        rels = _parse_small_part(archive, "xl/_rels/workbook.xml.rels")
        for rel in rels.iter():
            if _local(rel.tag) == "Relationship" and rel.get("Id") == relation:
                target = rel.get("Target", "")
                entry = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
                if entry in names:
                    return entry
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml"
    raise ValueError("the workbook has no worksheet")


def _sheet_shape(archive: zipfile.ZipFile, entry: str) -> XlsxSheetShape:
    with archive.open(entry) as stream:
        return _scan_sheet_start(stream)


def _scan_sheet_start(stream: IO[bytes]) -> XlsxSheetShape:
    """Stream the sheet XML until the first cell with a value; never holds more than one chunk of it."""
    parser: ElementTree.XMLPullParser[ElementTree.Element]
    parser = ElementTree.XMLPullParser(events=("start", "end"))
    declared: int | None = None
    first_column = 1
    row_number = 0
    first_chunk = True
    while chunk := stream.read(_CHUNK_BYTES):
        if first_chunk and b"<!DOCTYPE" in chunk:
            raise ValueError("the sheet declares a DTD")
        first_chunk = False
        parser.feed(chunk)
        # We asked for start/end events only: each is (event, Element).
        for event, element in cast(Iterator[tuple[str, object]], parser.read_events()):
            if not isinstance(element, ElementTree.Element):
                continue
            name = _local(element.tag)
            if event == "start" and name == "dimension":
                declared = _cells_in_range(element.get("ref", ""))
                first_column = _first_column(element.get("ref", ""))
            elif event == "start" and name == "row":
                row_number = int(element.get("r", row_number + 1))
            elif event == "end" and name in ("v", "is") and row_number:
                return XlsxSheetShape(first_row=row_number, declared_cells=declared, first_column=first_column)
            elif event == "end" and name == "row":
                element.clear()
            elif event == "end" and name == "sheetData":
                return XlsxSheetShape(first_row=1, declared_cells=declared, first_column=first_column)
    return XlsxSheetShape(first_row=1, declared_cells=declared, first_column=first_column)


def _cells_in_range(ref: str) -> int | None:
    corners = ref.upper().split(":")
    parsed = [_CELL_REF.match(corner) for corner in corners]
    if not parsed or not all(parsed) or len(parsed) > 2:
        return None
    rows = [int(match.group(2)) for match in parsed if match]
    cols = [_column_index(match.group(1)) for match in parsed if match]
    return (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)


def _first_column(ref: str) -> int:
    match = _CELL_REF.match(ref.upper().split(":")[0])
    return _column_index(match.group(1)) if match else 1


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - ord("A") + 1)
    return index


def _malformed(reason: str) -> IngestError:
    return IngestError(
        ErrorCode.malformed_file,
        f"The .xlsx workbook is damaged: {reason}. Open it in Excel, save it again and re-upload.",
    )
