"""GET /api/v1/datasources/{name}/segments against the real Druid: three uploads into the same two days, one after
the other, leave three segments per day, reported as fragmented with their rows and shard type."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import requests

from tests.polling import poll_until

from .conftest import Service, Workers, sales_csv


def test_three_uploads_into_two_days_show_fragmented_chunks(service: Service, workers: Workers,
                                                            unique_tag: str) -> None:
    # Two days of their own (somewhere in 2005-2018, from the run's tag; the sales schema refuses future times), so no
    # other test's rows are counted.
    offset = int(hashlib.sha256(unique_tag.encode()).hexdigest(), 16) % 5000
    start = datetime(2005, 1, 1) + timedelta(days=offset)
    rows = 0
    for i in range(3):  # one at a time: three Druid tasks, so three segments per day
        job = service.wait(service.accepted(sales_csv(unique_tag, 150, seed=300 + i, start=start, days=2),
                                            f"segments-{i}.csv"))
        assert job["state"] == "succeeded", job
        rows += job["druid_rows"]
    window = {"from": f"{start:%Y-%m-%d}T00:00:00Z", "to": f"{start + timedelta(days=2):%Y-%m-%d}T00:00:00Z"}

    def segments() -> dict[str, Any]:
        answer = requests.get(f"{service.url}/api/v1/datasources/sales/segments", params=window, timeout=30)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    # The broker fills in a just-loaded segment's row count with a metadata query of its own, moments later.
    body = poll_until(segments, 60, "the broker to count the rows of the new segments",
                      accept=lambda found: found["totals"]["rows"] == rows)
    chunks = body["chunks"]
    assert [c["start"][:10] for c in chunks] == [f"{start:%Y-%m-%d}", f"{start + timedelta(days=1):%Y-%m-%d}"]
    assert [(c["segments"], c["verdict"], c["shard_types"]) for c in chunks] == [(3, "fragmented", ["numbered"])] * 2
    assert sum(c["rows"] for c in chunks) == rows == 450
    assert body["totals"]["segments"] == 6 and body["totals"]["fragmented"] == 2 and body["totals"]["rows"] == 450
    # The window bounds what is counted: the day before holds nothing of this test.
    before = {"from": f"{start - timedelta(days=1):%Y-%m-%d}T00:00:00Z", "to": window["from"]}
    assert requests.get(f"{service.url}/api/v1/datasources/sales/segments", params=before,
                        timeout=30).json()["chunks"] == []


def test_absurd_windows_and_unknown_datasources_are_refused(service: Service) -> None:
    url = f"{service.url}/api/v1/datasources/sales/segments"
    backwards = requests.get(url, params={"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, timeout=30)
    assert backwards.status_code == 422 and backwards.json()["details"]["field"] == "from", backwards.text
    loose = requests.get(url, params={"from": "0.5"}, timeout=30)
    assert loose.status_code == 422 and "RFC 3339" in loose.text, loose.text
    unknown = requests.get(f"{service.url}/api/v1/datasources/no_such_datasource_here/segments", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_datasource", unknown.text
