"""Write a job's valid rows where Druid reads them: CSV whenever CSV can carry every value, NDJSON otherwise.

Both are formats Druid's core reads. CSV is the cheaper one to write (Polars writes it about twice as fast as
NDJSON, which bench/validate.py shows), but Druid's CSV reader splits records at every line break, quoted or
not, so a value holding one cannot travel as CSV. The stager writes CSV until a batch holds such a value, then
turns what it wrote into NDJSON in one streaming pass and writes NDJSON from there on: only files with line
breaks in their values pay for it.

Either way the rows are normalized: UTF-8, timestamps ISO-8601 UTC with milliseconds and `Z`, numbers typed
(CSV: as Polars formats them, which round-trips), plus the lineage column. The CSV has a header row.

Batches are written in a worker thread, in order: Polars releases the GIL while it formats and writes, so
writing batch i on one core overlaps validating batch i+1 on the other. At most one batch waits to be written,
so memory stays bounded. Leaving the `with` waits for the last write; a write's error is raised on the next
`stage` or on leaving.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from types import TracebackType

import polars as pl

from backend.pipeline.iso_text import iso_utc_text
from backend.pipeline.lineage import LINEAGE_COLUMN


class StagedFormat(StrEnum):
    """How the staged rows are written; the value is the staged object's file extension."""

    csv = "csv"
    ndjson = "json"


# A value holding any of these needs CSV quoting; a line break cannot be staged as CSV at all.
_NEEDS_QUOTING = r'[",\r\n]'
_LINE_BREAK = r"[\r\n]"


class StagedRows:
    """The staged file at `path`, written batch by batch (not thread-safe: one writer).

    `plain_text` asks the reader whether no text value holds a comma, a quote or a line break
    (`TabularFile.text_is_plain`); if so, the rows are written as CSV without looking at every value first. It
    is asked once, by `prepare` (the background stager calls it while the first batch is being validated).
    """

    def __init__(
        self, path: Path, timestamp_column: str, lineage_id: str, *, plain_text: Callable[[], bool] = lambda: False
    ) -> None:
        self.path = path
        self.format = StagedFormat.csv
        self._timestamp_column = timestamp_column
        self._lineage_id = lineage_id
        self._ask_plain_text = plain_text
        self._plain_text: bool | None = None
        self._file = path.open("wb")
        self._rows_written = 0

    def prepare(self) -> None:
        if self._plain_text is None:
            self._plain_text = self._ask_plain_text()

    def write(self, valid: pl.DataFrame) -> None:
        self.prepare()
        if valid.height == 0:
            return
        frame = normalized_rows(valid, self._timestamp_column, self._lineage_id)
        if self.format is StagedFormat.csv:
            quoting = not self._plain_text and self._any_value_matches(frame, _NEEDS_QUOTING)
            if quoting and self._any_value_matches(frame, _LINE_BREAK):
                self._switch_to_ndjson(frame.schema)
            else:
                # Without a character that needs quoting, "never" writes the same bytes about 3x faster.
                frame.write_csv(self._file, include_header=self._rows_written == 0,
                                quote_style="necessary" if quoting else "never")
                self._rows_written += frame.height
                return
        frame.write_ndjson(self._file)
        self._rows_written += frame.height

    def close(self) -> None:
        self._file.close()

    def _any_value_matches(self, frame: pl.DataFrame, pattern: str) -> bool:
        # The lineage id and the formatted timestamps are ours: nothing to look for there.
        ours = {LINEAGE_COLUMN, self._timestamp_column}
        text = [name for name, dtype in frame.schema.items() if dtype == pl.String and name not in ours]
        if not text:
            return False
        found = frame.select(pl.any_horizontal(pl.col(name).str.contains(pattern) for name in text).any()).item()
        return bool(found)

    def _switch_to_ndjson(self, schema: pl.Schema) -> None:
        self._file.close()
        if self._rows_written:
            written = self.path.with_name(self.path.name + ".csv")
            self.path.replace(written)
            try:
                # Read back with the exact dtypes it was written from: strings stay strings ("007" too).
                pl.scan_csv(written, schema=schema, has_header=True).sink_ndjson(self.path)
            finally:
                written.unlink(missing_ok=True)
        self._file = self.path.open("ab")
        self.format = StagedFormat.ndjson


def normalized_rows(valid: pl.DataFrame, timestamp_column: str, lineage_id: str) -> pl.DataFrame:
    """The staged form of validated rows: the timestamp as ISO-8601 UTC text, plus the lineage column (a frame that
    has one already, the rows of several jobs, keeps it: backend.pipeline.record_batch)."""
    lineage = pl.col(LINEAGE_COLUMN) if LINEAGE_COLUMN in valid.columns else pl.lit(lineage_id)
    return valid.with_columns(iso_utc_text(valid.get_column(timestamp_column)), lineage.alias(LINEAGE_COLUMN))


class BackgroundStager:
    """Feeds `StagedRows` from a worker thread, in batch order (see the module docstring)."""

    def __init__(self, rows: StagedRows) -> None:
        self.rows = rows
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage-rows")
        self._pending: Future[None] | None = self._pool.submit(rows.prepare)

    def stage(self, valid: pl.DataFrame) -> None:
        self._wait()
        if valid.height:
            self._pending = self._pool.submit(self.rows.write, valid)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> BackgroundStager:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self._wait()
            elif self._pending is not None:
                # Already failing: let the write finish (the file closes after it) but keep the first error.
                self._pending.exception()
        finally:
            self._pool.shutdown(wait=True)
            self.rows.close()
