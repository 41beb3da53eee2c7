"""Making sure a text file is UTF-8 before Polars reads it (Polars reads nothing else).

Files from Excel on Windows are often Windows-1252 ("ANSI"). We check the whole file in 1 MiB chunks and, if
it is not UTF-8, write a UTF-8 copy next to it, chunk by chunk, so memory stays flat whatever the file size.
A file that is mostly UTF-8 with a stray bad byte is refused rather than transcoded: reading it as
Windows-1252 would silently turn every accented letter into two wrong ones.
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
from pathlib import Path

from backend.errors import ErrorCode, IngestError

_CHUNK_BYTES = 1 << 20
_LONE_CR = re.compile(rb"\r(?!\n)")
_FALLBACK = "cp1252"


def utf8_copy_if_needed(path: Path) -> Path | None:
    """None if `path` is UTF-8 already; otherwise the path of a UTF-8 copy made from Windows-1252.

    The copy sits next to `path` (same filesystem, same cleanup); the caller deletes it.
    Raises IngestError(encoding_error) if the file is neither.
    """
    problem = _first_invalid_utf8(path)
    if problem is None:
        return None
    offset, saw_utf8_text = problem
    if saw_utf8_text:
        line = _line_at(path, offset)
        raise IngestError(
            ErrorCode.encoding_error,
            f"The file is UTF-8 but has an invalid byte on line {line} (byte offset {offset}). "
            "Fix or re-save that line as UTF-8 and upload again.",
            {"byte_offset": offset, "line": line},
        )
    return _transcode(path, _FALLBACK)


def lf_copy_if_lone_cr(path: Path, head: bytes) -> Path | None:
    """None unless the file ends its lines with a lone CR (classic Mac OS, Excel's "CSV (Macintosh)"), which
    Polars does not read as line breaks; then the path of a copy next to it with LF instead, made chunk by chunk.

    `head` is the file's start: a file is taken for lone-CR when its head holds a CR and no LF. In the copy every
    CR not followed by LF becomes LF (a line break inside a quoted value too); the caller deletes it.
    """
    if b"\r" not in head or b"\n" in head:
        return None
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".lf", dir=path.parent)
    target = Path(name)
    try:
        with path.open("rb") as source, os.fdopen(handle, "wb") as sink:
            held = b""
            while chunk := source.read(_CHUNK_BYTES):
                chunk = held + chunk
                # A CR at the end of a chunk may be the first half of a CRLF: decide with the next chunk.
                held = b"\r" if chunk.endswith(b"\r") else b""
                sink.write(_LONE_CR.sub(b"\n", chunk[: len(chunk) - len(held)]))
            sink.write(held.replace(b"\r", b"\n"))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _first_invalid_utf8(path: Path) -> tuple[int, bool] | None:
    """(byte offset, whether valid non-ASCII UTF-8 came before it) of the first invalid byte, if any."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = 0
    saw_non_ascii = False
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK_BYTES):
            if chunk.isascii() and not decoder.getstate()[0]:
                # ASCII is UTF-8; isascii runs at memory speed where decoding allocates a str.
                consumed += len(chunk)
                continue
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as error:
                # error.start counts from the bytes the decoder held back from the previous chunk (at most 3).
                pending = len(error.object) - len(chunk)
                good = chunk[: max(error.start - pending, 0)]
                return consumed + error.start - pending, saw_non_ascii or not good.isascii()
            saw_non_ascii = True
            consumed += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return consumed, saw_non_ascii
    return None


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line holding byte `offset` (only computed for an error message)."""
    lines = 1
    with path.open("rb") as source:
        while offset > 0 and (chunk := source.read(min(_CHUNK_BYTES, offset))):
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines


def _transcode(path: Path, encoding: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".utf8", dir=path.parent)
    target = Path(name)
    decoder = codecs.getincrementaldecoder(encoding)()
    consumed = 0
    lines = 1
    try:
        with path.open("rb") as source, os.fdopen(handle, "wb") as sink:
            while chunk := source.read(_CHUNK_BYTES):
                try:
                    sink.write(decoder.decode(chunk).encode("utf-8"))
                except UnicodeDecodeError as error:
                    line = lines + chunk[: error.start].count(b"\n")
                    raise IngestError(
                        ErrorCode.encoding_error,
                        "The file is neither UTF-8 nor Windows-1252: byte "
                        f"0x{chunk[error.start]:02X} on line {line} has no meaning in either. "
                        "Save the file as UTF-8 and upload again.",
                        {"byte_offset": consumed + error.start, "line": line},
                    ) from None
                lines += chunk.count(b"\n")
                consumed += len(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target
