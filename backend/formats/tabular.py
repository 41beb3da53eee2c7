"""What every reader gives the pipeline: header names, then batches renamed to the schema with row numbers.

A format's reader subclasses `TabularFile` and implements `_frames` (file column names, plus `__row`) and
`read_column_rows`; renaming, blank-row skipping, the "no data rows" refusal and whole-column queries
(`map_column`, which a streaming reader may run in one query) live here, once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType

import polars as pl
from polars._typing import EngineType

from backend.errors import ErrorCode, IngestError
from backend.formats.display import first_names
from backend.formats.limits import ReadLimits

ROW_COLUMN = "__row"
"""The row number a person sees in their own tool (see each reader for the exact meaning per format)."""


class TabularFile(ABC):
    """An opened tabular file. Use as a context manager: some formats leave temporary files to remove."""

    keyed = False
    """True when the columns are the keys of JSON records rather than the cells of a header row (for messages)."""

    def __init__(
        self,
        path: Path,
        limits: ReadLimits,
        columns: list[str],
        approx_total_rows: int | None,
        temporary_paths: list[Path] | None = None,
    ) -> None:
        self.path = path
        self.limits = limits
        self.columns = columns
        self.approx_total_rows = approx_total_rows
        self.blank_rows_skipped = 0
        self._formula_rows: dict[str, frozenset[int]] = {}
        self._temporary_paths = list(temporary_paths or [])

    # -- what each format implements ------------------------------------------------------------------------

    @abstractmethod
    def _frames(self, file_columns: list[str]) -> Iterator[pl.DataFrame]:
        """Frames of at most batch_rows rows: `file_columns` (String or native types) and Int64 `__row`."""

    @abstractmethod
    def read_column_rows(self, name: str) -> pl.DataFrame:
        """The whole file's column `name` (a file header name) as String, with `__row`, in row order."""

    @abstractmethod
    def _shape_description(self) -> str:
        """What the file holds, for the no-data-rows message (e.g. "a header row with 13 columns")."""

    # -- the shared contract --------------------------------------------------------------------------------

    def batches(self, wanted: Mapping[str, str]) -> Iterator[pl.DataFrame]:
        """Batches of the `wanted` columns (file name -> schema name) renamed, plus `__row`; skips blank rows.

        Raises IngestError(no_data_rows) after the last batch if the file held no row with a value.
        """
        if not wanted:
            raise ValueError("batches() needs at least one wanted column")
        unknown = [name for name in wanted if name not in self.columns]
        if unknown:
            raise KeyError(f"not columns of this file: {unknown}")
        file_columns = list(wanted)
        renames = {name: wanted[name] for name in file_columns}
        any_value = pl.any_horizontal(pl.col(name).is_not_null() for name in file_columns)
        rows = 0
        for frame in self._frames(file_columns):
            # Blank lines in CSV and trailing formatted-but-empty rows in Excel are noise, not records.
            has_value = frame.select(any_value).to_series()
            # Filtering copies every column; most batches have no blank row to drop.
            kept = frame if has_value.all() else frame.filter(has_value)
            self.blank_rows_skipped += frame.height - kept.height
            if kept.height == 0:
                continue
            rows += kept.height
            yield kept.rename(renames).select(ROW_COLUMN, *renames.values())
        if rows == 0:
            raise IngestError(
                ErrorCode.no_data_rows,
                f"The file has no data rows: it holds {self._shape_description()}. "
                "Add at least one row of data under the header.",
                {"columns": first_names(self.columns), "columns_total": len(self.columns),
                 "blank_rows_skipped": self.blank_rows_skipped},
            )

    def map_column(self, name: str, query: Callable[[pl.LazyFrame], pl.LazyFrame]) -> pl.DataFrame:
        """`query`'s result over the whole file's column `name` (a file header name), in row order.

        `query` gets the column as `batches` types it (String, or the format's native dtype), with `__row` and
        blank rows too, and must work row by row (select, filter): it may run once per batch. Only its result
        is kept, so a query that keeps little (a hash per row) reads a large file in little memory.
        """
        self._require_column(name)
        parts = [query(frame.lazy()).collect() for frame in self._frames([name])]
        if not parts:
            return query(pl.LazyFrame(schema={ROW_COLUMN: pl.Int64, name: pl.String})).collect()
        return pl.concat(parts)

    def formula_rows(self) -> dict[str, frozenset[int]]:
        """For each file column, the rows whose cell holds a formula with no saved value (read as empty).

        Only a spreadsheet has them; its reader says which, so that their errors can say why they are empty.
        """
        return self._formula_rows

    def text_is_plain(self) -> bool:
        """True only if no text value of this file can hold a comma, a double quote or a line break.

        The stager then writes values as CSV without looking at each one. A reader that cannot tell cheaply
        says False (the default), and the values are looked at.
        """
        return False

    def close(self) -> None:
        """Remove temporary files this reader made (transcoded copies); safe to call twice."""
        while self._temporary_paths:
            self._temporary_paths.pop().unlink(missing_ok=True)

    def __enter__(self) -> TabularFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _require_column(self, name: str) -> None:
        if name not in self.columns:
            raise KeyError(f"{name!r} is not a column of this file")


def estimate_rows(head: bytes, size: int) -> int:
    """Lines in a file of `size` bytes starting with `head`: exact if head is all of it, else scaled."""
    # Progress bars need a rough total, not an exact one; counting would cost a pass over the file.
    lines = head.count(b"\n") + (0 if head.endswith(b"\n") or not head else 1)
    if len(head) >= size or not head:
        return lines
    return int(size * lines / len(head))


_PARTS_PER_BATCH = 5


def streamed_batches(
    scan: pl.LazyFrame,
    batch_rows: int,
    translate: Callable[[pl.exceptions.PolarsError], Exception],
    *,
    engine: EngineType = "auto",
) -> Iterator[pl.DataFrame]:
    """A lazy scan collected batch by batch, a Polars error turned into the reader's own IngestError.

    Polars only reports a bad record when the batch holding it is collected, hence the translation per batch.
    Polars' streaming engine keeps about four finished chunks ahead of a consumer slower than itself, whatever
    their size: collecting whole batches, it held four batches the pipeline had not reached (~0.25 GB at 250k
    rows of 13 columns), and a file of four batches or fewer held less, so a job's peak grew with its file up to
    ~2M rows. Collected in parts of a fifth and joined here, the read-ahead is a fifth as large.
    """
    parts = scan.collect_batches(chunk_size=max(batch_rows // _PARTS_PER_BATCH, 1), lazy=True, engine=engine)
    held: list[pl.DataFrame] = []
    rows = 0
    while True:
        try:
            part = next(parts)
        except StopIteration:
            break
        except pl.exceptions.PolarsError as error:
            raise translate(error) from error
        while part.height:
            take = min(part.height, batch_rows - rows)
            held.append(part.slice(0, take))
            rows += take
            part = part.slice(take)
            if rows == batch_rows:
                yield _joined(held)
                held, rows = [], 0
    if held:
        yield _joined(held)


def _joined(parts: list[pl.DataFrame]) -> pl.DataFrame:
    # Not rechunked: copying the parts into one buffer per column cost a batch's size more at the peak, and the
    # validator's operations take chunked columns as they are.
    return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=False)


def slices(frame: pl.DataFrame, batch_rows: int) -> Iterator[pl.DataFrame]:
    """A frame already in memory, in batch_rows slices (zero-copy)."""
    yield from frame.iter_slices(batch_rows)
