"""detect_format: literal bytes in, format (or refusal) out."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlwt

from backend.errors import ErrorCode, IngestError
from backend.formats import FileFormat, detect_format, read_head


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"id,name\n1,a\n", FileFormat.csv),
        (b"\xef\xbb\xbfid;name\r\n1;a\r\n", FileFormat.csv),
        (b"Name;Ort\nM\xfcller;K\xf6ln\n", FileFormat.csv),  # Windows-1252
        (b"id,name\n1,caf\xc3", FileFormat.csv),  # UTF-8 character cut by the 64 KiB head
        (b"[ID],Name\n1,2\n", FileFormat.csv),
        (b"{ID},Name\n1,2\n", FileFormat.csv),
        (b'[{"a": 1}]', FileFormat.json),
        (b'\xef\xbb\xbf \n[\n  {\n    "a": 1\n  }\n]\n', FileFormat.json),
        (b"[]", FileFormat.json),
        (b'{"a": 1}\n{"a": 2}\n', FileFormat.ndjson),
        (b'\n\n{ "a": 1}\n', FileFormat.ndjson),
        (b"PAR1\x15\x04", FileFormat.parquet),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16, FileFormat.xls),
    ],
)
def test_detects_format_from_content(head: bytes, expected: FileFormat) -> None:
    assert detect_format(head) is expected


@pytest.mark.parametrize("head", [b"", b"\xef\xbb\xbf", b" \r\n\t\n", b"\xef\xbb\xbf\n\n"])
def test_empty_or_blank_is_empty_file(head: bytes) -> None:
    with pytest.raises(IngestError) as raised:
        detect_format(head)
    assert raised.value.code is ErrorCode.empty_file


def _refusal(head: bytes) -> IngestError:
    with pytest.raises(IngestError) as raised:
        detect_format(head)
    return raised.value


def test_png_is_refused_by_name() -> None:
    error = _refusal(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert error.code is ErrorCode.unsupported_format
    assert "PNG image" in error.message


def test_binary_named_csv_is_refused() -> None:
    # What a .csv upload that is really a binary dump looks like: NULs and control bytes.
    error = _refusal(b"id,name\x00\x01\x02\x03" + bytes(range(256)))
    assert error.code is ErrorCode.unsupported_format
    assert "binary" in error.message


def test_zip_without_workbook_entries_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data/readme.txt", "hello")
    error = _refusal(buffer.getvalue())
    assert error.code is ErrorCode.unsupported_format
    assert "zip archive" in error.message


def test_text_in_no_known_encoding_is_an_encoding_error() -> None:
    # 0x81 and 0x8D are invalid UTF-8 and unassigned in Windows-1252.
    assert _refusal(b"a,b\n\x81\x8d,x\n").code is ErrorCode.encoding_error


def test_real_files_are_detected(tmp_path: Path) -> None:
    xlsx = tmp_path / "upload.bin"
    workbook = openpyxl.Workbook()
    workbook.active.append(["a", "b"])
    workbook.save(xlsx)
    assert detect_format(read_head(xlsx)) is FileFormat.xlsx

    xls = tmp_path / "upload2.bin"
    book = xlwt.Workbook()
    book.add_sheet("S").write(0, 0, "a")
    book.save(str(xls))
    assert detect_format(read_head(xls)) is FileFormat.xls

    parquet = tmp_path / "upload3.csv"  # the name lies; the content decides
    pl.DataFrame({"a": [1]}).write_parquet(parquet)
    assert detect_format(read_head(parquet)) is FileFormat.parquet
