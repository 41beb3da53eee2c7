"""Format detection (by content, never by file name) and Polars readers that yield schema-named batches."""

from backend.formats.columns import ColumnMatch, match_columns, require_columns
from backend.formats.detect import HEAD_BYTES, detect_format, read_head
from backend.formats.kinds import FileFormat
from backend.formats.limits import ReadLimits
from backend.formats.reader import open_tabular
from backend.formats.tabular import ROW_COLUMN, TabularFile

__all__ = [
    "HEAD_BYTES",
    "ROW_COLUMN",
    "ColumnMatch",
    "FileFormat",
    "ReadLimits",
    "TabularFile",
    "detect_format",
    "match_columns",
    "open_tabular",
    "read_head",
    "require_columns",
]
