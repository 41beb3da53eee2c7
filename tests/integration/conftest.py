"""Fixtures for tests against the real local stack (`make up`): one per service, built once per session, and
the tests' own database (tests/database.py) created and migrated once per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from mypy_boto3_s3 import S3Client
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from backend.settings import Settings, get_settings
from tests.database import ensure_test_database
from tests.polling import poll_until

NOT_UP = "the local stack is not reachable ({problems}): run `make up` (or `python stack/stackctl.py up`)"
PROBE_TIMEOUT_S = 5.0

@dataclass
class Druid:
    """The stack's Druid as tests see it: base URLs plus the few raw calls tests need."""

    overlord_url: str
    broker_url: str
    timeout_s: float
    http: requests.Session = field(default_factory=requests.Session)

    def submit_task(self, spec: dict[str, Any]) -> str:
        response = self.http.post(
            f"{self.overlord_url}/druid/indexer/v1/task", json=spec, timeout=self.timeout_s
        )
        assert response.status_code == 200, response.text
        task_id: str = response.json()["task"]
        return task_id

    def task_status(self, task_id: str) -> dict[str, Any]:
        """The `status` object of GET .../task/{id}/status."""
        url = f"{self.overlord_url}/druid/indexer/v1/task/{task_id}/status"
        response = self.http.get(url, timeout=self.timeout_s)
        response.raise_for_status()
        status: dict[str, Any] = response.json()["status"]
        return status

    def wait_for_task(self, task_id: str, timeout_s: float) -> dict[str, Any]:
        """Poll the task until SUCCESS or FAILED; returns its final status object."""

        return poll_until(lambda: self.task_status(task_id), timeout_s, f"task {task_id} to complete",
                          interval_s=0.5, accept=lambda status: status["status"] in {"SUCCESS", "FAILED"})

    def task_reports(self, task_id: str) -> dict[str, Any]:
        url = f"{self.overlord_url}/druid/indexer/v1/task/{task_id}/reports"
        response = self.http.get(url, timeout=self.timeout_s)
        response.raise_for_status()
        reports: dict[str, Any] = response.json()
        return reports

    def wait_for_sql(
        self, query: str, accept: Callable[[list[dict[str, Any]]], bool], timeout_s: float
    ) -> list[dict[str, Any]]:
        """Poll a SQL query until its rows satisfy accept: published segments become queryable only once
        the historical has loaded them, and until then the table may not even exist."""

        def answer() -> tuple[int, Any]:
            """(HTTP status, the rows or the start of the error text)."""
            response = self.sql(query)
            return response.status_code, response.json() if response.ok else response.text[:500]

        _, rows = poll_until(answer, timeout_s, f"Druid SQL to answer as expected: {query}", interval_s=0.5,
                             accept=lambda status_rows: status_rows[0] == 200 and accept(status_rows[1]))
        result: list[dict[str, Any]] = rows
        return result

    def sql(self, query: str) -> requests.Response:
        """POST Druid SQL to the broker; the raw response, since "table not found yet" is a normal answer."""
        body = {"query": query, "resultFormat": "object"}
        return self.http.post(f"{self.broker_url}/druid/v2/sql", json=body, timeout=self.timeout_s)

    def drop_datasource(self, datasource: str) -> None:
        """Mark every segment of a test datasource unused, so test runs do not pile up on the historical.

        A coordinator API: the stack's coordinator is also its overlord (stack/README.md)."""
        url = f"{self.overlord_url}/druid/coordinator/v1/datasources/{datasource}"
        self.http.delete(url, timeout=self.timeout_s)


def _s3_client(settings: Settings) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        config=Config(s3={"addressing_style": "path"}, connect_timeout=2, retries={"max_attempts": 2}),
    )


def _json_of(url: str) -> Any:
    response = requests.get(url, timeout=PROBE_TIMEOUT_S)
    response.raise_for_status()
    return response.json()


def _stack_problems(settings: Settings) -> list[str]:
    """What of the stack does not answer; empty when all of it does."""
    problems = []
    try:
        if _json_of(f"{settings.druid_overlord_url}/druid/indexer/v1/isLeader").get("leader") is not True:
            problems.append("the overlord is not the leader")
    except (requests.RequestException, ValueError, AttributeError) as exc:
        problems.append(f"overlord {settings.druid_overlord_url}: {exc}")
    try:
        requests.get(
            f"{settings.druid_broker_url}/druid/broker/v1/readiness", timeout=PROBE_TIMEOUT_S
        ).raise_for_status()
    except requests.RequestException as exc:
        problems.append(f"broker {settings.druid_broker_url}: {exc}")
    try:
        _s3_client(settings).head_bucket(Bucket=settings.s3_bucket)
    except (BotoCoreError, ClientError) as exc:
        problems.append(f"S3 bucket {settings.s3_bucket} at {settings.s3_endpoint_url}: {exc}")
    # The server, through the maintenance database: the tests' own database may not exist yet.
    engine = create_engine(make_url(settings.database_url).set(database="postgres"))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        problems.append(f"Postgres: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
    return problems


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def stack_up(settings: Settings) -> None:
    """Fails every test that needs the stack, once, with what is missing and how to start it."""
    problems = _stack_problems(settings)
    if problems:
        pytest.fail(NOT_UP.format(problems="; ".join(problems)), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def test_database(settings: Settings, stack_up: None) -> None:
    """The tests' own database (INGEST_DATABASE_URL, set by tests/conftest.py) exists and is at head."""
    try:
        ensure_test_database(settings)
    except Exception as exc:
        pytest.fail(f"preparing the test database: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def s3(settings: Settings, stack_up: None) -> Iterator[S3Client]:
    """A boto3 client for the stack's S3, addressing the bucket path-style like Druid does."""
    yield _s3_client(settings)


@pytest.fixture(scope="session")
def druid(settings: Settings, stack_up: None) -> Iterator[Druid]:
    client = Druid(settings.druid_overlord_url, settings.druid_broker_url, settings.druid_request_timeout_s)
    yield client
    client.http.close()
