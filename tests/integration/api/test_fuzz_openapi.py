"""API fuzzing (issue 12, "Fuzzing in CI"): schemathesis generates requests from the API's own /openapi.json and
sends them to the running test API with every check enabled. It must find no server error, no undocumented status
code, content type or response shape, no schema-valid request refused and no schema-invalid request accepted.

Bounded: a fixed seed, a fixed number of cases per operation, and a deadline. Endpoints added later are fuzzed
because they are in the document. What is limited is in schemathesis.toml beside this file, each with its reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import requests

SEED = 20261204
MAX_EXAMPLES = 150  # per operation and phase; about 2,000 requests in all, under a minute on an idle machine
DEADLINE_S = 240
CONFIG = Path(__file__).with_name("schemathesis.toml")


def _cancel_queued_since(api_url: str, since: str) -> int:
    """Cancel the jobs created after `since` (the fuzzer's accepted uploads and records) that are still queued, so
    no later test's worker spends time on them (and no count of queued jobs sees them)."""
    listing = requests.get(f"{api_url}/api/v1/jobs", params={"state": "queued", "limit": 500}, timeout=30)
    assert listing.status_code == 200, listing.text
    cancelled = 0
    for job in listing.json()["items"]:
        if job["created_at"] > since:
            response = requests.post(f"{api_url}/api/v1/jobs/{job['job_id']}/cancel", timeout=30)
            assert response.status_code in (200, 409), response.text  # 409: a worker finished it meanwhile
            cancelled += response.status_code == 200
    return cancelled


def test_schemathesis_finds_nothing(api_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    executable = Path(sys.executable).with_name("schemathesis")
    if not executable.exists():
        pytest.fail("schemathesis is not installed: run `make install` (it is a dev dependency in pyproject.toml)")
    since = requests.get(f"{api_url}/api/v1/jobs", params={"limit": 1}, timeout=10).json()["items"]
    started = since[0]["created_at"] if since else datetime.min.isoformat()
    command = [
        str(executable), "--config-file", str(CONFIG), "--no-color",
        "run", f"{api_url}/openapi.json",
        "--checks", "all",
        "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES),
        "--workers", "1",
        "--generation-database", "none",  # the same cases every run: nothing remembered from earlier runs
        "--request-timeout", "30",
    ]
    try:
        run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=DEADLINE_S, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis ran past {DEADLINE_S} s:\n{(exc.stdout or b'')[-5000:]!r}")
    output = run.stdout + run.stderr
    summary = output[output.rfind("\n", 0, output.rfind(" SUMMARY ")) + 1:] if " SUMMARY " in output else output[-5000:]
    with capsys.disabled():
        print("\nschemathesis (limits and their reasons: tests/integration/api/schemathesis.toml; "
              "/api/v1/uploads: a generated file's bytes may be in no supported format, so 415/422 count as "
              "accepting it)")
        print(summary)
    cancelled = _cancel_queued_since(api_url, started)
    with capsys.disabled():
        print(f"jobs the fuzzer left queued, cancelled: {cancelled}")
    assert run.returncode == 0, output[-20000:]
    tested = re.search(r"Tested: (\d+)", summary)
    cases = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert tested and cases, summary
    assert int(tested.group(1)) >= 12, summary  # every operation of the document, none skipped
    assert cases.group(1) == cases.group(2), summary  # every generated case passed every check
