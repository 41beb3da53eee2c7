"""Format detection (by content, never by file name) and Polars readers that yield schema-named batches.

Names are loaded on first use (PEP 562): the API only sniffs formats, and should not pay for Polars and the Excel
reader in every process.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ColumnMatch": "backend.formats.columns",
    "match_columns": "backend.formats.columns",
    "require_columns": "backend.formats.columns",
    "HEAD_BYTES": "backend.formats.detect",
    "detect_format": "backend.formats.detect",
    "read_head": "backend.formats.detect",
    "FileFormat": "backend.formats.file_format",
    "ReadLimits": "backend.formats.limits",
    "open_tabular": "backend.formats.reader",
    "ROW_COLUMN": "backend.formats.tabular",
    "TabularFile": "backend.formats.tabular",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
