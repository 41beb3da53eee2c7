"""CSV: delimiter sniffed, Windows-1252 transcoded, lone-CR line ends turned into LF (Polars reads only LF and
CRLF; see text_encoding.lf_copy_if_lone_cr), every value read as String, in constant memory.

Polars' streaming engine (`scan_csv` + `collect_batches`) reads ahead a bounded amount, in raw chunks of
POLARS_CSV_CHUNK_SIZE bytes (32 MB by default, two per thread in flight), plus about four finished chunks of
rows (see tabular.streamed_batches). On 2 cores the read-ahead held ~0.5-0.65 GB with 32 MB chunks whatever the
file size; with 250k-row batches collected in fifths, a slow consumer held ~0.25 GB with 8 MB chunks and
~0.15 GB with 2 MB, at the same CPU time for the whole job (1 MB: 20% more CPU), so this reader uses 2 MB
unless the environment sets the variable.
Row numbers: the header is the row it is on (1 unless blank lines precede it); each record, even one whose
quoted field holds line breaks, is one row after it; a blank line is a (skipped) row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

from backend.errors import ErrorCode, IngestError, first_line
from backend.formats.csv_diagnose import find_csv_problem
from backend.formats.csv_dialect import CsvHeader, decode_sample, read_header, sniff_delimiter
from backend.formats.detect import read_head
from backend.formats.limits import ReadLimits
from backend.formats.tabular import ROW_COLUMN, TabularFile, estimate_rows, streamed_batches
from backend.formats.text_encoding import lf_copy_if_lone_cr, utf8_copy_if_needed

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Polars reads it when a query starts (see the module docstring for why 8 MB).
_CHUNK_SIZE_VARIABLE = "POLARS_CSV_CHUNK_SIZE"
_CHUNK_SIZE_BYTES = 2 << 20
_SCAN_CHUNK_BYTES = 4 << 20  # text_is_plain's read buffer


class CsvFile(TabularFile):
    """A CSV file; read it through `batches`, `map_column` or `read_column_rows`."""

    def __init__(self, path: Path, limits: ReadLimits) -> None:
        temporaries: list[Path] = []
        try:
            utf8 = utf8_copy_if_needed(path)
            if utf8 is not None:
                temporaries.append(utf8)
            source = utf8 or path
            head = read_head(source)
            line_feeds = lf_copy_if_lone_cr(source, head)
            if line_feeds is not None:
                temporaries.append(line_feeds)
                source = line_feeds
                head = read_head(source)
            sample = decode_sample(head)
            delimiter = sniff_delimiter(sample)
            header = read_header(source, delimiter)
        except BaseException:
            for temporary in temporaries:
                temporary.unlink(missing_ok=True)
            raise
        super().__init__(
            path,
            limits,
            columns=header.names,
            approx_total_rows=max(estimate_rows(head, source.stat().st_size) - header.row, 0),
            temporary_paths=temporaries,
        )
        if not header.names:
            self.close()
            raise IngestError(ErrorCode.empty_file, "The file is empty: it has no header row and no data.")
        self.source = source
        self.delimiter = delimiter
        self.header: CsvHeader = header
        # Positional stand-ins: header names may repeat or be empty, and Polars would rename those silently.
        self._stand_ins = [f"_{index}" for index in range(len(header.names))]
        self._stand_in_of = {name: self._stand_ins[i] for i, name in reversed(list(enumerate(header.names)))}

    def _scan(self, file_columns: list[str]) -> pl.LazyFrame:
        os.environ.setdefault(_CHUNK_SIZE_VARIABLE, str(_CHUNK_SIZE_BYTES))
        return pl.scan_csv(
            self.source,
            separator=self.delimiter,
            has_header=True,
            new_columns=self._stand_ins,
            infer_schema=False,  # every value stays text: "NA", "007", "1e3" reach the validator as written
            quote_char='"',
            truncate_ragged_lines=False,
            raise_if_empty=False,
            row_index_name=ROW_COLUMN,
            row_index_offset=self.header.row + 1,
        ).select(
            pl.col(ROW_COLUMN).cast(pl.Int64),
            *(pl.col(self._stand_in_of[name]).alias(name) for name in file_columns),
        )

    def _frames(self, file_columns: list[str]) -> Iterator[pl.DataFrame]:
        yield from streamed_batches(
            self._scan(file_columns), self.limits.batch_rows, self._malformed, engine="streaming"
        )

    def read_column_rows(self, name: str) -> pl.DataFrame:
        self._require_column(name)
        try:
            return self._scan([name]).collect(engine="streaming")
        except pl.exceptions.PolarsError as error:
            raise self._malformed(error) from error

    def map_column(self, name: str, query: Callable[[pl.LazyFrame], pl.LazyFrame]) -> pl.DataFrame:
        self._require_column(name)
        try:
            # One streaming query instead of batch by batch: Polars parses only this column, runs `query` on
            # both cores as it reads, and never holds more of the column than `query` keeps.
            return query(self._scan([name])).collect(engine="streaming")
        except pl.exceptions.PolarsError as error:
            raise self._malformed(error) from error

    def text_is_plain(self) -> bool:
        # Comma-separated without a single quote character: every comma and line feed separates, so no value
        # holds one. A carriage return could sit inside a value, so a file with any (CRLF) is not plain.
        if self.delimiter != ",":
            return False
        # Read through one small buffer, not mapped: every page of a mapped file counts in the process's RSS
        # while the map lasts, so a 522 MB file added 522 MB to the job's peak (1.4 GB instead of 0.9 when
        # this ran while the first batches were in memory). Read pages stay in the page cache, which is not RSS.
        buffer = bytearray(_SCAN_CHUNK_BYTES)
        with self.source.open("rb", buffering=0) as fh:
            while size := fh.readinto(buffer):
                if buffer.find(b'"', 0, size) >= 0 or buffer.find(b"\r", 0, size) >= 0:
                    return False
        return True

    def _shape_description(self) -> str:
        return f"a header row with {len(self.columns)} columns ({self._delimiter_name()}-separated)"

    def _delimiter_name(self) -> str:
        return _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def _malformed(self, error: pl.exceptions.PolarsError) -> IngestError:
        problem = find_csv_problem(self.source, self.delimiter, len(self.columns))
        if problem is None:
            return IngestError(
                ErrorCode.malformed_file,
                f"The CSV file could not be read ({first_line(error)}). "
                "Check that every row has the same columns as the header.",
                {"delimiter": self.delimiter},
            )
        return IngestError(
            ErrorCode.malformed_file,
            f"Row {problem.row} of the CSV file is malformed: {problem.reason}. "
            f"The file was read as {self._delimiter_name()}-separated.",
            {"row": problem.row, "delimiter": self.delimiter},
        )

