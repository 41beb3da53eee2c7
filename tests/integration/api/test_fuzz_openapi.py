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
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from backend.settings import REPO_ROOT, get_settings
from tests.database import SUFFIX, ensure_test_database
from tests.polling import poll_until

from .conftest import API_PORT, service_env

SEED = 20261204
MAX_EXAMPLES = 150  # per operation and phase; about 2,000 requests in all, under a minute on an idle machine
DEADLINE_S = 240
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture(scope="module")
def fuzz_api(stack_up: None, log_dir: Path) -> Iterator[str]:  # one API for both documents
    """An API of the fuzzer's own, on a database of its own (`<tests' database>` with `_fuzz` before `_test`).

    The fuzzer calls every operation with data it finds, DELETE and PATCH of datasources included (its stateful
    phase deletes what a listing names): on the session's database it deleted `sales` and every later test failed.
    No worker serves that database, so what it uploads stays queued there and no test's worker spends time on it.
    """
    settings = get_settings()
    url = make_url(settings.database_url)
    fuzz_url = url.set(database=str(url.database).removesuffix(SUFFIX) + "_fuzz" + SUFFIX)
    fuzz_settings = settings.model_copy(update={"database_url": fuzz_url.render_as_string(hide_password=False)})
    ensure_test_database(fuzz_settings)
    port = API_PORT + 5
    log_path = log_dir / "test-fuzz-api.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
            env={**service_env(), "INGEST_DATABASE_URL": fuzz_settings.database_url}, stdout=log,
            stderr=subprocess.STDOUT, cwd=REPO_ROOT,
        )
    api = f"http://127.0.0.1:{port}"
    try:
        poll_until(lambda: requests.get(f"{api}/ready", timeout=2).status_code, 60, f"the fuzzer's API at {api}",
                   accept=lambda status: status == 200, ignore=(requests.RequestException,))
        yield api
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_schemathesis_finds_nothing(fuzz_api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    api_url = fuzz_api
    executable = Path(sys.executable).with_name("schemathesis")
    if not executable.exists():
        pytest.fail("schemathesis is not installed: run `make install` (it is a dev dependency in pyproject.toml)")
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
    assert run.returncode == 0, output[-20000:]
    tested = re.search(r"Tested: (\d+)", summary)
    cases = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert tested and cases, summary
    assert int(tested.group(1)) >= 12, summary  # every operation of the document, none skipped
    assert cases.group(1) == cases.group(2), summary  # every generated case passed every check


GRAPHQL_EXAMPLES = 60  # per query field


def test_schemathesis_finds_nothing_in_graphql(fuzz_api: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The GraphQL API fuzzed from its committed SDL (docs/schema.graphql): queries of every field with generated
    arguments; none may answer a server error or break GraphQL's response shape.

    Without positive_data_acceptance: what the API refuses on purpose is beyond what GraphQL's types can say (a page
    of 1 to 100, `from` before `to`, a cursor it gave, a schema version that exists), and comes back labelled
    BAD_USER_INPUT; every other check, a server error above all, still applies."""
    executable = Path(sys.executable).with_name("schemathesis")
    command = [
        str(executable), "--no-color", "run", str(REPO_ROOT / "docs" / "schema.graphql"),
        "--url", f"{fuzz_api}/graphql",
        "--checks", "all",
        "--exclude-checks", "positive_data_acceptance",
        "--seed", str(SEED),
        "--max-examples", str(GRAPHQL_EXAMPLES),
        "--workers", "1",
        "--generation-database", "none",
        "--request-timeout", "30",
    ]
    try:
        run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=DEADLINE_S, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis ran past {DEADLINE_S} s:\n{(exc.stdout or b'')[-5000:]!r}")
    output = run.stdout + run.stderr
    summary = output[output.rfind("\n", 0, output.rfind(" SUMMARY ")) + 1:] if " SUMMARY " in output else output[-5000:]
    with capsys.disabled():
        print("\nschemathesis, GraphQL (docs/schema.graphql)")
        print(summary)
    assert run.returncode == 0, output[-20000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert cases and cases.group(1) == cases.group(2), summary
