"""Compaction and retraction as tracked jobs, against the real Druid: twenty small uploads into one day read as
fragmented, and a compaction job leaves one segment with the same rows and sums; three jobs into the same two days,
the middle one retracted, leave exactly the first and third jobs' rows (counts and sums per job); Druid failing or
a cancel leaves the data as it was; the 409s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import requests

from backend.settings import get_settings
from tests.polling import poll_until

from .conftest import Service
from .test_cli import cli

COLUMNS = [
    {"name": "ts", "type": "timestamp"},
    {"name": "store", "type": "string"},
    {"name": "units", "type": "long"},
    {"name": "amount", "type": "double"},
]


def _orders(rows: int, tag: str, first: datetime, hours: int) -> bytes:
    """Rows spread over `hours` hours from `first`; the store names carry the tag, so the bytes are the test's own."""
    return pl.DataFrame({
        "ts": [(first + timedelta(hours=i % hours, minutes=i % 60)).strftime("%Y-%m-%dT%H:%M:%SZ")
               for i in range(rows)],
        "store": [f"{tag}-S{i % 7}" for i in range(rows)],
        "units": [i % 13 + 1 for i in range(rows)],
        "amount": [round((i % 89) * 0.75, 2) for i in range(rows)],
    }).write_csv().encode()


def _datasource(service: Service, name: str, **extra: Any) -> None:
    created = requests.post(f"{service.url}/api/v1/datasources",
                            json={"name": name, "time_column": "ts", "columns": COLUMNS, **extra}, timeout=30)
    assert created.status_code == 201, created.text


def _segments(service: Service, name: str) -> dict[str, Any]:
    answer = requests.get(f"{service.url}/api/v1/datasources/{name}/segments", timeout=30)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _totals(service: Service, name: str) -> dict[str, Any]:
    return service.sql(f'SELECT COUNT(*) AS n, SUM(units) AS units, SUM(amount) AS amount FROM "{name}"')[0]


def _per_job(service: Service, name: str) -> dict[str, tuple[int, int]]:
    rows = service.sql(f'SELECT ingest_job_id AS job, COUNT(*) AS n, SUM(units) AS units FROM "{name}" GROUP BY 1')
    return {row["job"]: (int(row["n"]), int(row["units"])) for row in rows}


def _compact(service: Service, name: str, **body: Any) -> requests.Response:
    return requests.post(f"{service.url}/api/v1/datasources/{name}/compact", json=body, timeout=60)


def _retract(service: Service, job_id: str) -> requests.Response:
    return requests.post(f"{service.url}/api/v1/jobs/{job_id}/retract", timeout=60)


def test_twenty_small_uploads_then_a_compaction_job(service: Service, unique_tag: str) -> None:
    name = f"compact_{unique_tag}"
    _datasource(service, name)
    day = datetime(2018, 3, 7, tzinfo=UTC)
    for i in range(20):  # one at a time: twenty Druid tasks, twenty segments in the day
        job = service.wait(service.accepted(_orders(50, f"{unique_tag}{i}", day, 24), f"small-{i}.csv",
                                            datasource=name))
        assert job["state"] == "succeeded", job
    before = poll_until(lambda: _segments(service, name), 60, "the broker to count the 20 segments' rows",
                        accept=lambda found: found["totals"]["rows"] == 1000)
    assert [(c["segments"], c["verdict"]) for c in before["chunks"]] == [(20, "fragmented")], before
    sums = _totals(service, name)

    started = _compact(service, name)
    assert started.status_code == 202, started.text
    assert (started.json()["kind"], started.json()["state"]) == ("compaction", "submitting"), started.json()
    job = service.wait(started.json()["job_id"], 300)
    assert job["state"] == "succeeded", job
    operation = job["operation"]
    assert (operation["segments_before"], operation["segments_after"]) == (20, 1), operation
    assert operation["rows_before"] == operation["rows_after"] == 1000, operation
    assert operation["interval"] == "2018-03-07T00:00:00Z/2018-03-08T00:00:00Z", operation
    assert "segment_ids_before" not in operation
    assert any("20 segments -> 1" in event["message"] for event in job["events"]), job["events"]

    after = poll_until(lambda: _segments(service, name), 60, "the compacted segment's rows counted",
                       accept=lambda found: found["totals"]["rows"] == 1000)
    assert [(c["segments"], c["verdict"]) for c in after["chunks"]] == [(1, "ok")], after
    assert _totals(service, name) == sums
    # The jobs list filters by kind; nothing is left to compact.
    listed = requests.get(f"{service.url}/api/v1/jobs", params={"datasource": name, "kind": "compaction"},
                          timeout=30).json()
    assert [item["job_id"] for item in listed["items"]] == [job["job_id"]], listed
    again = _compact(service, name)
    assert again.status_code == 409 and "nothing to compact" in again.json()["message"], again.text


def test_retracting_the_middle_of_three_jobs(service: Service, unique_tag: str) -> None:
    name = f"retract_{unique_tag}"
    _datasource(service, name)
    day = datetime(2017, 9, 10, tzinfo=UTC)
    jobs = []
    for i, rows in enumerate((300, 200, 100)):  # each over the same two days
        job = service.wait(service.accepted(_orders(rows, f"{unique_tag}{i}", day, 48), f"part-{i}.csv",
                                            datasource=name))
        assert job["state"] == "succeeded", job
        jobs.append(job["job_id"])
    landed = _per_job(service, name)
    assert {job: landed[job][0] for job in jobs} == dict(zip(jobs, (300, 200, 100), strict=True))

    started = _retract(service, jobs[1])
    assert started.status_code == 202, started.text
    retraction = started.json()
    assert (retraction["kind"], retraction["retraction_of"]) == ("retraction", jobs[1]), retraction
    assert _retract(service, jobs[1]).status_code == 409  # already under way
    done = service.wait(retraction["job_id"], 300)
    assert done["state"] == "succeeded", done
    assert done["operation"]["target_rows_before"] == 200 and done["operation"]["other_rows_before"] == 400, done
    assert done["operation"]["interval"] == "2017-09-10T00:00:00.000Z/2017-09-12T00:00:00.000Z", done

    assert _per_job(service, name) == {jobs[0]: landed[jobs[0]], jobs[2]: landed[jobs[2]]}
    original = service.job(jobs[1])
    assert original["retracted_by"] == retraction["job_id"], original
    assert any(event["message"].startswith("Retracted by job") for event in original["events"])
    again = _retract(service, jobs[1])
    assert again.status_code == 409 and "retracted already" in again.json()["message"], again.text
    not_ingest = _retract(service, retraction["job_id"])
    assert not_ingest.status_code == 409 and "retraction job" in not_ingest.json()["message"], not_ingest.text
    unknown = _retract(service, "00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404, unknown.text


def test_retraction_on_a_rolled_up_datasource_keeps_the_others_sums(service: Service, unique_tag: str) -> None:
    name = f"retract_rollup_{unique_tag}"
    _datasource(service, name, granularity={"segment": "DAY", "query": "HOUR"},
                rollup={"enabled": True, "metrics": [{"column": "units", "aggregator": "longSum"},
                                                     {"column": "amount", "aggregator": "doubleSum"}]})
    day = datetime(2016, 2, 3, tzinfo=UTC)
    first, second = (service.wait(service.accepted(_orders(rows, f"{unique_tag}{i}", day, 24), f"r-{i}.csv",
                                                   datasource=name)) for i, rows in enumerate((700, 500)))
    assert first["state"] == second["state"] == "succeeded"
    kept = service.sql(f'SELECT SUM("count") AS n, SUM(units) AS units FROM "{name}" WHERE ingest_job_id = ?',
                       first["job_id"])[0]
    # From the command line, followed to its end.
    ran = cli(service, "retract", second["job_id"], "--wait", "--timeout", "300")
    assert ran.returncode == 0, ran.stderr
    done = service.job(ran.stdout.strip())
    assert (done["kind"], done["state"], done["retraction_of"]) == ("retraction", "succeeded", second["job_id"]), done
    assert "target_rows_before: 500" in ran.stderr, ran.stderr
    listed = cli(service, "jobs", "--kind", "retraction", "--limit", "500")
    assert listed.returncode == 0 and f"{done['job_id']}  succeeded" in listed.stdout, listed.stdout
    assert listed.stdout.count("(retraction)") == len(listed.stdout.splitlines()), listed.stdout
    shown = cli(service, "status", done["job_id"])
    assert "  retraction: retraction of r-1.csv" in shown.stdout and "target_rows_before: 500" in shown.stdout
    assert f"retracted by job {done['job_id']}" in cli(service, "status", second["job_id"]).stdout
    rows = service.sql(f'SELECT ingest_job_id AS job, SUM("count") AS n, SUM(units) AS units FROM "{name}" '
                       'GROUP BY 1')
    assert rows == [{"job": first["job_id"], "n": 700, "units": kept["units"]}], rows
    assert kept["n"] == 700


def test_a_compaction_druid_fails_ends_failed_and_leaves_the_data(service: Service, unique_tag: str) -> None:
    name = f"compact_fail_{unique_tag}"
    _datasource(service, name)
    day = datetime(2015, 5, 5, tzinfo=UTC)
    for i in range(4):
        assert service.wait(service.accepted(_orders(40, f"{unique_tag}{i}", day, 24), f"f-{i}.csv",
                                             datasource=name))["state"] == "succeeded"
    poll_until(lambda: _segments(service, name), 60, "the 4 segments' rows counted",
               accept=lambda found: found["totals"]["rows"] == 160)
    sums = _totals(service, name)
    job = service.wait_state(_compact(service, name).json()["job_id"], {"indexing"}, 120, interval_s=0.05)
    # An operator shuts the task down in Druid (its console or API): Druid ends it FAILED.
    overlord = get_settings().druid_overlord_url
    requests.post(f"{overlord}/druid/indexer/v1/task/{job['druid_task_id']}/shutdown", timeout=30)
    job = service.wait(job["job_id"], 180)
    assert (job["state"], job["code"]) == ("failed", "druid_task_failed"), job
    assert "the data is as it was" in job["message"], job
    health = _segments(service, name)
    assert [(c["segments"], c["rows"]) for c in health["chunks"]] == [(4, 160)], health
    assert _totals(service, name) == sums
    # A failed operation can be retried: it measures again and compacts.
    retried = requests.post(f"{service.url}/api/v1/jobs/{job['job_id']}/retry", timeout=30)
    assert retried.status_code == 200 and retried.json()["state"] == "submitting", retried.text
    job = service.wait(job["job_id"], 300)
    assert (job["state"], job["attempt"], job["operation"]["segments_after"]) == ("succeeded", 2, 1), job


def test_cancelling_a_retraction_shuts_its_task_down_and_leaves_the_rows(service: Service, unique_tag: str) -> None:
    name = f"retract_cancel_{unique_tag}"
    _datasource(service, name)
    day = datetime(2014, 8, 1, tzinfo=UTC)
    jobs = [service.wait(service.accepted(_orders(rows, f"{unique_tag}{i}", day, 24), f"c-{i}.csv",
                                          datasource=name))["job_id"] for i, rows in enumerate((120, 80))]
    landed = _per_job(service, name)
    retraction = service.wait_state(_retract(service, jobs[1]).json()["job_id"], {"indexing"}, 120, interval_s=0.05)
    cancelled = requests.post(f"{service.url}/api/v1/jobs/{retraction['job_id']}/cancel", timeout=60)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled", cancelled.text
    overlord = get_settings().druid_overlord_url
    status = requests.get(f"{overlord}/druid/indexer/v1/task/{retraction['druid_task_id']}/status", timeout=30)
    assert status.json()["status"]["status"] == "FAILED", status.text  # shut down, nothing published
    assert _per_job(service, name) == landed
    assert service.job(jobs[1])["retracted_by"] is None
    # The rows are still there, so it can be retracted after all.
    done = service.wait(_retract(service, jobs[1]).json()["job_id"], 300)
    assert done["state"] == "succeeded", done
    assert _per_job(service, name) == {jobs[0]: landed[jobs[0]]}


def test_bad_compaction_requests(service: Service) -> None:
    backwards = _compact(service, "sales", **{"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"})
    assert backwards.status_code == 422, backwards.text
    tiny = _compact(service, "sales", target_rows_per_segment=5)
    assert tiny.status_code == 422, tiny.text
    unknown = _compact(service, "no_such_datasource_here")
    assert unknown.status_code == 404, unknown.text
    stranger = _compact(service, "sales", shards=3)
    assert stranger.status_code == 422, stranger.text


def test_a_replace_records_what_it_replaces_and_its_victims_cannot_be_retracted(service: Service,
                                                                                unique_tag: str) -> None:
    name = f"replace_impact_{unique_tag}"
    _datasource(service, name)
    day = datetime(2013, 4, 2, tzinfo=UTC)
    earlier = [service.wait(service.accepted(_orders(rows, f"{unique_tag}{i}", day, 24), f"a-{i}.csv",
                                             datasource=name)) for i, rows in enumerate((90, 60))]
    assert [job["state"] for job in earlier] == ["succeeded", "succeeded"]
    replace = service.wait(service.accepted(_orders(30, f"{unique_tag}r", day, 24), "replace.csv", datasource=name,
                                            mode="replace"))
    assert replace["state"] == "succeeded", replace
    impact = next(e for e in replace["events"] if e["message"].startswith("Replacing "))
    assert "1 period hold 150 rows now, from 2 jobs" in impact["message"], impact
    assert impact["details"]["jobs"] == sorted(job["job_id"] for job in earlier)
    assert impact["details"]["periods"] == [{"period": "2013-04-02T00:00:00.000Z", "rows": 150,
                                             "jobs": {earlier[0]["job_id"]: 90, earlier[1]["job_id"]: 60}}]
    gone = _retract(service, earlier[0]["job_id"])
    assert gone.status_code == 409 and "no rows of job" in gone.json()["message"], gone.text


def test_retracting_the_only_job_of_a_day_empties_the_day(service: Service, unique_tag: str) -> None:
    name = f"retract_only_{unique_tag}"
    _datasource(service, name)
    day = datetime(2012, 12, 12, tzinfo=UTC)
    kept = service.wait(service.accepted(_orders(40, f"{unique_tag}k", day - timedelta(days=3), 24), "kept.csv",
                                         datasource=name))
    only = service.wait(service.accepted(_orders(70, f"{unique_tag}o", day, 24), "only.csv", datasource=name))
    assert kept["state"] == only["state"] == "succeeded"
    done = service.wait(_retract(service, only["job_id"]).json()["job_id"], 300)
    assert done["state"] == "succeeded", done
    assert (done["operation"]["target_rows_before"], done["operation"]["other_rows_before"]) == (70, 0), done
    assert _per_job(service, name) == {kept["job_id"]: (40, sum(i % 13 + 1 for i in range(40)))}
