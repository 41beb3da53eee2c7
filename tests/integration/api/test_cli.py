"""The command line as a script sees it: `druid-ingest push/status/jobs` run as processes against the real stack,
judged by exit code, stdout and stderr."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import polars as pl

from backend.settings import REPO_ROOT

from .conftest import Service, sales

_ERROR_LINE = re.compile(r"^\s*(\d+)\s+(\S+)\s+\S+")


def cli(service: Service, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args, "--api", service.url], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def push(service: Service, path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return cli(service, "push", str(path), "--datasource", "sales", "--wait", *options)


def write_sales(path: Path, tag: str, rows: int) -> pl.DataFrame:
    """Rows of this test's own (TransactionIDs carry its tag), so the bytes are new to the API."""
    frame = sales(tag, rows, start=datetime(2024, 10, 1), days=3)
    frame.write_csv(path)
    return frame


def test_push_a_valid_file_exits_0_printing_the_job_id(service: Service, tmp_path: Path, unique_tag: str) -> None:
    path = tmp_path / f"cli-{unique_tag}.csv"
    write_sales(path, unique_tag, 40)

    pushed = push(service, path)
    assert pushed.returncode == 0, pushed.stderr
    job_id = pushed.stdout.strip()
    assert str(uuid.UUID(job_id)) == job_id, pushed.stdout  # stdout is the job id alone, for scripts
    assert "succeeded: 40 rows in Druid" in pushed.stderr
    assert service.job(job_id)["state"] == "succeeded"

    status = cli(service, "status", job_id)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith(f"{job_id}: succeeded")
    assert "indexing" in status.stdout

    listing = cli(service, "jobs", "--limit", "200")
    assert listing.returncode == 0, listing.stderr
    assert re.search(rf"^{job_id}\s+succeeded\s+sales\s+40\s+{re.escape(path.name)}$", listing.stdout, re.MULTILINE)

    # The same bytes again are refused (exit 2, naming the reason) unless --force.
    again = push(service, path)
    assert again.returncode == 2 and "duplicate_upload" in again.stderr, again.stderr
    forced = push(service, path, "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.strip() not in {"", job_id}


def test_push_an_invalid_row_exits_1_with_the_error_table(service: Service, tmp_path: Path, unique_tag: str) -> None:
    path = tmp_path / f"cli-bad-{unique_tag}.csv"
    frame = write_sales(path, unique_tag, 10)
    # Data record 3 is file row 4 (the header is row 1).
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("Mars")).otherwise(pl.col("Region")).alias("Region")
    ).write_csv(path)

    pushed = push(service, path)
    assert pushed.returncode == 1, pushed.stderr
    job_id = pushed.stdout.strip()
    assert "rejected: validation_failed" in pushed.stderr
    header = next(line for line in pushed.stderr.splitlines() if line.split()[:2] == ["row", "column"])
    table = pushed.stderr.split(header, 1)[1].splitlines()
    cells = [(int(m[1]), m[2]) for line in table if (m := _ERROR_LINE.match(line))]
    assert cells == [(4, "Region")], pushed.stderr

    status = cli(service, "status", job_id)
    assert status.returncode == 1 and status.stdout.startswith(f"{job_id}: rejected validation_failed")


def test_push_an_empty_file_exits_2_with_its_code(service: Service, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    pushed = push(service, path)
    assert pushed.returncode == 2, pushed.stderr
    assert "refused: empty_file:" in pushed.stderr
    assert pushed.stdout == ""
