"""Newline-delimited JSON: one object per line, every value read as String, in constant memory.

Read as lines (`scan_lines`) rather than with `scan_ndjson`, because `scan_ndjson` drops blank lines from its
row index and we promise the line number a person sees in an editor. Each line is decoded with
`str.json_decode` into a struct of String fields: numbers keep their digits (3 -> "3", 2.5 -> "2.5"; a float
with more digits than a float64 holds is rounded), booleans become "true"/"false", JSON null becomes null.

Columns are the keys of the first batch_rows objects, in order of first appearance; a key that only shows up
later is ignored, and an object missing a key has null there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from backend.errors import ErrorCode, IngestError, first_line
from backend.formats.detect import read_head
from backend.formats.display import display_names
from backend.formats.json_diagnose import find_json_line_problem, keys_in_order, numbered_lines
from backend.formats.limits import ReadLimits
from backend.formats.tabular import ROW_COLUMN, TabularFile, estimate_rows, streamed_batches
from backend.formats.text_encoding import utf8_copy_if_needed

_LINE = "__line"
_STRIPPED = " \t\r\n\ufeff"  # the BOM rides on the first line; \r on every line of a Windows file


class NdjsonFile(TabularFile):
    """A newline-delimited JSON file; `record_word` names the unit in messages ("line", or "record")."""

    keyed = True

    def __init__(
        self,
        path: Path,
        limits: ReadLimits,
        *,
        source: Path | None = None,
        record_word: str = "line",
        temporary_paths: list[Path] | None = None,
    ) -> None:
        temporaries = list(temporary_paths or [])
        super().__init__(path, limits, columns=[], approx_total_rows=None, temporary_paths=temporaries)
        try:
            if source is None:
                utf8 = utf8_copy_if_needed(path)
                if utf8 is not None:
                    self._temporary_paths.append(utf8)
                source = utf8 or path
            self.source = source
            self.record_word = record_word
            self.columns = self._discover_columns()
            self.approx_total_rows = estimate_rows(read_head(source), source.stat().st_size)
        except BaseException:
            self.close()
            raise

    def _lines(self) -> pl.LazyFrame:
        return (
            pl.scan_lines(self.source, name=_LINE, row_index_name=ROW_COLUMN, row_index_offset=1)
            .with_columns(pl.col(ROW_COLUMN).cast(pl.Int64), pl.col(_LINE).str.strip_chars(_STRIPPED))
            .filter(pl.col(_LINE) != "")
        )

    def _discover_columns(self) -> list[str]:
        head = self._lines().head(self.limits.batch_rows).collect()
        if head.height == 0:
            raise IngestError(ErrorCode.empty_file, "The file is empty: it holds no JSON objects.")
        try:
            dtype = head.get_column(_LINE).str.json_decode(infer_schema_length=None).dtype
        except pl.exceptions.PolarsError:
            dtype = None  # mixed value types across lines: fine for us (we read text), not for inference
        if isinstance(dtype, pl.Struct):
            return [field.name for field in dtype.fields]
        numbered = list(zip(head.get_column(ROW_COLUMN), head.get_column(_LINE), strict=True))
        problem = find_json_line_problem(numbered)
        if problem is not None:
            raise self._malformed(problem.line, problem.reason, problem.details)
        return keys_in_order(numbered)

    def _decoded(self, file_columns: list[str]) -> pl.LazyFrame:
        as_text = pl.Struct({name: pl.String for name in file_columns})
        return self._lines().with_columns(pl.col(_LINE).str.json_decode(as_text))

    def _frames(self, file_columns: list[str]) -> Iterator[pl.DataFrame]:
        batches = streamed_batches(
            self._decoded(file_columns), self.limits.batch_rows, lambda error: self._diagnosed(error, file_columns)
        )
        for frame in batches:
            yield self._unnested(frame)

    def read_column_rows(self, name: str) -> pl.DataFrame:
        self._require_column(name)
        try:
            frame = self._decoded([name]).collect(engine="streaming")
        except pl.exceptions.PolarsError as error:
            raise self._diagnosed(error, [name]) from error
        return self._unnested(frame)

    def _unnested(self, frame: pl.DataFrame) -> pl.DataFrame:
        # A line holding JSON `null` decodes to a null struct instead of failing.
        nulls = frame.filter(pl.col(_LINE).is_null())
        if nulls.height:
            raise self._malformed(int(nulls.item(0, ROW_COLUMN)), "it holds null, not an object")
        return frame.unnest(_LINE)

    def _diagnosed(self, error: pl.exceptions.PolarsError, file_columns: list[str]) -> IngestError:
        problem = find_json_line_problem(self._numbered_lines(), file_columns)
        if problem is None:
            return IngestError(
                ErrorCode.malformed_file,
                f"The JSON file could not be read ({first_line(error)}).",
            )
        return self._malformed(problem.line, problem.reason, problem.details)

    def _numbered_lines(self) -> Iterator[tuple[int, str]]:
        yield from numbered_lines(self.source)

    def _malformed(self, number: int, reason: str, details: dict[str, int] | None = None) -> IngestError:
        return IngestError(
            ErrorCode.malformed_file,
            f"{self.record_word.capitalize()} {number} of the file is malformed: {reason}. "
            "Each record must be a JSON object of plain values.",
            {self.record_word: number, **(details or {})},
        )

    def _shape_description(self) -> str:
        return f"objects with keys {display_names(self.columns)} but no values in them"

