"""The queue's stages, from the statement's row to /health's `queue` and the Prometheus gauges."""

from __future__ import annotations

from decimal import Decimal

from prometheus_client.core import Metric

from backend.api.health import queue_progress_out
from backend.api.metrics_collector import queue_families
from backend.db.stats_repository import QUEUE_STAGES, QueueProgress, StageLoad, queue_progress_from_row

BUSY = QueueProgress(
    waiting_validation=StageLoad(3, 12.25),
    validating=StageLoad(1, 0.5),
    waiting_druid=StageLoad(0, None),
    in_druid=StageLoad(15, 40.0),
    druid_tasks=2,
)


def test_row_to_progress_keeps_empty_stages_null_and_clamps_a_wait_from_the_future() -> None:
    row = (3, Decimal("12.250000"), 1, Decimal("-0.004"), 0, None, 15, Decimal("40"), 2)
    assert queue_progress_from_row(row) == QueueProgress(
        waiting_validation=StageLoad(3, 12.25),
        validating=StageLoad(1, 0.0),
        waiting_druid=StageLoad(0, None),
        in_druid=StageLoad(15, 40.0),
        druid_tasks=2,
    )


def test_stages_are_named_in_the_order_a_job_goes_through_them() -> None:
    assert tuple(BUSY.stages()) == QUEUE_STAGES == ("waiting_validation", "validating", "waiting_druid", "in_druid")


def test_health_renders_each_stage_and_the_druid_tasks() -> None:
    rendered = queue_progress_out(QueueProgress(
        waiting_validation=StageLoad(3, 12.2504999),
        validating=StageLoad(1, 0.5),
        waiting_druid=StageLoad(0, None),
        in_druid=StageLoad(15, 40.0),
        druid_tasks=2,
    )).model_dump()
    assert rendered == {
        "waiting_validation": {"jobs": 3, "oldest_wait_s": 12.25},
        "validating": {"jobs": 1, "oldest_wait_s": 0.5},
        "waiting_druid": {"jobs": 0, "oldest_wait_s": None},
        "in_druid": {"jobs": 15, "druid_tasks": 2, "oldest_wait_s": 40.0},
    }


def _samples(families: list[Metric]) -> dict[tuple[str, str], float]:
    return {(s.name, s.labels.get("stage", "")): s.value for family in families for s in family.samples}


def test_gauges_by_stage_with_zero_for_an_empty_stage() -> None:
    families = list(queue_families(BUSY))
    assert [(f.name, f.type) for f in families] == [
        ("druid_ingest_queue_jobs", "gauge"),
        ("druid_ingest_queue_oldest_wait_seconds", "gauge"),
        ("druid_ingest_druid_tasks_running", "gauge"),
    ]
    assert _samples(families) == {
        ("druid_ingest_queue_jobs", "waiting_validation"): 3,
        ("druid_ingest_queue_jobs", "validating"): 1,
        ("druid_ingest_queue_jobs", "waiting_druid"): 0,
        ("druid_ingest_queue_jobs", "in_druid"): 15,
        ("druid_ingest_queue_oldest_wait_seconds", "waiting_validation"): 12.25,
        ("druid_ingest_queue_oldest_wait_seconds", "validating"): 0.5,
        ("druid_ingest_queue_oldest_wait_seconds", "waiting_druid"): 0.0,
        ("druid_ingest_queue_oldest_wait_seconds", "in_druid"): 40.0,
        ("druid_ingest_druid_tasks_running", ""): 2,
    }
