"""The file formats druid-ingest reads, as detected from content."""

from __future__ import annotations

from enum import StrEnum


class FileFormat(StrEnum):
    """A tabular file format. The value is what the jobs table records as the detected format."""

    csv = "csv"
    xlsx = "xlsx"
    xls = "xls"
    parquet = "parquet"
    ndjson = "ndjson"
    json = "json"
