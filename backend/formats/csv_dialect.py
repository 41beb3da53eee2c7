"""The shape of a CSV file: its delimiter and its header record, read with the csv module so quotes count."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

DELIMITERS = (",", ";", "\t", "|")
"""Candidates in order of preference when two fit equally well."""

_SNIFF_RECORDS = 20


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
    """The first non-blank record of a UTF-8 file (Polars skips leading blank lines too)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        row = 0
        for record in reader:
            row += 1
            if record:
                return CsvHeader(names=record, row=row)
    return CsvHeader(names=[], row=row)
