"""The one entry point the pipeline uses to read a file: `open_tabular(path, format, limits)`.

    fmt = detect_format(read_head(path))
    with open_tabular(path, fmt, limits) as table:
        match = match_columns(table.columns, schema_columns, required_columns)
        require_columns(match, table.columns)
        for batch in table.batches(match.mapping):   # schema names + "__row" (Int64)
            ...

Temporary files (a UTF-8 copy of a Windows-1252 CSV, the NDJSON copy of a JSON array) are written next to
`path`, so its directory must be writable; `close()` (or leaving the `with`) removes them.
"""

from __future__ import annotations

from pathlib import Path

from backend.formats.csv_file import CsvFile
from backend.formats.file_format import FileFormat
from backend.formats.json_array import json_array_to_ndjson
from backend.formats.limits import ReadLimits
from backend.formats.ndjson_file import NdjsonFile
from backend.formats.parquet_file import ParquetFile
from backend.formats.spreadsheet_file import SpreadsheetFile
from backend.formats.tabular import ROW_COLUMN, TabularFile
from backend.formats.text_encoding import utf8_copy_if_needed

__all__ = ["ROW_COLUMN", "ReadLimits", "TabularFile", "open_tabular"]


def open_tabular(path: Path, fmt: FileFormat, limits: ReadLimits) -> TabularFile:
    """Open `path` as `fmt` (from detect_format): header read, limits checked, nothing read in bulk yet.

    Raises IngestError (empty_file, encoding_error, malformed_file, decompression_limit) when the file
    cannot be read as `fmt`.
    """
    if fmt is FileFormat.csv:
        return CsvFile(path, limits)
    if fmt is FileFormat.ndjson:
        return NdjsonFile(path, limits)
    if fmt is FileFormat.json:
        return _open_json_array(path, limits)
    if fmt is FileFormat.parquet:
        return ParquetFile(path, limits)
    return SpreadsheetFile(path, limits, fmt)


def _open_json_array(path: Path, limits: ReadLimits) -> TabularFile:
    temporaries: list[Path] = []
    try:
        utf8 = utf8_copy_if_needed(path)
        if utf8 is not None:
            temporaries.append(utf8)
        lines = json_array_to_ndjson(utf8 or path)
        temporaries.append(lines)
    except BaseException:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
        raise
    return NdjsonFile(path, limits, source=lines, record_word="record", temporary_paths=temporaries)
