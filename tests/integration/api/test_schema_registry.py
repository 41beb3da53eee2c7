"""The schema registry through its HTTP API: declare, evolve under a compatibility mode, diff every change kind,
restore, soft-delete, and concurrent registrations getting consecutive versions."""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.web_events import web_events

from .conftest import Service


def _definition() -> dict[str, Any]:
    return {
        "time_column": "event_time",
        "columns": [
            {"name": "event_time", "type": "timestamp", "required": True, "rules": [{"kind": "not_in_future"}]},
            {"name": "user_id", "type": "string", "required": True, "rules": [{"kind": "not_blank"}]},
            {"name": "page", "type": "string", "required": True, "rules": []},
            {"name": "duration_ms", "type": "long", "required": True, "rules": [{"kind": "min", "bound": 0}]},
            {"name": "score", "type": "double", "required": False, "rules": []},
            {"name": "country", "type": "string", "required": False,
             "rules": [{"kind": "pattern", "regex": "[A-Z]{2}", "meaning": "two upper-case letters"}]},
        ],
    }


def _create(service: Service, name: str, definition: dict[str, Any] | None = None, **settings: Any) -> dict[str, Any]:
    response = requests.post(f"{service.url}/api/v1/datasources",
                             json={"name": name, **(definition or _definition()), **settings}, timeout=30)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _post(service: Service, path: str, body: Any = None) -> requests.Response:
    return requests.post(f"{service.url}/api/v1/datasources/{path}", json=body, timeout=30)


def _get(service: Service, path: str) -> Any:
    where = f"/{path}" if path and not path.startswith("?") else path
    response = requests.get(f"{service.url}/api/v1/datasources{where}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _with(definition: dict[str, Any], **columns: dict[str, Any] | None) -> dict[str, Any]:
    """`definition` with columns changed (a dict of fields), added (a whole column) or dropped (None)."""
    changed = copy.deepcopy(definition)
    by_name = {c["name"]: c for c in changed["columns"]}
    for name, fields in columns.items():
        if fields is None:
            changed["columns"] = [c for c in changed["columns"] if c["name"] != name]
        elif name in by_name:
            by_name[name].update(fields)
        else:
            changed["columns"].append({"name": name, **fields})
    return changed


def test_create_then_read_it_back(service: Service, unique_tag: str) -> None:
    name = f"web_{unique_tag}"
    created = _create(service, name, description="Web events", compatibility="FULL")
    assert (created["name"], created["schema_version"], created["version"]) == (name, 1, 1)
    assert (created["druid_datasource"], created["description"], created["compatibility"]) == (
        name, "Web events", "FULL")
    assert created["time_column"] == "event_time"
    assert created["schema"]["definition"]["columns"][3] == {
        "id": 4, "name": "duration_ms", "type": "long", "required": True,
        "rules": [{"kind": "min", "bound": 0, "inclusive": True}],
    }
    assert created["schema"]["definition"]["granularity"] == {"segment": "DAY", "query": "NONE"}
    assert created["schema"]["created_by"] == "anonymous"
    assert created["jobs"] == {"total": 0, "by_state": {}}
    assert _get(service, name)["schema"] == created["schema"]
    listed = {d["name"]: d for d in _get(service, "")["items"]}
    assert listed[name]["compatibility"] == "FULL"
    assert listed["sales"]["version"] >= 1


def test_names_and_druid_names_are_taken_once(service: Service, unique_tag: str) -> None:
    name = f"taken_{unique_tag}"
    _create(service, name)
    again = requests.post(f"{service.url}/api/v1/datasources", json={"name": name, **_definition()}, timeout=30)
    assert (again.status_code, again.json()["code"]) == (409, "datasource_exists")
    same_druid = requests.post(f"{service.url}/api/v1/datasources",
                               json={"name": f"other_{unique_tag}", "druid_datasource": name, **_definition()},
                               timeout=30)
    assert (same_druid.status_code, same_druid.json()["code"]) == (409, "datasource_exists")
    assert f"`{name}`" in same_druid.json()["message"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"name": "__time"}, "columns[1].name"),
        ({"rules": [{"kind": "one_of", "values": ["a"]}], "type": "long"}, "columns[1].rules[0].kind"),
        ({"rules": [{"kind": "pattern", "regex": "(?<=a)b"}]}, "columns[1].rules[0].regex"),
        ({"rules": [{"kind": "one_of", "values": [str(i) for i in range(10_001)]}]}, "columns[1].rules[0].values"),
    ],
)
def test_bad_declarations_are_refused_at_their_path(
    service: Service, unique_tag: str, change: dict[str, Any], path: str
) -> None:
    definition = _definition()
    definition["columns"][1].update(change)
    response = requests.post(f"{service.url}/api/v1/datasources", json={"name": f"bad_{unique_tag}", **definition},
                             timeout=30)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_schema"
    assert path in [p["path"] for p in body["details"]["problems"]], body
    assert requests.get(f"{service.url}/api/v1/datasources/bad_{unique_tag}", timeout=10).status_code == 404


def test_structural_mistakes_name_their_path_too(service: Service, unique_tag: str) -> None:
    definition = _definition()
    definition["columns"][2]["type"] = "decimal"
    response = requests.post(f"{service.url}/api/v1/datasources", json={"name": f"bad_{unique_tag}", **definition},
                             timeout=30)
    assert response.status_code == 422, response.text
    assert response.json()["details"]["fields"] == ["columns[2].type"]
    too_many = {**_definition(), "columns": [{"name": f"c{i}", "type": "long"} for i in range(1001)]}
    response = requests.post(f"{service.url}/api/v1/datasources", json={"name": f"bad_{unique_tag}", **too_many},
                             timeout=30)
    assert response.status_code == 422
    assert any(p["path"] == "columns" and "1,000" in p["message"] for p in response.json()["details"]["problems"])


def test_evolution_under_backward_then_none(service: Service, unique_tag: str) -> None:
    name = f"evolve_{unique_tag}"
    _create(service, name)
    with_referrer = _with(_definition(), referrer={"type": "string", "required": False})

    check = _post(service, f"{name}/schemas/check", with_referrer).json()
    assert check["compatible"] is True
    assert [(c["kind"], c["column"]) for c in check["changes"]] == [("ADD_COLUMN", "referrer")]
    assert check["druid"] == {"dimensions_added": [{"name": "referrer", "type": "string"}],
                              "dimensions_removed": [], "dimensions_retyped": []}
    assert _get(service, f"{name}/schemas")["current_version"] == 1  # a dry run registers nothing

    registered = _post(service, f"{name}/schemas", with_referrer)
    assert registered.status_code == 201, registered.text
    assert (registered.json()["version"], registered.json()["created"]) == (2, True)
    assert registered.json()["summary"] == "added column `referrer`"
    identical = _post(service, f"{name}/schemas", with_referrer)
    assert identical.status_code == 200
    assert (identical.json()["version"], identical.json()["created"]) == (2, False)

    retyped = _with(with_referrer, duration_ms={"type": "double"})
    refused = _post(service, f"{name}/schemas", retyped)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "incompatible_schema"
    assert [(v["kind"], v["column"]) for v in body["details"]["violations"]] == [("CHANGE_TYPE", "duration_ms")]
    assert "BACKWARD" in body["details"]["violations"][0]["reason"]

    patched = requests.patch(f"{service.url}/api/v1/datasources/{name}", json={"compatibility": "NONE"}, timeout=30)
    assert patched.status_code == 200 and patched.json()["compatibility"] == "NONE"
    assert _post(service, f"{name}/schemas", retyped).json()["version"] == 3

    restored = _post(service, f"{name}/schemas/1/restore")
    assert restored.status_code == 201, restored.text
    assert (restored.json()["version"], restored.json()["restored_from"]) == (4, 1)
    definition_1 = _get(service, f"{name}/schemas/1")["definition"]
    assert restored.json()["definition"] == definition_1  # the same columns, under the same ids
    versions = _get(service, f"{name}/schemas")
    assert [v["version"] for v in versions["items"]] == [4, 3, 2, 1]
    assert [v["restored_from"] for v in versions["items"]] == [1, None, None, None]
    summary = versions["items"][0]["summary"]
    assert "`referrer`" in summary and "`duration_ms`" in summary, summary


def test_the_diff_names_every_change_kind(service: Service, unique_tag: str) -> None:
    name = f"diff_{unique_tag}"
    version_1 = {
        "time_column": "t1",
        "columns": [
            {"name": "t1", "type": "timestamp"},
            {"name": "t2", "type": "timestamp"},
            {"name": "a", "type": "long", "rules": [{"kind": "min", "bound": 0}]},
            {"name": "b", "type": "string", "required": False},
            {"name": "c", "type": "string", "rules": [{"kind": "not_blank"}]},
            {"name": "d", "type": "double"},
            {"name": "e", "type": "double"},
            {"name": "f", "type": "long"},
            {"name": "g", "type": "string", "rules": [{"kind": "one_of", "values": ["x", "y"]}]},
        ],
        "row_checks": [{"rule": "r1", "column": "d", "factors": ["e", "f"]}],
    }
    _create(service, name, version_1, compatibility="NONE")
    version_2 = _with(
        version_1,
        a={"type": "double"},
        b={"required": True, "rules": [{"kind": "pattern", "regex": "[a-z]+"}]},
        c={"required": False, "rules": []},
        f=None,
        g={"rules": [{"kind": "one_of", "values": ["x", "y", "z"]}]},
        h={"type": "string", "required": False},
    )
    version_2.update(time_column="t2", granularity={"segment": "MONTH", "query": "HOUR"},
                     row_checks=[{"rule": "r2", "column": "d", "factors": ["e"]}])
    assert _post(service, f"{name}/schemas", version_2).status_code == 201

    changes = _get(service, f"{name}/schemas/1/diff/2")["changes"]
    assert sorted({c["kind"] for c in changes}) == sorted([
        "ADD_COLUMN", "DROP_COLUMN", "CHANGE_TYPE", "MAKE_REQUIRED", "MAKE_OPTIONAL", "ADD_RULE", "REMOVE_RULE",
        "CHANGE_RULE", "ADD_ROW_CHECK", "REMOVE_ROW_CHECK", "CHANGE_TIME_COLUMN", "CHANGE_GRANULARITY",
    ])
    by_kind = {(c["kind"], c["column"]): c for c in changes}
    assert by_kind[("CHANGE_TYPE", "a")]["before"] == "long" and by_kind[("CHANGE_TYPE", "a")]["after"] == "double"
    assert by_kind[("CHANGE_RULE", "g")]["after"] == {"kind": "one_of", "values": ["x", "y", "z"]}
    assert by_kind[("CHANGE_GRANULARITY", None)]["after"] == {"segment": "MONTH", "query": "HOUR"}
    reverse = {c["kind"] for c in _get(service, f"{name}/schemas/2/diff/1")["changes"]}
    assert {"ADD_COLUMN", "DROP_COLUMN", "CHANGE_TIME_COLUMN"} <= reverse

    # `f` dropped in version 2 and declared again in version 3: a new column, under a new id.
    version_3 = _with(version_2, f={"type": "long", "required": False})
    assert _post(service, f"{name}/schemas", version_3).json()["version"] == 3
    old_id = next(c["id"] for c in _get(service, f"{name}/schemas/1")["definition"]["columns"] if c["name"] == "f")
    new_id = next(c["id"] for c in _get(service, f"{name}/schemas/3")["definition"]["columns"] if c["name"] == "f")
    assert new_id != old_id
    across = [(c["kind"], c["column"], c["column_id"]) for c in _get(service, f"{name}/schemas/1/diff/3")["changes"]
              if c["column"] == "f"]
    assert sorted(across) == sorted([("DROP_COLUMN", "f", old_id), ("ADD_COLUMN", "f", new_id)])
    assert _get(service, f"{name}/schemas/3/diff/3")["changes"] == []
    missing = requests.get(f"{service.url}/api/v1/datasources/{name}/schemas/1/diff/9", timeout=10)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_concurrent_registrations_get_consecutive_versions(service: Service, unique_tag: str) -> None:
    name = f"race_{unique_tag}"
    _create(service, name)
    definitions = [_with(_definition(), **{f"extra_{i}": {"type": "string", "required": False}}) for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda d: _post(service, f"{name}/schemas", d), definitions))
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers if a.status_code != 201]
    assert sorted(a.json()["version"] for a in answers) == list(range(2, 10))
    assert [v["version"] for v in _get(service, f"{name}/schemas")["items"]] == list(range(9, 0, -1))


def test_soft_delete_refuses_uploads_and_keeps_history(service: Service, unique_tag: str) -> None:
    name = f"gone_{unique_tag}"
    _create(service, name)
    csv = web_events(5, id_prefix=f"{unique_tag}-").write_csv().encode()
    job = service.wait(service.accepted(csv, "events.csv", datasource=name))
    assert job["state"] == "succeeded", job

    deleted = requests.delete(f"{service.url}/api/v1/datasources/{name}", timeout=30)
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    upload = service.upload(csv, "again.csv", datasource=name, force="true")
    assert (upload.status_code, upload.json()["code"]) == (409, "datasource_deleted")
    records = requests.post(f"{service.url}/api/v1/datasources/{name}/records", json=[{"a": 1}], timeout=30)
    assert (records.status_code, records.json()["code"]) == (409, "datasource_deleted")
    new_version = _post(service, f"{name}/schemas", _with(_definition(), x={"type": "long", "required": False}))
    assert (new_version.status_code, new_version.json()["code"]) == (409, "datasource_deleted")

    assert service.job(job["job_id"])["state"] == "succeeded"
    detail = _get(service, name)
    assert detail["deleted"] is True and detail["jobs"]["by_state"] == {"succeeded": 1}
    assert [v["version"] for v in _get(service, f"{name}/schemas")["items"]] == [1]
    assert name not in [d["name"] for d in _get(service, "")["items"]]
    assert name in [d["name"] for d in _get(service, "?include_deleted=true")["items"]]
    listed = requests.get(f"{service.url}/api/v1/jobs", params={"datasource": name}, timeout=10).json()
    assert listed["total"] == 1
    # Druid's data stays.
    assert service.sql(f'SELECT COUNT(*) AS n FROM "{name}"')[0]["n"] == 5


def test_an_unknown_or_future_version_is_refused(service: Service, unique_tag: str) -> None:
    name = f"pin_{unique_tag}"
    _create(service, name)
    csv = web_events(3, id_prefix=f"{unique_tag}-").write_csv().encode()
    response = service.upload(csv, "events.csv", datasource=name, schema_version="2")
    assert (response.status_code, response.json()["code"]) == (422, "invalid_field")
    assert response.json()["details"]["field"] == "schema_version"
    assert requests.get(f"{service.url}/api/v1/datasources/{name}/schemas/7", timeout=10).status_code == 404
    assert requests.get(f"{service.url}/api/v1/datasources/nope_{unique_tag}/schemas", timeout=10).json()[
        "code"] == "unknown_datasource"


def test_hostile_declarations_are_422_not_500(service: Service, unique_tag: str) -> None:
    """Found by a hostile tester: each of these answered 500 (PostgreSQL refused the value) before."""
    infinite = _definition()
    infinite["columns"][4]["rules"] = [{"kind": "max", "bound": float("inf")}]
    cases: list[tuple[dict[str, Any], str]] = [
        (infinite, "columns[4].rules[0].bound"),
        ({**_definition(), "description": "a\x00b"}, "description"),
        (_with(_definition(), user_id={"rules": [{"kind": "one_of", "values": ["a\x00"]}]}),
         "columns[1].rules[0].values[0]"),
        (_with(_definition(), event_time={"rules": [{"kind": "too_old", "earliest": "0001-01-01T00:00:00+01:00"}]}),
         "columns[0].rules[0].earliest"),
        ({**_definition(), "druid_datasource": 'a"b'}, "druid_datasource"),
        (_with(_definition(), Page={"type": "string"}), "columns[6].name"),
    ]
    for definition, path in cases:
        body = json.dumps({"name": f"h_{unique_tag}", **definition})  # Infinity: what JavaScript's clients can't send
        response = requests.post(f"{service.url}/api/v1/datasources", data=body,
                                 headers={"Content-Type": "application/json"}, timeout=30)
        assert response.status_code == 422, (path, response.text)
        assert path in [p["path"] for p in response.json()["details"]["problems"]], response.text
    huge = requests.post(f"{service.url}/api/v1/datasources", data=b" " * (17 * 2**20),
                         headers={"Content-Type": "application/json"}, timeout=60)
    assert (huge.status_code, huge.json()["code"]) == (413, "body_too_large")


def test_concurrent_creates_of_one_name_or_druid_datasource_admit_one(service: Service, unique_tag: str) -> None:
    def create(body: dict[str, Any]) -> int:
        return requests.post(f"{service.url}/api/v1/datasources", json=body, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        same_name = list(pool.map(create, [{"name": f"conc_{unique_tag}", **_definition()}] * 8))
        same_druid = list(pool.map(create, [{"name": f"cd{i}_{unique_tag}", "druid_datasource": f"shared_{unique_tag}",
                                             **_definition()} for i in range(8)]))
    assert sorted(same_name) == [201] + [409] * 7
    assert sorted(same_druid) == [201] + [409] * 7


def test_a_name_cannot_come_back_with_another_druid_type(service: Service, unique_tag: str) -> None:
    name = f"retype_{unique_tag}"
    _create(service, name)
    dropped = _with(_definition(), score=None)
    assert _post(service, f"{name}/schemas", dropped).status_code == 201
    back_as_text = _with(dropped, score={"type": "string", "required": False})
    refused = _post(service, f"{name}/schemas", back_as_text)
    assert refused.status_code == 409, refused.text
    violation = refused.json()["details"]["violations"][0]
    assert (violation["kind"], violation["column"], violation["against_version"]) == ("CHANGE_TYPE", "score", 1)
    back_as_double = _with(dropped, score={"type": "double", "required": False})
    assert _post(service, f"{name}/schemas", back_as_double).status_code == 201


def test_reordered_rules_are_not_a_new_version(service: Service, unique_tag: str) -> None:
    name = f"order_{unique_tag}"
    rules = [{"kind": "not_blank"}, {"kind": "one_of", "values": ["/", "/a"]}]
    definition = _with(_definition(), page={"rules": rules})
    _create(service, name, definition)
    reordered = _with(definition, page={"rules": [{"kind": "one_of", "values": ["/a", "/"]}, {"kind": "not_blank"}]})
    answer = _post(service, f"{name}/schemas", reordered)
    assert (answer.status_code, answer.json()["version"], answer.json()["created"]) == (200, 1, False)
