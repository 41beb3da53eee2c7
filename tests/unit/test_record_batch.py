"""Many records posts validated in one pass: each job keeps its own counts, errors (numbered within its own
body) and rejects, the staged rows carry each job's own lineage id, and bodies that need the single-job path's
messages are left to it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from backend.formats.reader import ReadLimits
from backend.pipeline.lineage import LINEAGE_COLUMN
from backend.pipeline.record_batch import batchable, validate_record_bodies
from backend.sample_data import generate_sales
from backend.schema.builtins import SALES_SCHEMA

_LIMITS = ReadLimits(batch_rows=2, max_spreadsheet_cells=1000, max_spreadsheet_inflated_bytes=10**6,
                     max_spreadsheet_ratio=100)


def _records(count: int, seed: int) -> list[dict[str, Any]]:
    return [{key: value.isoformat() if isinstance(value, datetime) else value for key, value in row.items()}
            for row in generate_sales(count, seed=seed).to_dicts()]


def test_each_job_keeps_its_own_rows_errors_and_lineage(tmp_path: Path) -> None:
    one = _records(1, seed=1)[0]
    two = _records(3, seed=2)
    two[1]["Quantity"] = -5  # the second record of the second body
    unknown = {**_records(1, seed=3)[0], "Surprise": 1}
    bodies = [("job-a", json.dumps(one).encode()), ("job-b", json.dumps(two).encode()),
              ("job-c", json.dumps(unknown).encode()), ("job-d", b"{not json")]
    outcome = validate_record_bodies(bodies, SALES_SCHEMA, _LIMITS, tmp_path, now=datetime.now(UTC),
                                     error_sample_limit=10)
    assert outcome.alone == ["job-c", "job-d"]
    a, b = outcome.jobs["job-a"].tally, outcome.jobs["job-b"].tally
    assert (a.rows_total, a.rows_valid, a.rows_invalid) == (1, 1, 0)
    assert (b.rows_total, b.rows_valid, b.rows_invalid) == (3, 2, 1)
    assert {error.row for error in b.error_sample} == {2}, "numbered within its own body"
    assert {error.column for error in b.error_sample} >= {"Quantity"}
    assert outcome.jobs["job-b"].rejects[0].get_column("__row").to_list() == [2]
    assert outcome.staged is not None
    staged = pl.read_csv(outcome.staged)
    assert staged.get_column(LINEAGE_COLUMN).to_list() == ["job-a", "job-b", "job-b"]
    assert staged.columns[-1] == LINEAGE_COLUMN
    assert a.min_ts is not None and b.max_ts is not None


def test_bodies_for_the_single_job_path() -> None:
    record = _records(1, seed=4)[0]
    assert batchable(json.dumps(record).encode(), SALES_SCHEMA) == [record]
    assert batchable(b"[]", SALES_SCHEMA) is None
    assert batchable(b"[1, 2]", SALES_SCHEMA) is None
    assert batchable(json.dumps({**record, "Region": {"nested": 1}}).encode(), SALES_SCHEMA) is None
    missing = {key: value for key, value in record.items() if key != "TransactionID"}
    assert batchable(json.dumps(missing).encode(), SALES_SCHEMA) is None
    assert batchable(json.dumps([record, record]).encode(), SALES_SCHEMA) is None, "a repeated unique value"
