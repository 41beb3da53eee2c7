"""The GraphQL read API against real jobs: literal answers for a job with its steps, row errors and receipt;
forward pagination through 120 jobs in pages of 50; a constant number of SQL statements for 50 jobs with their
events and first 10 errors, whatever the number of jobs; the limits each refused with an error naming it; the
committed SDL is what the app serves. Who may read what is in test_access.py, on the REST matrix's users."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import requests
from sqlalchemy import event

from backend.api.graph.context import GraphContext
from backend.api.graph.schema import schema
from backend.cli import GRAPHQL_SCHEMA
from backend.db.session import get_engine

from .conftest import Service

COLUMNS = [{"name": "ts", "type": "timestamp"}, {"name": "store", "type": "string"}, {"name": "units", "type": "long"}]


def gql(service: Service, query: str, **variables: Any) -> dict[str, Any]:
    answer = requests.post(f"{service.url}/graphql", json={"query": query, "variables": variables or None},
                           timeout=60)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _datasource(service: Service, name: str) -> None:
    created = requests.post(f"{service.url}/api/v1/datasources", timeout=30,
                            json={"name": name, "time_column": "ts", "columns": COLUMNS})
    assert created.status_code == 201, created.text


JOB = """query One($id: ID!) { job(id: $id) {
  id kind state datasource filename rowsTotal rowsValid rowsInvalid
  receipt { druidRows rowsValid matches }
  events { state message }
  errors(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { row column rule value } } }
} }"""


def test_a_job_with_its_steps_errors_and_receipt(service: Service, unique_tag: str) -> None:
    name = f"gql_{unique_tag}"
    _datasource(service, name)
    csv = (f"ts,store,units\n2016-05-01T01:00:00Z,{unique_tag},1\n2016-05-01T02:00:00Z,{unique_tag},x\n"
           f"2016-05-01T03:00:00Z,{unique_tag},3\n2016-05-01T04:00:00Z,{unique_tag},y\n")
    job = service.wait(service.accepted(csv.encode(), "two-bad.csv", datasource=name, on_invalid="skip"))
    assert job["state"] == "succeeded", job
    rest_errors = service.errors(job["job_id"])["items"]

    found = gql(service, JOB, id=job["job_id"])
    assert "errors" not in found, found
    one = found["data"]["job"]
    assert {key: one[key] for key in ("id", "kind", "state", "datasource", "filename", "rowsTotal", "rowsValid",
                                      "rowsInvalid", "receipt")} == {
        "id": job["job_id"], "kind": "ingest", "state": "succeeded", "datasource": name, "filename": "two-bad.csv",
        "rowsTotal": 4, "rowsValid": 2, "rowsInvalid": 2, "receipt": {"druidRows": 2, "rowsValid": 2, "matches": True}}
    assert [e["state"] for e in one["events"]] == [e["state"] for e in job["events"]]
    assert one["events"][0]["state"] == "queued" and one["events"][-1]["state"] == "succeeded"
    first = one["errors"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"] is True
    assert [edge["node"] for edge in first["edges"]] == [
        {"row": e["row"], "column": e["column"], "rule": e["rule"], "value": e["value"]} for e in rest_errors[:1]]
    assert first["edges"][0]["node"]["value"] == "x" and first["edges"][0]["node"]["column"] == "units"
    rest = gql(service, """query Rest($id: ID!, $after: String) { job(id: $id) {
        errors(first: 10, after: $after) { pageInfo { hasNextPage } edges { node { value } } } } }""",
               id=job["job_id"], after=first["pageInfo"]["endCursor"])["data"]["job"]["errors"]
    assert rest == {"pageInfo": {"hasNextPage": False}, "edges": [{"node": {"value": "y"}}]}

    # A datasource with its versions and its jobs; unknown ids and names are null, not errors.
    ds = gql(service, """query Ds($name: String!) { datasource(name: $name) { name currentVersion deleted
        versions { version summary } jobs(first: 5) { totalCount edges { node { id } } } } }""", name=name)
    assert ds["data"]["datasource"] == {"name": name, "currentVersion": 1, "deleted": False,
                                        "versions": [{"version": 1, "summary": "first version"}],
                                        "jobs": {"totalCount": 1, "edges": [{"node": {"id": job["job_id"]}}]}}
    nothing = gql(service, '{ job(id: "00000000-0000-0000-0000-000000000000") { id } '
                           'bad: job(id: "not-a-uuid") { id } datasource(name: "no_such_one") { name } }')
    assert nothing == {"data": {"job": None, "bad": None, "datasource": None}}
    assert gql(service, "{ me { username isAdmin } }")["data"]["me"] == {"username": "anonymous", "isAdmin": True}


def test_forward_through_120_jobs_in_pages_of_50(service: Service, unique_tag: str) -> None:
    name = f"gql_pages_{unique_tag}"
    _datasource(service, name)
    posted = []
    for i in range(120):
        record = {"ts": f"2016-06-01T00:{i // 60:02d}:{i % 60:02d}Z", "store": f"{unique_tag}-{i}", "units": i}
        answer = requests.post(f"{service.url}/api/v1/datasources/{name}/records", data=json.dumps(record),
                               headers={"Content-Type": "application/json"}, timeout=30)
        assert answer.status_code == 202, answer.text
        posted.append(answer.json()["job_id"])
    page_query = """query Page($name: String!, $after: String) {
      jobs(filter: {datasource: $name}, first: 50, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id createdAt } } } }"""
    seen: list[str] = []
    sizes: list[int] = []
    after = None
    while True:
        page = gql(service, page_query, name=name, after=after)["data"]["jobs"]
        assert page["totalCount"] == 120
        sizes.append(len(page["edges"]))
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sizes == [50, 50, 20]
    assert seen == list(reversed(posted))  # newest first, each once


SIXTY_JOBS = """{ jobs(first: %d) { edges { node { id state events { state at } errors(first: 10) {
  totalCount edges { node { row column message } } } } } } }"""


def _statements(query: str) -> tuple[int, dict[str, Any]]:
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(str(args[2]))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = asyncio.run(schema.execute(query, context_value=GraphContext(principal=None)))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert not result.errors, result.errors
    assert result.data is not None
    return len(counted), result.data


@pytest.mark.usefixtures("service")
def test_fifty_jobs_with_their_events_and_errors_take_a_constant_number_of_statements() -> None:
    _statements(SIXTY_JOBS % 1)  # this process's first connection reads the server's settings: not counted
    few, small = _statements(SIXTY_JOBS % 2)
    many, large = _statements(SIXTY_JOBS % 50)
    assert len(large["jobs"]["edges"]) == 50 and len(small["jobs"]["edges"]) == 2
    assert any(edge["node"]["events"] for edge in large["jobs"]["edges"])
    # One for the page, one for every job's events, one for every job's first errors.
    assert few == many == 3, (few, many)


@pytest.mark.parametrize(("query", "said"), [
    ("{ jobs(first: 500) { edges { cursor } } }", "`first` must be 1 to 100"),
    ("{ jobs(first: 100) { edges { node { errors(first: 100) { edges { node { row column rule value message } } } } }"
     " } }", "Query cost"),
    ("{ " + " ".join(f"a{i}: me {{ username }}" for i in range(21)) + " }", "aliases"),
    ("{ jobs { edges { node { errors { edges { node { a { b { c { d { e { f } } } } } } } } } } } }",
     "exceeds maximum operation depth of 10"),
    ("{ me { " + "a " * 3100 + "} }", "3000"),
    ('{ jobs(after: "bm90LWEtY3Vyc29y") { edges { cursor } } }', "is not a cursor of this list"),
    ('mutation { anything }', "mutation"),
    ('{ jobs(filter: {datasource: "a\\u0000b"}) { totalCount } }', "control characters"),
    ('{ datasource(name: "a\\u0000b") { name } }', "control characters"),
])
def test_limits_are_refused_naming_them(service: Service, query: str, said: str) -> None:
    answer = gql(service, query)
    assert answer.get("errors"), answer
    assert said.lower() in json.dumps(answer["errors"]).lower(), answer["errors"]


def test_bodies_that_are_not_graphql_requests_are_422(service: Service) -> None:
    for body in ({}, {"query": ""}, {"query": "{ me { username } }", "stranger": 1}, {"query": 5}):
        answer = requests.post(f"{service.url}/graphql", json=body, timeout=30)
        assert answer.status_code == 422, (body, answer.text)
    assert requests.get(f"{service.url}/graphql", timeout=30).status_code == 404  # GraphiQL is off by default


def test_the_committed_sdl_is_the_schema_served() -> None:
    assert GRAPHQL_SCHEMA.read_text() == schema.as_str() + "\n"
