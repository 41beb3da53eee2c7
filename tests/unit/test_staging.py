"""The staged rows: ISO timestamps as strftime writes them, CSV unless a value needs NDJSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from backend.pipeline.iso_text import iso_utc_text
from backend.pipeline.staging import StagedFormat, StagedRows


def _strftime(values: pl.Series) -> list[str | None]:
    naive = values.dt.convert_time_zone("UTC").dt.replace_time_zone(None) if values.dtype.time_zone else values  # type: ignore[attr-defined]
    return naive.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_list()


@pytest.mark.parametrize("time_zone", ["UTC", "Europe/Berlin", None])
def test_iso_text_equals_strftime(time_zone: str | None) -> None:
    micros = pl.Series("ts", [
        0, 1, 999, 1_000, 86_399_999_999, 86_400_000_000, -1, -86_400_000_001, 946_684_800_123_456,
        1_767_225_599_999_999, None,
    ], pl.Int64)
    values = micros.cast(pl.Datetime("us", "UTC"))
    values = values.dt.convert_time_zone(time_zone) if time_zone else values.dt.replace_time_zone(None)

    assert iso_utc_text(values).to_list() == _strftime(values)


def test_iso_text_of_random_instants_and_far_apart_ones() -> None:
    random = pl.Series("ts", pl.int_range(0, 50_000, eager=True) * 7_919_993_131_337 % 2_000_000_000_000_000)
    values = (random - 500_000_000_000_000).cast(pl.Datetime("us", "UTC"))
    assert iso_utc_text(values).to_list() == _strftime(values)
    far = pl.Series("ts", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)])
    assert iso_utc_text(far).to_list() == ["0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.000Z"]


def test_iso_text_of_nothing_but_nulls() -> None:
    values = pl.Series("ts", [None, None], pl.Datetime("us", "UTC"))
    assert iso_utc_text(values).to_list() == [None, None]


def _rows(names: list[str]) -> pl.DataFrame:
    return pl.DataFrame({
        "ID": [f"T{i}" for i in range(len(names))],
        "When": [datetime(2025, 1, 3, 10, tzinfo=UTC)] * len(names),
        "Name": names,
        "Count": list(range(len(names))),
    })


def test_plain_text_is_written_as_csv_without_quotes(tmp_path: Path) -> None:
    rows = StagedRows(tmp_path / "staged", "When", "job-1", plain_text=lambda: True)
    rows.write(_rows(["a", "b"]))
    rows.close()
    assert rows.format is StagedFormat.csv
    assert (tmp_path / "staged").read_text().splitlines() == [
        "ID,When,Name,Count,ingest_job_id",
        "T0,2025-01-03T10:00:00.000Z,a,0,job-1",
        "T1,2025-01-03T10:00:00.000Z,b,1,job-1",
    ]


def test_values_needing_quotes_are_quoted(tmp_path: Path) -> None:
    rows = StagedRows(tmp_path / "staged", "When", "job-1")
    rows.write(_rows(["plain", 'with, comma "quoted"']))
    rows.close()
    assert rows.format is StagedFormat.csv
    assert pl.read_csv(tmp_path / "staged")["Name"].to_list() == ["plain", 'with, comma "quoted"']


def test_a_line_break_moves_earlier_batches_to_ndjson(tmp_path: Path) -> None:
    rows = StagedRows(tmp_path / "staged", "When", "job-1")
    rows.write(_rows(["first", "007"]))
    rows.write(_rows(["line\nbreak"]))
    rows.write(_rows(["last"]))
    rows.close()
    assert rows.format is StagedFormat.ndjson
    staged = [json.loads(line) for line in (tmp_path / "staged").read_text().splitlines()]
    assert [r["Name"] for r in staged] == ["first", "007", "line\nbreak", "last"]
    assert staged[1] == {"ID": "T1", "When": "2025-01-03T10:00:00.000Z", "Name": "007", "Count": 1,
                         "ingest_job_id": "job-1"}
    assert list(tmp_path.iterdir()) == [tmp_path / "staged"]  # the CSV written first is gone
