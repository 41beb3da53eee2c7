"""Which format a file is, from its first bytes only: file names and Content-Type headers lie.

`detect_format` takes bytes, not a path: a pure function the caller can feed from a ranged S3 read.
The cost of that choice: an .xlsx is recognised by the names of the zip entries stored in the head. Excel,
LibreOffice, openpyxl and xlsxwriter all write `[Content_Types].xml` and `xl/...` entries first, so 64 KiB is
plenty; the XLSX reader then checks the whole archive anyway.
"""

from __future__ import annotations

import codecs
import struct
from pathlib import Path

from backend.errors import ErrorCode, IngestError
from backend.formats.file_format import FileFormat

HEAD_BYTES = 64 * 1024
"""How much of a file `detect_format` looks at."""

_UTF8_BOM = codecs.BOM_UTF8
_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_PARQUET_MAGIC = b"PAR1"
_WHITESPACE = b" \t\r\n\f\v"
# Control bytes that never appear in CSV or JSON text but are everywhere in binary formats.
_BINARY_CONTROL = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x1A)) | frozenset(range(0x1B, 0x20))

# Common binaries people upload by mistake, named in the refusal so they know what they sent.
_KNOWN_BINARIES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"ARROW1", "an Arrow IPC file"),
    (b"Obj\x01", "an Avro file"),
)

_SUPPORTED = "CSV (UTF-8 or Windows-1252), Excel (.xlsx, .xls), Parquet, JSON array or newline-delimited JSON"


def read_head(path: Path) -> bytes:
    """The first HEAD_BYTES of a file, what `detect_format` expects."""
    with path.open("rb") as handle:
        return handle.read(HEAD_BYTES)


def detect_format(head: bytes) -> FileFormat:
    """The format of a file whose first (up to HEAD_BYTES) bytes are `head`.

    Raises IngestError: empty_file (nothing but whitespace/BOM), unsupported_format (binary of another kind),
    encoding_error (text-like, but neither UTF-8 nor Windows-1252).
    """
    if head.startswith(_ZIP_LOCAL_HEADER):
        if _zip_has_excel_entries(head):
            return FileFormat.xlsx
        raise _unsupported("a zip archive that is not an Excel workbook (no xl/ entries)")
    if head.startswith(_OLE2_MAGIC):
        return FileFormat.xls
    if head.startswith(_PARQUET_MAGIC):
        return FileFormat.parquet
    for magic, what in _KNOWN_BINARIES:
        if head.startswith(magic):
            raise _unsupported(what)

    text = head.removeprefix(_UTF8_BOM).lstrip(_WHITESPACE)
    if not text:
        raise IngestError(ErrorCode.empty_file, "The file is empty: it has no header row and no data.")
    if any(byte in _BINARY_CONTROL for byte in text):
        raise _unsupported(
            "a binary file (it contains NUL or control bytes); if it is UTF-16 text, save it as UTF-8 instead"
        )
    if not _decodes_as_text(head.removeprefix(_UTF8_BOM)):
        raise IngestError(
            ErrorCode.encoding_error,
            "The file looks like text but is neither UTF-8 nor Windows-1252. "
            "Save it as UTF-8 and upload again.",
        )
    return _text_format(text)


def _text_format(text: bytes) -> FileFormat:
    # A CSV header may start with "[" or "{" (e.g. "[ID],Name"): JSON only if the next token fits JSON. An array
    # of arrays is JSON too, so that its reader says it is not an array of objects.
    first = text[:1]
    after = text[1:].lstrip(_WHITESPACE)[:1]
    if first == b"[" and after in (b"{", b"[", b"]", b""):
        return FileFormat.json
    if first == b"{" and after in (b'"', b"}", b""):
        return FileFormat.ndjson
    return FileFormat.csv


def _decodes_as_text(data: bytes) -> bool:
    # final=False: the head may end in the middle of a multi-byte UTF-8 sequence.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return True
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def _zip_has_excel_entries(head: bytes) -> bool:
    """True if a local file header in `head` names an entry under xl/ (the SpreadsheetML package layout)."""
    start = head.find(_ZIP_LOCAL_HEADER)
    while start != -1 and start + 30 <= len(head):
        name_length, extra_length = struct.unpack_from("<HH", head, start + 26)
        name = head[start + 30 : start + 30 + name_length]
        if name.startswith(b"xl/"):
            return True
        # Entry sizes may be deferred to a data descriptor, so search for the next header instead of skipping.
        start = head.find(_ZIP_LOCAL_HEADER, start + 30 + name_length + extra_length)
    return False


def _unsupported(what: str) -> IngestError:
    return IngestError(
        ErrorCode.unsupported_format,
        f"This file is {what}. Upload one of: {_SUPPORTED}.",
        {"supported": _SUPPORTED},
    )
