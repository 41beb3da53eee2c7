"""The shape of a CSV file: its delimiter and its header record, read with the csv module so quotes count."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from backend.errors import ErrorCode, IngestError

DELIMITERS = (",", ";", "\t", "|")
"""Candidates in order of preference when two fit equally well."""

_SNIFF_RECORDS = 20

HEADER_LIMIT_CHARS = 8 << 20
"""The longest header record read (16,384 columns of 500 characters fit): a file of one huge line stops here."""


@dataclass(frozen=True)
class CsvHeader:
    """The header names as written, and the row (1-based, as a person counts) that holds them."""

    names: list[str]
    row: int


def sniff_delimiter(sample: str) -> str:
    """The candidate delimiter that splits the header into the most fields and the next records consistently.

    `sample` is the start of the file (decoded); a record cut off at its end is ignored.
    A file with a single column gets ",".
    """
    best = DELIMITERS[0]
    best_score: tuple[int, float, int] | None = None
    for delimiter in DELIMITERS:
        records = _records(sample, delimiter)
        if not records or len(records[0]) < 2:
            continue
        counts = [len(record) for record in records]
        consistency = sum(1 for count in counts if count == counts[0]) / len(counts)
        # A quote left inside a field means the split cut through a quoted value: the wrong delimiter.
        stray_quotes = sum(1 for record in records for field in record if '"' in field)
        score = (-stray_quotes, consistency, counts[0])
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def _records(sample: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            if record:
                records.append(record)
            if len(records) > _SNIFF_RECORDS:
                break
    except csv.Error:
        pass  # an open quote at the sample's end: the records before it still count
    if len(records) > 1 and not sample.endswith(("\n", "\r")):
        records.pop()  # the sample probably cut the last record short
    return records


def decode_sample(head: bytes) -> str:
    """Decode the first bytes of a UTF-8 file, tolerating a multi-byte character cut at the end."""
    return codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode(head, final=False)


def read_header(path: Path, delimiter: str) -> CsvHeader:
    """The first non-blank record of a UTF-8 file (Polars skips leading blank lines too).

    Raises IngestError(malformed_file) when a header field is longer than the csv module's field limit, or the
    header is longer than HEADER_LIMIT_CHARS (a file of one huge line is read no further than that).
    """
    row = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(_bounded_lines(handle, HEADER_LIMIT_CHARS), delimiter=delimiter)
        try:
            for record in reader:
                row += 1
                if record:
                    return CsvHeader(names=record, row=row)
        except _HeaderTooLong:
            raise _header_refused(row + 1, f"it is longer than {HEADER_LIMIT_CHARS:,} characters",
                                  HEADER_LIMIT_CHARS) from None
        except csv.Error as error:
            if "field limit" not in str(error):
                raise _header_refused(row + 1, f"it cannot be read as CSV ({error})", None) from error
            limit = csv.field_size_limit()
            raise _header_refused(row + 1, f"a field in it is longer than {limit:,} characters (128 KiB)",
                                  limit) from error
    return CsvHeader(names=[], row=row)


class _HeaderTooLong(Exception):
    pass


def _bounded_lines(handle: TextIO, limit: int) -> Iterator[str]:
    """The lines of `handle`, raising _HeaderTooLong once more than `limit` characters have been read."""
    read = 0
    while line := handle.readline(limit + 1 - read):
        read += len(line)
        if read > limit:
            raise _HeaderTooLong
        yield line


def _header_refused(row: int, reason: str, limit: int | None) -> IngestError:
    details: dict[str, int] = {"row": row}
    if limit is not None:
        details["limit_bytes"] = limit
    return IngestError(
        ErrorCode.malformed_file,
        f"The header row (row {row}) of the CSV file is not usable: {reason}. "
        "The first line must name the columns; check that the file is CSV with line breaks between rows.",
        details,
    )
