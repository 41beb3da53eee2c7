"""Finding the row that made Polars give up on a CSV, so the person is told where to look.

Polars stops on a record with more fields than the header, or an unclosed quote, without saying which row.
Only then do we walk the file once more with the csv module (streaming, slow but rare).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CsvProblem:
    """The row (as a person counts, header included) and what is wrong with it."""

    row: int
    reason: str


def find_csv_problem(path: Path, delimiter: str, header_fields: int) -> CsvProblem | None:
    """The first record with more fields than the header, or with broken quoting; None if none is found."""
    row = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            for record in reader:
                row += 1
                if len(record) > header_fields:
                    return CsvProblem(row, f"it has {len(record)} fields but the header has {header_fields}")
        except csv.Error as error:
            if "field limit" in str(error):
                return CsvProblem(row + 1, f"a field is longer than {csv.field_size_limit():,} characters; "
                                  "a quote opened and never closed?")
            return CsvProblem(row + 1, f"its quoting is broken ({error}); a quote opened and never closed?")
    return None
