"""Parquet: native column types kept, read in batches by the streaming engine; row N is the N-th record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from backend.errors import ErrorCode, IngestError, first_line
from backend.formats.display import NAME_CHARS, display_text
from backend.formats.limits import ReadLimits
from backend.formats.tabular import ROW_COLUMN, TabularFile, streamed_batches


class ParquetFile(TabularFile):
    """A Parquet file; the footer gives the columns and the exact row count up front."""

    def __init__(self, path: Path, limits: ReadLimits) -> None:
        try:
            schema = pl.read_parquet_schema(path)
            total = pl.scan_parquet(path).select(pl.len()).collect().item()
        except pl.exceptions.PolarsError as error:
            raise _corrupt(error) from error
        except OSError as error:  # the footer check of the reader raises plain OSError for some damage
            raise _corrupt(error) from error
        super().__init__(path, limits, columns=list(schema), approx_total_rows=int(total))
        self._dtypes = dict(schema)

    def _scan(self, file_columns: list[str]) -> pl.LazyFrame:
        # The file's own columns first, then the row numbers: a column the file calls `__row` (reserved, so never a
        # schema column) cannot then clash with them.
        return pl.scan_parquet(self.path).select(*(self._plain(name) for name in file_columns)).with_row_index(
            ROW_COLUMN, offset=1
        ).select(pl.col(ROW_COLUMN).cast(pl.Int64), *file_columns)

    def _plain(self, name: str) -> pl.Expr:
        """The column as a value the validator converts: nested and duration types are refused by name, bytes
        are read as UTF-8 text (a value that is not fails the read, as malformed)."""
        dtype = self._dtypes[name]
        if isinstance(dtype, pl.List | pl.Array | pl.Struct | pl.Duration | pl.Object):
            raise IngestError(
                ErrorCode.malformed_file,
                f"The Parquet column {display_text(name, NAME_CHARS)!r} holds {dtype} values, not plain ones "
                "(text, numbers, dates, times). Export it as a column of plain values and upload again.",
                {"column": display_text(name, NAME_CHARS), "dtype": str(dtype)},
            )
        return pl.col(name).cast(pl.String) if dtype == pl.Binary else pl.col(name)

    def _frames(self, file_columns: list[str]) -> Iterator[pl.DataFrame]:
        yield from streamed_batches(self._scan(file_columns), self.limits.batch_rows, _corrupt)

    def read_column_rows(self, name: str) -> pl.DataFrame:
        self._require_column(name)
        try:
            frame = self._scan([name]).collect(engine="streaming")
        except pl.exceptions.PolarsError as error:
            raise _corrupt(error) from error
        return frame.with_columns(pl.col(name).cast(pl.String))

    def _shape_description(self) -> str:
        return f"{len(self.columns)} columns and {self.approx_total_rows} rows with values"


def _corrupt(error: Exception) -> IngestError:
    return IngestError(
        ErrorCode.malformed_file,
        f"The Parquet file could not be read ({first_line(error)}). Export it again and re-upload.",
    )
