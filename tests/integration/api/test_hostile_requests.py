"""Hostile requests (issue 12 #2, #6, #10, #13): what a client puts in the query, the path, the headers and the method
is answered with a 4xx naming what is wrong, never a 500, and the OpenAPI document says what the API does."""

from __future__ import annotations

import json
from typing import Any

import requests

from backend.settings import REPO_ROOT

from .conftest import Service, sales


def _refused(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def test_offsets_beyond_bigint_are_refused_naming_the_field(service: Service, unique_tag: str) -> None:
    # #2: an offset PostgreSQL cannot hold (a bigint) was passed on and answered 500.
    job_id = service.accepted(f"TransactionID\n{unique_tag}\n".encode(), "offset.csv")
    for path, offset in (("/api/v1/jobs", "9223372036854775808"),
                         (f"/api/v1/jobs/{job_id}/errors", "83900290653988356096")):
        body = _refused(requests.get(f"{service.url}{path}", params={"offset": offset}, timeout=10), 422,
                        "invalid_field")
        assert body["details"]["fields"] == ["offset"], body
        assert "offset" in body["message"]
    # The largest offset the document allows is answered (with nothing), not refused.
    spec = requests.get(f"{service.url}/openapi.json", timeout=10).json()
    largest = next(p["schema"]["maximum"] for p in spec["paths"]["/api/v1/jobs"]["get"]["parameters"]
                   if p["name"] == "offset")
    listing = requests.get(f"{service.url}/api/v1/jobs", params={"offset": largest}, timeout=10)
    assert listing.status_code == 200 and listing.json()["items"] == [], listing.text
    errors = requests.get(f"{service.url}/api/v1/jobs/{job_id}/errors", params={"offset": largest}, timeout=10)
    assert errors.status_code == 200 and errors.json()["items"] == [], errors.text
    # Every integer parameter of the document is bounded on both sides.
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("type") == "integer":
                    assert {"minimum", "maximum"} <= set(parameter["schema"]), (method, path, parameter)


def test_records_refuse_bodies_that_are_not_json_media_types(service: Service, unique_tag: str) -> None:
    # #6: an image/png body was ingested as JSON records.
    url = f"{service.url}/api/v1/datasources/sales/records"
    record = json.dumps(sales(unique_tag, 1, seed=121).to_dicts()[0]).encode()
    before = requests.get(f"{service.url}/api/v1/jobs", params={"limit": 1}, timeout=10).json()["total"]
    for content_type in ("image/png", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                         "application/jsonx", "text/json", None):
        headers = {"Content-Type": content_type} if content_type else {}
        session = requests.Session()
        request = requests.Request("POST", url, data=record, headers=headers).prepare()
        if content_type is None:
            request.headers.pop("Content-Type", None)
        body = _refused(session.send(request, timeout=30), 415, "unsupported_media_type")
        assert "application/json" in body["message"], body
        assert body["details"]["content_type"] == (content_type or ""), body
    assert requests.get(f"{service.url}/api/v1/jobs", params={"limit": 1}, timeout=10).json()["total"] == before
    # JSON media types are accepted, with parameters and in any letter case.
    for index, content_type in enumerate(("application/json; charset=utf-8", "Application/JSON",
                                          "application/vnd.example+json")):
        body_bytes = json.dumps(sales(unique_tag, 1, seed=122 + index).to_dicts()[0]).encode()
        accepted = requests.post(url, data=body_bytes, headers={"Content-Type": content_type}, timeout=30)
        assert accepted.status_code == 202, (content_type, accepted.text)


def test_a_nul_byte_in_a_datasource_is_refused_not_a_server_error(service: Service, unique_tag: str) -> None:
    # #10: PostgreSQL refuses NUL in text; the request answered 500.
    body = _refused(requests.get(f"{service.url}/api/v1/jobs", params={"datasource": "a\x00b"}, timeout=10), 422,
                    "invalid_field")
    assert body["details"]["fields"] == ["datasource"] and "control character" in body["message"], body
    record = sales(unique_tag, 1, seed=125).to_dicts()[0]
    response = requests.post(f"{service.url}/api/v1/datasources/a%00b/records", json=record, timeout=30)
    body = _refused(response, 422, "invalid_field")
    assert body["details"]["fields"] == ["name"], body
    # The upload form's datasource field reaches PostgreSQL too.
    response = service.upload(f"TransactionID\n{unique_tag}\n".encode(), "nul.csv", datasource="a\x00b")
    assert response.status_code in (404, 422), response.text
    assert response.json()["code"] in ("invalid_field", "unknown_datasource"), response.text


def test_the_document_declares_required_request_bodies(service: Service) -> None:
    # #13: the two routes that read their body themselves declared none, so an empty body looked schema-valid.
    spec = requests.get(f"{service.url}/openapi.json", timeout=10).json()
    upload = spec["paths"]["/api/v1/uploads"]["post"]["requestBody"]
    assert upload["required"] is True
    form = upload["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
    records = spec["paths"]["/api/v1/datasources/{name}/records"]["post"]
    assert records["requestBody"]["required"] is True and "application/json" in records["requestBody"]["content"]
    assert "415" in records["responses"]
    assert requests.post(f"{service.url}/api/v1/uploads", timeout=10).status_code == 422
    empty = requests.post(f"{service.url}/api/v1/datasources/sales/records", data=b"",
                          headers={"Content-Type": "application/json"}, timeout=10)
    assert empty.status_code == 422, empty.text


def test_a_wrong_method_on_a_known_path_is_405_with_allow(service: Service) -> None:
    # #13: the page's catch-all GET route answered 404 for GET on POST-only API paths.
    job = "00000000-0000-0000-0000-000000000000"
    for method, path, allowed in (("GET", "/api/v1/uploads", {"POST"}),
                                  ("GET", f"/api/v1/jobs/{job}/cancel", {"POST"}),
                                  ("GET", f"/api/v1/jobs/{job}/retry", {"POST"}),
                                  ("GET", "/api/v1/datasources/sales/records", {"POST"}),
                                  ("DELETE", "/api/v1/jobs", {"GET"}),
                                  ("POST", f"/api/v1/jobs/{job}", {"GET"}),
                                  ("PUT", "/health", {"GET"})):
        response = requests.request(method, f"{service.url}{path}", timeout=10)
        body = _refused(response, 405, "method_not_allowed")
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == allowed, (method, path, response.headers)
        assert body["message"]
    # Unknown paths stay 404, and the page is still served for its own routes.
    assert requests.get(f"{service.url}/api/v1/nothing-here", timeout=10).status_code == 404
    assert requests.post(f"{service.url}/api/v1/nothing-here", timeout=10).status_code == 404
    if (REPO_ROOT / "frontend" / "dist" / "index.html").is_file():
        page = requests.get(f"{service.url}/jobs/{job}", timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
