"""PUT /api/v1/datasources/{name}/auto-compaction against the real Coordinator: turned on, the Coordinator holds a
compaction config with the datasource's declared partitioning and segment granularity (read back from it, not
echoed); turned off, it holds none. Refusals: unknown datasource, a deleted one, a body of the wrong shape."""

from __future__ import annotations

from typing import Any

import requests

from backend.settings import get_settings

from .conftest import Service

COLUMNS = [{"name": "ts", "type": "timestamp"}, {"name": "store", "type": "string"}, {"name": "units", "type": "long"}]


def _coordinator(druid_datasource: str) -> requests.Response:
    return requests.get(f"{get_settings().druid_coordinator_url}/druid/coordinator/v1/config/compaction/"
                        f"{druid_datasource}", timeout=10)


def _put(service: Service, name: str, body: dict[str, Any]) -> requests.Response:
    return requests.put(f"{service.url}/api/v1/datasources/{name}/auto-compaction", json=body, timeout=30)


def test_auto_compaction_on_and_off_as_the_coordinator_holds_it(service: Service, unique_tag: str) -> None:
    name = f"autocompact_{unique_tag}"
    created = requests.post(f"{service.url}/api/v1/datasources", timeout=30, json={
        "name": name, "time_column": "ts", "columns": COLUMNS, "granularity": {"segment": "MONTH", "query": "NONE"},
        "partitioning": {"type": "range", "dimensions": ["store"], "target_rows_per_segment": 2_000_000}})
    assert created.status_code == 201, created.text
    assert _coordinator(name).status_code == 404

    on = _put(service, name, {"enabled": True, "skip_offset_hours": 48})
    assert on.status_code == 200, on.text
    body = on.json()
    assert (body["enabled"], body["skip_offset_from_latest"]) == (True, "PT48H"), body
    assert body["partitions_spec"] == {"type": "range", "partitionDimensions": ["store"],
                                       "targetRowsPerSegment": 2_000_000, "maxRowsPerSegment": None,
                                       "assumeGrouped": False}, body
    held = _coordinator(name)
    assert held.status_code == 200 and held.json() == body["coordinator_config"], held.text
    assert held.json()["granularitySpec"]["segmentGranularity"] == "MONTH"
    assert requests.get(f"{service.url}/api/v1/datasources/{name}/auto-compaction", timeout=10).json() == body

    # A new version with another layout: the Coordinator's config follows it, keeping the skip offset.
    version = requests.post(f"{service.url}/api/v1/datasources/{name}/schemas", timeout=30, json={
        "time_column": "ts", "columns": COLUMNS, "granularity": {"segment": "DAY", "query": "NONE"},
        "partitioning": {"type": "dynamic", "target_rows_per_segment": 3_000_000}})
    assert version.status_code == 201, version.text
    followed = _coordinator(name).json()
    assert followed["tuningConfig"]["partitionsSpec"]["maxRowsPerSegment"] == 3_000_000, followed
    assert followed["granularitySpec"]["segmentGranularity"] == "DAY", followed
    assert followed["skipOffsetFromLatest"] == "PT48H", followed

    off = _put(service, name, {"enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False and off.json()["coordinator_config"] is None
    assert _coordinator(name).status_code == 404

    # A deleted datasource can be turned off, not on.
    assert requests.delete(f"{service.url}/api/v1/datasources/{name}", timeout=30).status_code in (200, 204)
    refused = _put(service, name, {"enabled": True})
    assert refused.status_code == 409 and refused.json()["code"] == "datasource_deleted", refused.text
    assert _put(service, name, {"enabled": False}).status_code == 200


def test_auto_compaction_refusals(service: Service) -> None:
    unknown = _put(service, "no_such_datasource_here", {"enabled": True})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_datasource", unknown.text
    for body in ({"enabled": "yes"}, {"enabled": True, "skip_offset_hours": -1}, {"enabled": True, "extra": 1}, {}):
        wrong = _put(service, "sales", body)
        assert wrong.status_code == 422, (body, wrong.text)
